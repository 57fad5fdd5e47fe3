import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: { value: string | undefined } | undefined;

const findPackageRoot = (): string | undefined => {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const manifest = join(directory, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'tflite-serverless')
          return directory;
      } catch {
        // not ours
      }
    }
    directory = dirname(directory);
  }
  return undefined;
};

/** The installed package's root (where package.json names tflite-serverless), from source or from dist. */
const packageRoot = (): string | undefined => {
  // Found once: the local server asks on every playground request.
  cachedRoot ??= { value: findPackageRoot() };
  return cachedRoot.value;
};

/** The photos bundled for fidelity checks and calibration (assets/samples), if this install has them. */
const bundledSamplesDir = (): string | undefined => {
  const root = packageRoot();
  const directory = root && join(root, 'assets', 'samples');
  return directory && existsSync(directory) ? directory : undefined;
};

export { bundledSamplesDir, packageRoot };
