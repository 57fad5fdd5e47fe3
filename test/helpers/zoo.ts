import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The converter-made models nobody on the project made, read in place and
 * never copied here: `TFLS_MODEL_ZOO`, else `../shared/fixtures/models` beside
 * the checkout. CI always has them (.ci/run fails without them); in a user's
 * clone the suites that need them say so on one line and are skipped.
 */
const zooDir = (): string =>
  resolve(process.env.TFLS_MODEL_ZOO ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'fixtures', 'models'));

/** Whether the zoo is here; when it is not, prints the one line saying which suite is skipped. */
const zooPresent = (suite: string): boolean => {
  const present = existsSync(zooDir());
  if (!present)
    console.log(`skipped ${suite}: no model zoo at ${zooDir()} (set TFLS_MODEL_ZOO to ../shared/fixtures/models)`);
  return present;
};

/** A zoo model's path, by file name without .tflite. */
const zooModel = (name: string): string => join(zooDir(), `${name}.tflite`);

export { zooDir, zooModel, zooPresent };
