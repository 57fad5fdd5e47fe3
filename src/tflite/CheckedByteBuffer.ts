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

// TypeScript-private fields, not #private: every accessor of a model load goes through these reads,
// mostly still in V8's interpreter, where #private brand checks doubled the cost of validating a model.
class CheckedByteBuffer extends ByteBuffer {
  private reads = 0;
  private readonly budget: number;
  private readonly end: number;

  public constructor(bytes: Uint8Array, budget: number) {
    super(bytes);
    this.end = bytes.length;
    this.budget = budget;
  }

  private check(offset: number, size: number): void {
    if (++this.reads > this.budget) {
      throw new FlatbufferBoundsError('the flatbuffer references its tables too many times to be a real model');
    }
    // (offset | 0) === offset: an integer below 2^31 (files are), without a call; NaN fails it too.
    if ((offset | 0) !== offset || offset < 0 || offset + size > this.end) {
      throw new FlatbufferBoundsError(`read of ${size} bytes at offset ${offset} is outside the ${this.end}-byte file`);
    }
  }

  public override readUint8(offset: number): number {
    this.check(offset, 1);
    return super.readUint8(offset);
  }

  public override readUint16(offset: number): number {
    this.check(offset, 2);
    return super.readUint16(offset);
  }

  public override readInt32(offset: number): number {
    this.check(offset, 4);
    return super.readInt32(offset);
  }

  public override __vector_len(offset: number): number {
    const length = super.__vector_len(offset);
    const start = this.__vector(offset);
    if (length < 0 || start + length > this.end) {
      throw new FlatbufferBoundsError(
        `a vector of ${length} elements at offset ${start} runs past the end of the file`,
      );
    }
    return length;
  }

  public override __string(offset: number, encoding?: Encoding): string | Uint8Array {
    const start = offset + this.readInt32(offset);
    const length = this.readInt32(start);
    if (length < 0 || start + 4 + length > this.end) {
      throw new FlatbufferBoundsError(`a string of ${length} bytes at offset ${start} runs past the end of the file`);
    }
    return super.__string(offset, encoding);
  }
}

export { CheckedByteBuffer, FlatbufferBoundsError };
