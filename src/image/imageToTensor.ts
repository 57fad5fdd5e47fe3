import { allocate, type TypedArray } from '../dtypes.js';
import type { TensorInfo } from '../engine/types.js';
import { InputError, UnprocessableError } from '../errors.js';
import { toHalf } from '../float16.js';
import type { ImageInputSpec } from '../manifest/types.js';
import type { ImageTransform } from './geometry.js';
import { checkImage, type ImageLimits } from './imageLimits.js';
import { loadSharp } from './sharp.js';

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
  const { bytes: decodable, sourceWidth, sourceHeight } = await checkImage(bytes, limits);
  const gray = channels === 1 || spec.color === 'grayscale';
  let pipeline = sharp(decodable, { limitInputPixels: maxPixels }).rotate().removeAlpha();
  pipeline = gray ? pipeline.grayscale() : pipeline.toColourspace('srgb');
  const fit = spec.resize === 'stretch' ? 'fill' : spec.resize === 'letterbox' ? 'inside' : 'outside';
  let raw: { data: Buffer; info: { width: number; height: number; channels: number } };
  const { deadline } = limits;
  try {
    const decoding = pipeline
      .resize(width, height, { fit, kernel: 'linear' })
      .timeout({ seconds: deadline?.libvipsSeconds() ?? 0 })
      .raw()
      .toBuffer({ resolveWithObject: true });
    raw = await (deadline ? deadline.race(decoding) : decoding);
  } catch (error) {
    if (error instanceof UnprocessableError) throw error;
    if (deadline && /timeout/i.test((error as Error).message)) throw deadline.expired(error);
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
