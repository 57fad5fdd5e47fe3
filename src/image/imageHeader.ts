/**
 * What an image's first bytes say, read here before any decoder sees them:
 * the pixel limits are checked on these dimensions, and a PNG loses its text
 * chunks, so that no work a request cannot bound (libvips inflates every
 * zTXt/iTXt chunk while reading a PNG's header, gigabytes for a few hundred
 * KB) happens before the limits.
 */
interface ImageHeader {
  readonly format: 'png' | 'jpeg' | 'gif' | 'webp';
  readonly width: number;
  readonly height: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** The PNG chunks of text (tEXt, and the deflated zTXt and iTXt): nothing decoding pixels needs. */
const PNG_TEXT = new Set(['tEXt', 'zTXt', 'iTXt']);

const ascii = (bytes: Uint8Array, start: number, length: number): string =>
  String.fromCharCode(...bytes.subarray(start, start + length));
const be16 = (b: Uint8Array, i: number): number => (b[i]! << 8) | b[i + 1]!;
const be32 = (b: Uint8Array, i: number): number =>
  ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
const le16 = (b: Uint8Array, i: number): number => b[i]! | (b[i + 1]! << 8);
const le24 = (b: Uint8Array, i: number): number => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16);

const isPng = (b: Uint8Array): boolean => b.length >= 8 && PNG_SIGNATURE.every((byte, i) => b[i] === byte);

/** A JPEG's frame size, from its first SOFn marker (the markers before it are walked by their lengths). */
const jpegSize = (b: Uint8Array): { width: number; height: number } | undefined => {
  let p = 2;
  while (p + 4 <= b.length) {
    if (b[p] !== 0xff) return undefined;
    const marker = b[p + 1]!;
    if (marker === 0xff) {
      p++; // fill byte
      continue;
    }
    // Markers without a length: TEM and RSTn.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      p += 2;
      continue;
    }
    // Scan data or the end before any frame header: not an image to trust.
    if (marker === 0xd9 || marker === 0xda) return undefined;
    const length = be16(b, p + 2);
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) return p + 9 <= b.length ? { height: be16(b, p + 5), width: be16(b, p + 7) } : undefined;
    if (length < 2) return undefined;
    p += 2 + length;
  }
  return undefined;
};

/** A WebP's canvas size: lossy (VP8), lossless (VP8L) or extended (VP8X). */
const webpSize = (b: Uint8Array): { width: number; height: number } | undefined => {
  if (b.length < 30) return undefined;
  switch (ascii(b, 12, 4)) {
    case 'VP8 ':
      return b[23] === 0x9d && b[24] === 0x01 && b[25] === 0x2a
        ? { width: le16(b, 26) & 0x3fff, height: le16(b, 28) & 0x3fff }
        : undefined;
    case 'VP8L':
      return b[20] === 0x2f
        ? {
            width: 1 + (b[21]! | ((b[22]! & 0x3f) << 8)),
            height: 1 + ((b[22]! >> 6) | (b[23]! << 2) | ((b[24]! & 0x0f) << 10)),
          }
        : undefined;
    case 'VP8X':
      return { width: 1 + le24(b, 24), height: 1 + le24(b, 27) };
    default:
      return undefined;
  }
};

/**
 * The format and size a PNG, JPEG, GIF or WebP declares, or undefined for
 * other formats and for headers too damaged to read (the decoder then says
 * what is wrong, under the request's deadline).
 */
const readImageHeader = (b: Uint8Array): ImageHeader | undefined => {
  if (isPng(b)) {
    return b.length >= 24 && ascii(b, 12, 4) === 'IHDR'
      ? { format: 'png', width: be32(b, 16), height: be32(b, 20) }
      : undefined;
  }
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) {
    const size = jpegSize(b);
    return size && { format: 'jpeg', ...size };
  }
  if (b.length >= 10 && (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a'))
    return { format: 'gif', width: le16(b, 6), height: le16(b, 8) };
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') {
    const size = webpSize(b);
    return size && { format: 'webp', ...size };
  }
  return undefined;
};

/**
 * The PNG without its text chunks (the same bytes when it has none, or is
 * not a PNG, or its chunk list is damaged: the decoder then refuses it).
 */
const withoutPngText = (b: Uint8Array): Uint8Array => {
  if (!isPng(b)) return b;
  const kept: Uint8Array[] = [b.subarray(0, 8)];
  let dropped = false;
  let p = 8;
  while (p + 12 <= b.length) {
    const end = p + 12 + be32(b, p);
    if (end > b.length) return b;
    const type = ascii(b, p + 4, 4);
    if (PNG_TEXT.has(type)) dropped = true;
    else kept.push(b.subarray(p, end));
    p = end;
    if (type === 'IEND') break;
  }
  if (!dropped) return b;
  const out = new Uint8Array(kept.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of kept) {
    out.set(part, at);
    at += part.length;
  }
  return out;
};

export type { ImageHeader };
export { readImageHeader, withoutPngText };
