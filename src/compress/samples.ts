import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { TypedArray } from '../dtypes.js';
import { syntheticInputs } from '../engine/syntheticInputs.js';
import type { TensorInfo } from '../engine/types.js';
import { InputError } from '../errors.js';
import { imageToTensor } from '../image/imageToTensor.js';
import type { ImageInputSpec } from '../manifest/types.js';
import { bundledSamplesDir } from '../paths.js';

const IMAGE_FILES = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif']);
const DEFAULT_SPEC: ImageInputSpec = { resize: 'stretch', range: [0, 1], channels: 'rgb', color: 'rgb', tensor: 0 };
const MAX_PIXELS = 100_000_000;

interface SampleSet {
  /** One input list per sample. */
  readonly inputs: TypedArray[][];
  /** Where they came from, for the report. */
  readonly source: string;
}

/** Is this the input of an image model ([1, H, W, 1|3] of a pixel-capable type)? */
const isImageInput = (inputs: readonly TensorInfo[]): boolean => {
  const [input] = inputs;
  if (inputs.length !== 1 || !input || input.shape.length !== 4) return false;
  const channels = input.shape[3];
  return (channels === 1 || channels === 3) && ['float32', 'float16', 'uint8', 'int8'].includes(input.dtype);
};

/** Image files in a directory, or the files of a list (one path per line), sorted. */
const imageFiles = async (source: string): Promise<string[]> => {
  let entries: string[];
  try {
    entries = (await readdir(source)).map((name) => join(source, name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOTDIR') {
      throw new InputError(
        `cannot read samples from ${source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
    entries = (await readFile(source, 'utf8'))
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter(Boolean);
  }
  return entries.filter((file) => IMAGE_FILES.has(extname(file).toLowerCase())).sort();
};

/**
 * Inputs to compare models on: photos resized to the input for image models
 * (from `dir`, else the bundled set), seeded random data otherwise.
 */
const sampleInputs = async (
  inputs: readonly TensorInfo[],
  options: { dir?: string; count?: number; spec?: ImageInputSpec } = {},
): Promise<SampleSet> => {
  const count = options.count ?? 8;
  const dir = options.dir ?? bundledSamplesDir();
  if (isImageInput(inputs) && dir) {
    const files = (await imageFiles(dir)).slice(0, count);
    if (files.length === 0) throw new InputError(`no images (${[...IMAGE_FILES].join(', ')}) found in ${dir}`);
    const spec = options.spec ?? DEFAULT_SPEC;
    const tensors: TypedArray[][] = [];
    for (const file of files) {
      const image = await imageToTensor(
        await readFile(file),
        { ...inputs[0]!, shape: [1, ...inputs[0]!.shape.slice(1)] },
        spec,
        MAX_PIXELS,
      );
      tensors.push([image.data]);
    }
    return { inputs: tensors, source: `${files.length} photos from ${dir}` };
  }
  return {
    inputs: Array.from({ length: count }, (_, i) => syntheticInputs(inputs, i + 1)),
    source: `${count} seeded random inputs`,
  };
};

export type { SampleSet };
export { imageFiles, isImageInput, sampleInputs };
