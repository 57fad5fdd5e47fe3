import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { InputError } from '../errors.js';
import { readModelFile } from '../tflite/readModelFile.js';
import type { EvalModel } from './evaluateModels.js';

/** A model file with the model.json it is served with: --manifest, else the one beside it, else none. */
const servedModelFile = async (path: string, manifestPath: string | undefined): Promise<EvalModel> => {
  const manifestFile = manifestPath ?? join(dirname(path), 'model.json');
  const text = await readFile(manifestFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (manifestPath !== undefined) throw new InputError(`cannot read --manifest ${manifestPath}: ${error.code}`);
    return undefined;
  });
  let manifest: unknown;
  if (text !== undefined) {
    try {
      manifest = JSON.parse(text);
    } catch (error) {
      throw new InputError(`${manifestFile} is not valid JSON: ${(error as Error).message}`);
    }
  }
  return {
    name: path,
    bytes: await readModelFile(path),
    manifest,
    readFile: (name) => readFile(join(dirname(manifestFile), name), 'utf8'),
  };
};

export { servedModelFile };
