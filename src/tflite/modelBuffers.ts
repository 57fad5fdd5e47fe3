import type { Builder } from 'flatbuffers';
import { BufferT, Buffer as FbBuffer } from './generated/schema_generated.js';

/**
 * Model buffers kept as byte views instead of the generated object API's
 * number[]: a 27 MB model would otherwise become 27 million JS numbers.
 * Packing aligns the data to 16 bytes, as `Buffer.data (force_align: 16)`
 * asks; flatc's TypeScript generator ignores that attribute.
 */
class ModelBuffer extends BufferT {
  public constructor(
    public bytes: Uint8Array | null = null,
    offset = 0n,
    size = 0n,
  ) {
    super([], offset, size);
  }

  public override pack(builder: Builder): number {
    let data = 0;
    if (this.bytes && this.bytes.length > 0) {
      builder.prep(16, this.bytes.length);
      data = builder.createByteVector(this.bytes);
    }
    return FbBuffer.createBuffer(builder, data, this.offset, this.size);
  }
}

// Every unpack of a Buffer (through Model.unpack) yields a ModelBuffer viewing
// the file's bytes, without copying them.
FbBuffer.prototype.unpack = function unpackModelBuffer(this: FbBuffer): BufferT {
  return new ModelBuffer(this.dataArray(), this.offset(), this.size());
};

/** The bytes of a model buffer, whichever way it was made. */
const bufferBytes = (buffer: BufferT | undefined): Uint8Array => {
  if (buffer instanceof ModelBuffer) return buffer.bytes ?? new Uint8Array(0);
  return Uint8Array.from(buffer?.data ?? []);
};

export { bufferBytes, ModelBuffer };
