import { InputError, PayloadTooLargeError, UnprocessableError } from '../errors.js';
import type { ImageDeadline } from './imageDeadline.js';
import { readImageHeader, withoutPngText } from './imageHeader.js';
import { loadSharp } from './sharp.js';

/** Formats a request may carry; SVG and PDF (rendered by librsvg/poppler) are refused. */
const FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif', 'heif']);

/** What an image may cost before it is refused: checked from its header, before any pixel is decoded. */
interface ImageLimits {
  readonly maxPixels: number;
  readonly maxAspectRatio: number;
  /** The request's time for its images; none for a user's own files (calibration, evaluation). */
  readonly deadline?: ImageDeadline;
}

/** An image that passed its limits: the bytes to decode (a PNG without its text) and its oriented size. */
interface CheckedImage {
  readonly bytes: Uint8Array;
  readonly sourceWidth: number;
  readonly sourceHeight: number;
}

const checkSize = (width: number, height: number, limits: ImageLimits): void => {
  if (width * height > limits.maxPixels) {
    throw new PayloadTooLargeError(`the image is ${width}x${height} pixels, over the limit of ${limits.maxPixels}`);
  }
  // Resizing a strip to cover (crop) or fit (letterbox) a square works on an
  // intermediate as long as the strip is thin: bound the ratio, not just the pixels.
  const aspect = Math.max(width, height) / Math.max(1, Math.min(width, height));
  if (aspect > limits.maxAspectRatio) {
    throw new UnprocessableError(
      `the image is ${width}x${height} pixels, an aspect ratio of ${aspect < 100 ? aspect.toFixed(1) : Math.round(aspect)}:1, over the limit of ${limits.maxAspectRatio}:1 (model.json maxAspectRatio)`,
    );
  }
};

/**
 * The limits, checked before any unbounded work: the size a PNG, JPEG, GIF
 * or WebP header declares is read here, a PNG's text chunks are dropped
 * (libvips would inflate them all while reading the header), and only then
 * does libvips read the header (for the other formats, and the EXIF
 * orientation), within the request's deadline.
 */
const checkImage = async (bytes: Uint8Array, limits: ImageLimits): Promise<CheckedImage> => {
  const header = readImageHeader(bytes);
  if (header) checkSize(header.width, header.height, limits);
  const decodable = withoutPngText(bytes);
  const sharp = await loadSharp();
  let metadata: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;
  try {
    const reading = sharp(decodable, { limitInputPixels: false }).metadata();
    metadata = await (limits.deadline ? limits.deadline.race(reading) : reading);
  } catch (error) {
    if (error instanceof UnprocessableError) throw error;
    throw new InputError(`the image cannot be decoded: ${(error as Error).message}`, { cause: error });
  }
  if (!metadata.format || !FORMATS.has(metadata.format)) {
    throw new InputError(
      `unsupported image format ${metadata.format ?? 'unknown'}; send JPEG, PNG, WebP, GIF, TIFF or AVIF`,
    );
  }
  const sourceWidth = metadata.autoOrient?.width ?? metadata.width ?? 0;
  const sourceHeight = metadata.autoOrient?.height ?? metadata.height ?? 0;
  checkSize(sourceWidth, sourceHeight, limits);
  return { bytes: decodable, sourceWidth, sourceHeight };
};

export type { CheckedImage, ImageLimits };
export { checkImage };
