import type { Tensor, TensorInfo } from '../engine/types.js';
import { InferenceError } from '../errors.js';
import type { ImageTransform } from '../image/geometry.js';
import { loadSharp } from '../image/sharp.js';
import type { ModelManifest } from '../manifest/types.js';
import { activate, pickOutput, realValues, round4 } from './outputs.js';

/** How much of the photo one class covers. */
interface ClassShare {
  readonly index: number;
  readonly label: string;
  /** Share of the photo's pixels, 0..1. */
  readonly share: number;
}

interface SegmentationResult {
  /** A grayscale PNG, base64: each pixel's class index, or for a single-class model its probability × 255. */
  readonly mask: string;
  readonly width: number;
  readonly height: number;
  /** How many classes the mask's values index (1 for a probability mask). */
  readonly classes: number;
  /** The classes' names, by index, when the model has labels. */
  readonly labels?: readonly string[];
  /** The classes present, largest first (class masks only). */
  readonly shares?: readonly ClassShare[];
}

interface MaskMap {
  /** One byte per pixel at the output's resolution: a class index, or a probability × 255. */
  readonly mask: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly classes: number;
  /** probability: one class, soft; classes: a class index per pixel. */
  readonly kind: 'probability' | 'classes';
  readonly labels?: readonly string[];
}

const INTEGER = new Set(['int8', 'uint8', 'int16', 'int32', 'int64']);
/** A PNG pixel is a byte: class indices above this cannot be drawn in one. */
const MAX_CLASSES = 256;

/** Each pixel's best class, from scores [H, W, C] (quantized or not: the order survives dequantization). */
const argmaxClasses = (values: Float64Array, pixels: number, classes: number): Uint8Array => {
  const mask = new Uint8Array(pixels);
  for (let i = 0; i < pixels; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (values[i * classes + c]! > values[i * classes + best]!) best = c;
    mask[i] = best;
  }
  return mask;
};

/** A class map as the model wrote it (ARG_MAX's output), checked to fit a byte. */
const classMap = (tensor: Tensor, pixels: number): { mask: Uint8Array; classes: number } => {
  const mask = new Uint8Array(pixels);
  let highest = 0;
  for (let i = 0; i < pixels; i++) {
    const value = Number(tensor.data[i]);
    if (value < 0 || value >= MAX_CLASSES || !Number.isInteger(value))
      throw new InferenceError(`output ${tensor.name} holds class ${value}, outside 0..${MAX_CLASSES - 1}`);
    mask[i] = value;
    if (value > highest) highest = value;
  }
  return { mask, classes: highest + 1 };
};

/**
 * The mask at the output's resolution, read while the output buffers are
 * valid: a class index per pixel from scores [1, H, W, C] (C > 1) or from an
 * integer class map [1, H, W]; a probability for a single score [1, H, W(, 1)].
 */
const segmentationMap = (
  manifest: ModelManifest,
  outputs: readonly Tensor[],
  infos: readonly TensorInfo[],
): MaskMap => {
  const tensor = pickOutput(outputs, manifest.segmentation.output);
  const [, height = 0, width = 0, channels = 1] = tensor.shape.length === 3 ? [...tensor.shape, 1] : tensor.shape;
  if (tensor.shape.length < 3 || tensor.shape.length > 4 || channels > MAX_CLASSES)
    throw new InferenceError(`output ${tensor.name} of shape [${tensor.shape}] is not a segmentation map`);
  const pixels = height * width;
  const labels = manifest.labels;
  const quantization = infos.find((i) => i.name === tensor.name)?.quantization;
  // An integer map that is not quantized holds class indices; a quantized one holds scores.
  if (INTEGER.has(tensor.dtype) && channels === 1 && !quantization) {
    const { mask, classes } = classMap(tensor, pixels);
    return { mask, width, height, classes: Math.max(classes, labels?.length ?? 0), kind: 'classes', labels };
  }
  const values = realValues(tensor, quantization);
  if (channels > 1)
    return { mask: argmaxClasses(values, pixels, channels), width, height, classes: channels, kind: 'classes', labels };
  const activation = manifest.segmentation.activation;
  const probabilities = activate(values, activation === 'softmax' ? 'none' : activation);
  const mask = new Uint8Array(pixels);
  for (let i = 0; i < pixels; i++) mask[i] = Math.round(Math.min(1, Math.max(0, probabilities[i]!)) * 255);
  return { mask, width, height, classes: 1, kind: 'probability', labels };
};

/** The classes present in a class mask over the photo, largest first. */
const sharesOf = (seen: Uint8Array, labels: readonly string[] | undefined): ClassShare[] => {
  const counts = new Float64Array(MAX_CLASSES);
  for (const value of seen) counts[value]!++;
  const shares: ClassShare[] = [];
  counts.forEach((count, index) => {
    if (count > 0) shares.push({ index, label: labels?.[index] ?? String(index), share: round4(count / seen.length) });
  });
  return shares.sort((a, b) => b.share - a.share);
};

/**
 * The mask over the original image, as a PNG: scaled from the model's input
 * canvas back to source pixels (nearest class for class masks), without the
 * letterbox padding, and zero where a centre crop left the source
 * uncovered (those pixels are not counted in the shares).
 */
const encodeMask = async (
  { mask, width, height, classes, kind, labels }: MaskMap,
  transform: ImageTransform,
): Promise<SegmentationResult> => {
  // The model's canvas, in source pixels.
  const canvasWidth = Math.max(1, Math.round(transform.inputWidth / transform.scaleX));
  const canvasHeight = Math.max(1, Math.round(transform.inputHeight / transform.scaleY));
  const sharp = await loadSharp();
  const canvas = await sharp(mask, { raw: { width, height, channels: 1 } })
    .resize(canvasWidth, canvasHeight, { fit: 'fill', kernel: kind === 'probability' ? 'linear' : 'nearest' })
    // sharp would otherwise hand back three channels.
    .toColourspace('b-w')
    .raw()
    .toBuffer();
  const left = Math.round(transform.offsetX / transform.scaleX);
  const top = Math.round(transform.offsetY / transform.scaleY);
  const { sourceWidth, sourceHeight } = transform;
  const window = new Uint8Array(sourceWidth * sourceHeight);
  // The pixels the model saw (a centre crop leaves the rest uncovered, 0 in the PNG).
  const seen = new Uint8Array(window.length);
  let covered = 0;
  for (let y = 0; y < sourceHeight; y++) {
    const cy = y + top;
    if (cy < 0 || cy >= canvasHeight) continue;
    for (let x = 0; x < sourceWidth; x++) {
      const cx = x + left;
      if (cx < 0 || cx >= canvasWidth) continue;
      const value = canvas[cy * canvasWidth + cx]!;
      window[y * sourceWidth + x] = value;
      seen[covered++] = value;
    }
  }
  const png = await sharp(window, { raw: { width: sourceWidth, height: sourceHeight, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toBuffer();
  const answer = { mask: png.toString('base64'), width: sourceWidth, height: sourceHeight, classes };
  if (kind === 'probability') return answer;
  return { ...answer, ...(labels && { labels }), shares: sharesOf(seen.subarray(0, covered), labels) };
};

export type { ClassShare, MaskMap, SegmentationResult };
export { encodeMask, segmentationMap };
