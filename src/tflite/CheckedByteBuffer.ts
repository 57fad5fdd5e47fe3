import { ByteBuffer, type Encoding } from 'flatbuffers';

/**
 * A ByteBuffer whose every read is bounds-checked and counted.
 *
 * The flatbuffers TypeScript runtime has no verifier: on a damaged file its
 * accessors read past the end (yielding undefined, then NaN offsets) or follow
 * a vector length of two billion. Every generated accessor goes through the
 * primitive reads overridden here, so one subclass makes the whole generated
 * reader safe: damage becomes a RangeError the reader turns into a
 * ModelFormatError. The read budget stops files whose tables point at each
 * other so often that unpacking them would take forever.
 */
class FlatbufferBoundsError extends RangeError {
  public constructor(message: string) {
    super(message);
    this.name = 'FlatbufferBoundsError';
  }
}

class CheckedByteBuffer extends ByteBuffer {
  #reads = 0;
  readonly #budget: number;
  readonly #length: number;

  public constructor(bytes: Uint8Array, budget: number) {
    super(bytes);
    this.#length = bytes.length;
    this.#budget = budget;
  }

  #check(offset: number, size: number): void {
    if (++this.#reads > this.#budget) {
      throw new FlatbufferBoundsError('the flatbuffer references its tables too many times to be a real model');
    }
    if (!Number.isInteger(offset) || offset < 0 || offset + size > this.#length) {
      throw new FlatbufferBoundsError(
        `read of ${size} bytes at offset ${offset} is outside the ${this.#length}-byte file`,
      );
    }
  }

  public override readUint8(offset: number): number {
    this.#check(offset, 1);
    return super.readUint8(offset);
  }

  public override readUint16(offset: number): number {
    this.#check(offset, 2);
    return super.readUint16(offset);
  }

  public override readInt32(offset: number): number {
    this.#check(offset, 4);
    return super.readInt32(offset);
  }

  public override __vector_len(offset: number): number {
    const length = super.__vector_len(offset);
    const start = this.__vector(offset);
    if (length < 0 || start + length > this.#length) {
      throw new FlatbufferBoundsError(
        `a vector of ${length} elements at offset ${start} runs past the end of the file`,
      );
    }
    return length;
  }

  public override __string(offset: number, encoding?: Encoding): string | Uint8Array {
    const start = offset + this.readInt32(offset);
    const length = this.readInt32(start);
    if (length < 0 || start + 4 + length > this.#length) {
      throw new FlatbufferBoundsError(`a string of ${length} bytes at offset ${start} runs past the end of the file`);
    }
    return super.__string(offset, encoding);
  }
}

export { CheckedByteBuffer, FlatbufferBoundsError };
