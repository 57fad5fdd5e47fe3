import type { Tensor, TensorInfo } from '../engine/types.js';
import { InferenceError } from '../errors.js';
import type { ImageTransform } from '../image/geometry.js';
import { loadSharp } from '../image/sharp.js';
import type { ModelManifest } from '../manifest/types.js';
import { activate, pickOutput, realValues } from './outputs.js';

interface SegmentationResult {
  /** A grayscale PNG, base64: the probability × 255 for one class, else each pixel's class index. */
  readonly mask: string;
  readonly width: number;
  readonly height: number;
  readonly classes: number;
}

/** One byte per mask pixel at the output's resolution. */
const maskBytes = (
  values: Float64Array,
  height: number,
  width: number,
  classes: number,
  activation: 'none' | 'sigmoid' | 'softmax',
): Uint8Array => {
  const mask = new Uint8Array(height * width);
  if (classes === 1) {
    const probabilities = activate(values, activation === 'softmax' ? 'none' : activation);
    for (let i = 0; i < mask.length; i++) mask[i] = Math.round(Math.min(1, Math.max(0, probabilities[i]!)) * 255);
    return mask;
  }
  for (let i = 0; i < mask.length; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (values[i * classes + c]! > values[i * classes + best]!) best = c;
    mask[i] = best;
  }
  return mask;
};

interface MaskMap {
  readonly mask: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly classes: number;
}

/** The mask at the output's resolution: read while the output buffers are valid. */
const segmentationMap = (
  manifest: ModelManifest,
  outputs: readonly Tensor[],
  infos: readonly TensorInfo[],
): MaskMap => {
  const tensor = pickOutput(outputs, manifest.segmentation.output);
  const [, height = 0, width = 0, classes = 1] = tensor.shape.length === 3 ? [...tensor.shape, 1] : tensor.shape;
  if (tensor.shape.length < 3 || classes > 256)
    throw new InferenceError(`output ${tensor.name} of shape [${tensor.shape}] is not a segmentation map`);
  const values = realValues(tensor, infos.find((i) => i.name === tensor.name)?.quantization);
  return { mask: maskBytes(values, height, width, classes, manifest.segmentation.activation), width, height, classes };
};

/**
 * The mask over the original image, as a PNG: scaled from the model's input
 * canvas back to source pixels, without the letterbox padding, and zero
 * where a centre crop left the source uncovered.
 */
const encodeMask = async (
  { mask, width, height, classes }: MaskMap,
  transform: ImageTransform,
): Promise<SegmentationResult> => {
  // The model's canvas, in source pixels.
  const canvasWidth = Math.max(1, Math.round(transform.inputWidth / transform.scaleX));
  const canvasHeight = Math.max(1, Math.round(transform.inputHeight / transform.scaleY));
  const sharp = await loadSharp();
  const canvas = await sharp(mask, { raw: { width, height, channels: 1 } })
    .resize(canvasWidth, canvasHeight, { fit: 'fill', kernel: classes === 1 ? 'linear' : 'nearest' })
    // sharp would otherwise hand back three channels.
    .toColourspace('b-w')
    .raw()
    .toBuffer();
  const left = Math.round(transform.offsetX / transform.scaleX);
  const top = Math.round(transform.offsetY / transform.scaleY);
  const { sourceWidth, sourceHeight } = transform;
  const window = new Uint8Array(sourceWidth * sourceHeight);
  for (let y = 0; y < sourceHeight; y++) {
    const cy = y + top;
    if (cy < 0 || cy >= canvasHeight) continue;
    for (let x = 0; x < sourceWidth; x++) {
      const cx = x + left;
      if (cx >= 0 && cx < canvasWidth) window[y * sourceWidth + x] = canvas[cy * canvasWidth + cx]!;
    }
  }
  const png = await sharp(window, { raw: { width: sourceWidth, height: sourceHeight, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toBuffer();
  return { mask: png.toString('base64'), width: sourceWidth, height: sourceHeight, classes };
};

export type { MaskMap, SegmentationResult };
export { encodeMask, segmentationMap };
