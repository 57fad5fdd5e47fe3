import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { TypedArray } from '../dtypes.js';
import { syntheticInputs } from '../engine/syntheticInputs.js';
import type { TensorInfo } from '../engine/types.js';
import { InputError } from '../errors.js';
import type { ImageTransform } from '../image/geometry.js';
import { imageToTensor } from '../image/imageToTensor.js';
import type { ImageInputSpec } from '../manifest/types.js';
import { bundledSamplesDir } from '../paths.js';
import { parseInferRequest } from '../protocols/kserve.js';

const IMAGE_FILES = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif']);
const DEFAULT_SPEC: ImageInputSpec = { resize: 'stretch', range: [0, 1], channels: 'rgb', color: 'rgb', tensor: 0 };
/** Calibration photos are the user's own, on their own machine: generous bounds, no deadline. */
const SAMPLE_LIMITS = { maxPixels: 100_000_000, maxAspectRatio: 10_000 } as const;

interface SampleSet {
  /** One input list per sample. */
  readonly inputs: TypedArray[][];
  /** Where they came from, for the report. */
  readonly source: string;
  /** For each photo, where the model's input sits on it (undefined for requests and random data): task answers need it. */
  readonly transforms: (ImageTransform | undefined)[];
}

/** Is this the input of an image model ([1, H, W, 1|3] of a pixel-capable type)? */
const isImageInput = (inputs: readonly TensorInfo[]): boolean => {
  const [input] = inputs;
  if (inputs.length !== 1 || !input || input.shape.length !== 4) return false;
  const channels = input.shape[3];
  return (channels === 1 || channels === 3) && ['float32', 'float16', 'uint8', 'int8'].includes(input.dtype);
};

/** Files in a directory, or the files of a list (one path per line), sorted. */
const listFiles = async (source: string): Promise<string[]> => {
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
  return entries.sort();
};

const isImageFile = (file: string): boolean => IMAGE_FILES.has(extname(file).toLowerCase());

/** A KServe v2 inference request file as one sample: exactly the model's input shapes. */
const requestSample = async (file: string, inputs: readonly TensorInfo[]): Promise<TypedArray[]> => {
  let body: unknown;
  try {
    body = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new InputError(`${file} is not a JSON inference request: ${(error as Error).message}`);
  }
  const parsed = parseInferRequest(body, inputs);
  return parsed.inputs.map((value, i) => {
    const { data, shape } = value as { data: TypedArray; shape: number[] };
    if (shape.join() !== inputs[i]!.shape.join()) {
      throw new InputError(
        `${file}: input ${JSON.stringify(inputs[i]!.name)} has shape [${shape}], the model takes [${inputs[i]!.shape}]`,
      );
    }
    return data;
  });
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
  const image = isImageInput(inputs);
  const dir = options.dir ?? (image ? bundledSamplesDir() : undefined);
  if (dir) {
    const all = await listFiles(dir);
    const requests = all.filter((file) => extname(file).toLowerCase() === '.json').slice(0, count);
    const photos = image ? all.filter(isImageFile).slice(0, count - requests.length) : [];
    if (requests.length + photos.length === 0) {
      throw new InputError(
        image
          ? `no images (${[...IMAGE_FILES].join(', ')}) or KServe v2 request files (.json) found in ${dir}`
          : `no KServe v2 request files (.json) found in ${dir}; the model's input is not an image, so photos cannot feed it`,
      );
    }
    const spec = options.spec ?? DEFAULT_SPEC;
    const tensors: TypedArray[][] = [];
    const transforms: (ImageTransform | undefined)[] = [];
    for (const file of requests) {
      tensors.push(await requestSample(file, inputs));
      transforms.push(undefined);
    }
    for (const file of photos) {
      try {
        const info = { ...inputs[0]!, shape: [1, ...inputs[0]!.shape.slice(1)] };
        const image = await imageToTensor(await readFile(file), info, spec, SAMPLE_LIMITS);
        tensors.push([image.data]);
        transforms.push(image.transform);
      } catch (error) {
        throw new InputError(`${file}: ${(error as Error).message}`);
      }
    }
    const what = [photos.length > 0 && `${photos.length} photos`, requests.length > 0 && `${requests.length} requests`]
      .filter(Boolean)
      .join(' and ');
    return { inputs: tensors, source: `${what} from ${dir}`, transforms };
  }
  return {
    inputs: Array.from({ length: count }, (_, i) => syntheticInputs(inputs, i + 1)),
    source: `${count} seeded random inputs`,
    transforms: Array.from({ length: count }, () => undefined),
  };
};

export type { SampleSet };
export { sampleInputs };
