import { Builder } from 'flatbuffers';
import type { TfliteFile } from './readModel.js';
import './packing.js';

/**
 * Serializes a model (with its trailing zip of associated files, verbatim).
 * Buffer data is 16-byte aligned by ModelBuffer.pack.
 */
const writeModel = (file: Pick<TfliteFile, 'model' | 'trailer'>): Uint8Array => {
  const builder = new Builder(1024 * 1024);
  builder.finish(file.model.pack(builder), 'TFL3');
  const flatbuffer = builder.asUint8Array();
  if (file.trailer.length === 0) return flatbuffer;
  const out = new Uint8Array(flatbuffer.length + file.trailer.length);
  out.set(flatbuffer, 0);
  out.set(file.trailer, flatbuffer.length);
  return out;
};

export { writeModel };
