import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The shared model zoo (converter-made models nobody here made): the folder
 * TFLS_MODEL_ZOO names, else ../shared/fixtures/models beside the repository;
 * undefined when it is absent, so that a suite can skip with one line.
 */
const zooDir = (): string | undefined => {
  const dir = resolve(REPO_ROOT, process.env.TFLS_MODEL_ZOO ?? join('..', 'shared', 'fixtures', 'models'));
  return existsSync(dir) ? dir : undefined;
};

/** The path of a model in the zoo (read in place, never copied into the repository). */
const zooModel = (name: string): string => {
  const dir = zooDir();
  if (dir === undefined)
    throw new Error('the shared model zoo is absent (set TFLS_MODEL_ZOO or add ../shared/fixtures/models)');
  return join(dir, name);
};

export { zooDir, zooModel };
