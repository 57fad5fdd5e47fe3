import { deflateSync } from 'node:zlib';
import sharp from 'sharp';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

const crc32 = (bytes: Uint8Array): number => {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};

const chunk = (type: string, data: Uint8Array): Buffer => {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(8 + data.length + 4);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
};

/**
 * A PNG whose header declares width x height RGB pixels, with one deflated
 * row of data behind it: a few hundred bytes that claim gigabytes. Only the
 * header is valid, which is all a limit checked before decoding may read.
 */
const pngHeaderBomb = (width: number, height: number): Buffer => {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, no filter, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(1 + width * 3))),
    chunk('IEND', new Uint8Array(0)),
  ]);
};

/**
 * A real 64x64 PNG carrying `bytes` (about) of text chunks, each a keyword
 * and 4 MB of one letter deflated to about 4 KB: the text-chunk bomb, a
 * small upload that a PNG reader inflating its metadata turns into
 * gigabytes. zTXt, or iTXt (compressed), as `kind` says.
 */
const pngTextBomb = async (bytes: number, kind: 'zTXt' | 'iTXt' = 'zTXt'): Promise<Buffer> => {
  const png = await flatPng(64, 64);
  const text = deflateSync(Buffer.alloc(4 * 1024 * 1024, 'A'), { level: 9 });
  // zTXt: keyword, NUL, method 0, data; iTXt: keyword, NUL, compressed 1, method 0, language NUL, translated NUL, data.
  const header = kind === 'zTXt' ? Buffer.from('Comment\0\0', 'latin1') : Buffer.from('Comment\0\x01\0\0\0', 'latin1');
  const one = chunk(kind, Buffer.concat([header, text]));
  const count = Math.max(1, Math.round((bytes - png.length) / one.length));
  // After IHDR (33 bytes from the start), where readers meet them before any pixel.
  return Buffer.concat([png.subarray(0, 33), ...Array.from({ length: count }, () => one), png.subarray(33)]);
};

/** A real, fully decodable grey PNG of width x height: tiny on disk, as costly to decode as its pixels. */
const flatPng = (width: number, height: number): Promise<Buffer> =>
  sharp({ create: { width, height, channels: 3, background: { r: 128, g: 128, b: 128 } } })
    .png({ compressionLevel: 9 })
    .toBuffer();

export { flatPng, pngHeaderBomb, pngTextBomb };
