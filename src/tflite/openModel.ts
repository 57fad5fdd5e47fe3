import { ModelFormatError } from '../errors.js';
import { CheckedByteBuffer } from './CheckedByteBuffer.js';
import { Model } from './generated/reader/schema_generated.js';
import type { OpCode } from './opcodes.js';
import { validateModel } from './validateModel.js';
import { findZipTrailer } from './zipTrailer.js';

/**
 * A .tflite file opened for reading in place: its flatbuffer behind
 * bounds-checked accessors, nothing copied. What loading a model to serve it
 * needs; tools that rewrite models unpack it further (readModel).
 */
interface ModelFile {
  readonly root: Model;
  /** The operator codes, as validation read them. */
  readonly operatorCodes: readonly OpCode[];
  /** The flatbuffer: the file up to the zip of associated files, if any. */
  readonly flatbuffer: Uint8Array;
  /** Whatever followed the flatbuffer (the zip of associated files), kept verbatim. */
  readonly trailer: Uint8Array;
  /** Size of the file read. */
  readonly bytes: number;
}

const IDENTIFIER = 'TFL3';
const TWO_GB = 2 ** 31;
// Reads of a real model's structure stay far below this; a hostile file whose
// tables all point at each other does not.
const READ_BUDGET_PER_BYTE = 8;
const MIN_READ_BUDGET = 4_000_000;

const identifierOf = (bytes: Uint8Array): string => String.fromCharCode(...bytes.subarray(4, 8));

/** A read that failed on damage (a bounds error, or whatever else the accessors met) as a format error. */
const malformed = (error: unknown): ModelFormatError =>
  new ModelFormatError(`malformed TFLite model: ${error instanceof RangeError ? error.message : String(error)}`, {
    cause: error,
  });

/** The flatbuffer behind bounds checks, with a read budget in proportion to its size. */
const checkedBuffer = (flatbuffer: Uint8Array): CheckedByteBuffer =>
  new CheckedByteBuffer(flatbuffer, Math.max(MIN_READ_BUDGET, flatbuffer.length * READ_BUDGET_PER_BYTE));

/** The flatbuffer's root, validated, with the operator codes validation read. */
const validated = (flatbuffer: Uint8Array): Pick<ModelFile, 'root' | 'operatorCodes' | 'flatbuffer'> => {
  const root = Model.getRootAsModel(checkedBuffer(flatbuffer));
  return { root, operatorCodes: validateModel(root), flatbuffer };
};

/**
 * Opens and validates a .tflite file. Throws ModelFormatError with a
 * sentence saying what is wrong; never reads outside `bytes`.
 */
const openModel = (bytes: Uint8Array): ModelFile => {
  if (bytes.length >= TWO_GB) {
    throw new ModelFormatError(
      `models over 2 GB are not supported (this file is ${bytes.length} bytes; TFLite keeps such weights outside the flatbuffer)`,
    );
  }
  if (bytes.length < 16) throw new ModelFormatError(`not a TFLite model: the file is only ${bytes.length} bytes`);
  const identifier = identifierOf(bytes);
  if (identifier !== IDENTIFIER) {
    throw new ModelFormatError(`not a TFLite model: file identifier is ${JSON.stringify(identifier)}, expected "TFL3"`);
  }
  const zip = findZipTrailer(bytes);
  try {
    try {
      return { ...validated(bytes.subarray(0, zip.start)), trailer: zip.archive, bytes: bytes.length };
    } catch (error) {
      // A zip signature inside weights would cut the flatbuffer short; the
      // whole file is the flatbuffer then.
      if (zip.start === bytes.length || error instanceof ModelFormatError) throw error;
      return { ...validated(bytes), trailer: new Uint8Array(0), bytes: bytes.length };
    }
  } catch (error) {
    if (error instanceof ModelFormatError) throw error;
    throw malformed(error);
  }
};

export type { ModelFile };
export { checkedBuffer, malformed, openModel };
