import type { Sharp } from 'sharp';
import { allocate, type TypedArray } from '../dtypes.js';
import type { TensorInfo } from '../engine/types.js';
import { InputError, PayloadTooLargeError, UnprocessableError } from '../errors.js';
import { toHalf } from '../float16.js';
import type { ImageInputSpec } from '../manifest/types.js';
import type { ImageTransform } from './geometry.js';
import { loadSharp } from './sharp.js';

/** Formats a request may carry; SVG and PDF (rendered by librsvg/poppler) are refused. */
const FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif', 'heif']);

interface ImageTensor {
  readonly data: TypedArray;
  readonly transform: ImageTransform;
  readonly decodeMs: number;
  readonly preprocessMs: number;
}

/** [batch, height, width, channels] of an image input, or a 400 saying why it is not one. */
const imageShape = (info: TensorInfo): { width: number; height: number; channels: number } => {
  const [, height = 0, width = 0, channels = 0] = info.shape;
  if (info.shape.length !== 4 || (channels !== 1 && channels !== 3) || width < 1 || height < 1) {
    throw new InputError(
      `input ${JSON.stringify(info.name)} of shape [${info.shape}] is not an image tensor [batch, height, width, 1 or 3]; send tensors instead`,
    );
  }
  return { width, height, channels };
};

/** Maps 0..255 to the model's input values (range or mean/std), then to its dtype via its quantization. */
const encoder = (info: TensorInfo, spec: ImageInputSpec): ((pixel: number, channel: number) => number) => {
  const [min, max] = spec.range;
  const normalize =
    spec.mean && spec.std
      ? (v: number, c: number) => (v - spec.mean![c % spec.mean!.length]!) / spec.std![c % spec.std!.length]!
      : (v: number) => min + (v / 255) * (max - min);
  if (info.dtype === 'float32') return normalize;
  if (info.dtype === 'float16') return (v, c) => toHalf(normalize(v, c));
  if (info.dtype !== 'uint8' && info.dtype !== 'int8')
    throw new InputError(`input ${JSON.stringify(info.name)} of type ${info.dtype} cannot take an image`);
  const scale = info.quantization?.scale[0] ?? 1;
  const zeroPoint = info.quantization?.zeroPoint[0] ?? 0;
  const [lo, hi] = info.dtype === 'uint8' ? [0, 255] : [-128, 127];
  return (v, c) => Math.min(hi, Math.max(lo, Math.round(normalize(v, c) / scale + zeroPoint)));
};

/**
 * Decodes an image (EXIF orientation applied, alpha dropped, grayscale
 * expanded to RGB or colour reduced to gray as the model needs), resizes it
 * as the manifest declares, and converts it to the model input's dtype.
 */
/** What an image may cost before it is refused: checked from its header, before any pixel is decoded. */
interface ImageLimits {
  readonly maxPixels: number;
  readonly maxAspectRatio: number;
  /** Decoding and resizing stop after this long (libvips checks it as it goes). */
  readonly timeoutSeconds: number;
}

const imageToTensor = async (
  bytes: Uint8Array,
  info: TensorInfo,
  spec: ImageInputSpec,
  limits: ImageLimits,
): Promise<ImageTensor> => {
  const { maxPixels } = limits;
  const { width, height, channels } = imageShape(info);
  const sharp = await loadSharp();
  const started = performance.now();
  let metadata: Awaited<ReturnType<Sharp['metadata']>>;
  try {
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw new InputError(`the image cannot be decoded: ${(error as Error).message}`, { cause: error });
  }
  if (!metadata.format || !FORMATS.has(metadata.format)) {
    throw new InputError(
      `unsupported image format ${metadata.format ?? 'unknown'}; send JPEG, PNG, WebP, GIF, TIFF or AVIF`,
    );
  }
  const sourceWidth = metadata.autoOrient?.width ?? metadata.width ?? 0;
  const sourceHeight = metadata.autoOrient?.height ?? metadata.height ?? 0;
  if (sourceWidth * sourceHeight > maxPixels) {
    throw new PayloadTooLargeError(
      `the image is ${sourceWidth}x${sourceHeight} pixels, over the limit of ${maxPixels}`,
    );
  }
  // Resizing a strip to cover (crop) or fit (letterbox) a square works on an
  // intermediate as long as the strip is thin: bound the ratio, not just the pixels.
  const aspect = Math.max(sourceWidth, sourceHeight) / Math.max(1, Math.min(sourceWidth, sourceHeight));
  if (aspect > limits.maxAspectRatio) {
    throw new UnprocessableError(
      `the image is ${sourceWidth}x${sourceHeight} pixels, an aspect ratio of ${aspect < 100 ? aspect.toFixed(1) : Math.round(aspect)}:1, over the limit of ${limits.maxAspectRatio}:1 (model.json maxAspectRatio)`,
    );
  }
  const gray = channels === 1 || spec.color === 'grayscale';
  let pipeline = sharp(bytes, { limitInputPixels: maxPixels }).rotate().removeAlpha();
  pipeline = gray ? pipeline.grayscale() : pipeline.toColourspace('srgb');
  const fit = spec.resize === 'stretch' ? 'fill' : spec.resize === 'letterbox' ? 'inside' : 'outside';
  let raw: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    raw = await pipeline
      .resize(width, height, { fit, kernel: 'linear' })
      .timeout({ seconds: limits.timeoutSeconds })
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    if (/timeout/i.test((error as Error).message))
      throw new UnprocessableError(
        `the image took over ${limits.timeoutSeconds} s to decode and resize (IMAGE_TIMEOUT_SECONDS); send a smaller one`,
        { cause: error },
      );
    throw new InputError(`the image cannot be decoded: ${(error as Error).message}`, { cause: error });
  }
  const decodeMs = performance.now() - started;

  const pixelStarted = performance.now();
  const encode = encoder(info, spec);
  const out = allocate(info.dtype, width * height * channels) as Exclude<TypedArray, BigInt64Array>;
  const resized = raw.info;
  // Letterbox pads with black around the centred image; crop takes the centre.
  const offsetX = Math.floor((width - resized.width) / 2);
  const offsetY = Math.floor((height - resized.height) / 2);
  const black = Array.from({ length: channels }, (_, c) => encode(0, c));
  if (offsetX > 0 || offsetY > 0) for (let i = 0; i < out.length; i++) out[i] = black[i % channels]!;
  const bgr = spec.channels === 'bgr' && channels === 3;
  for (let y = Math.max(0, offsetY); y < Math.min(height, offsetY + resized.height); y++) {
    for (let x = Math.max(0, offsetX); x < Math.min(width, offsetX + resized.width); x++) {
      const source = ((y - offsetY) * resized.width + (x - offsetX)) * resized.channels;
      const target = (y * width + x) * channels;
      for (let c = 0; c < channels; c++) out[target + c] = encode(raw.data[source + (bgr ? 2 - c : c)]!, c);
    }
  }
  const transform: ImageTransform = {
    sourceWidth,
    sourceHeight,
    inputWidth: width,
    inputHeight: height,
    scaleX: resized.width / sourceWidth,
    scaleY: resized.height / sourceHeight,
    offsetX,
    offsetY,
  };
  return { data: out, transform, decodeMs, preprocessMs: performance.now() - pixelStarted };
};

/** A gray PNG of width x height, made with the same sharp the pipeline decodes with. */
const grayPng = async (width: number, height: number): Promise<Buffer> =>
  (await loadSharp())(new Uint8Array(width * height * 3).fill(128), { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();

export type { ImageLimits, ImageTensor };
export { grayPng, imageShape, imageToTensor };
