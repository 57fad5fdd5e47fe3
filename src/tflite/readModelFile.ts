import { readFile } from 'node:fs/promises';
import { ModelFormatError } from '../errors.js';

/** A .tflite file's bytes; a ModelFormatError naming the file when it cannot be read. */
const readModelFile = async (path: string): Promise<Uint8Array> => {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    throw new ModelFormatError(
      `cannot read model file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
};

export { readModelFile };
