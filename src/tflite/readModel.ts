import { ModelFormatError } from '../errors.js';
import { CheckedByteBuffer } from './CheckedByteBuffer.js';
import { Model, type ModelT, QuantizationDetails } from './generated/schema_generated.js';
import './modelBuffers.js';
import { validateModel } from './validateModel.js';
import { findZipTrailer } from './zipTrailer.js';

/** A parsed .tflite file. */
interface TfliteFile {
  readonly model: ModelT;
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

const unpack = (bytes: Uint8Array): ModelT => {
  const buffer = new CheckedByteBuffer(bytes, Math.max(MIN_READ_BUDGET, bytes.length * READ_BUDGET_PER_BYTE));
  return Model.getRootAsModel(buffer).unpack();
};

/**
 * Parses and validates a .tflite file. Throws ModelFormatError with a
 * sentence saying what is wrong; never reads outside `bytes`.
 */
const readModel = (bytes: Uint8Array): TfliteFile => {
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
  let model: ModelT;
  let trailer = zip.archive;
  try {
    try {
      model = unpack(bytes.subarray(0, zip.start));
    } catch (error) {
      // A zip signature inside weights would cut the flatbuffer short; the
      // whole file is the flatbuffer then.
      if (zip.start === bytes.length) throw error;
      model = unpack(bytes);
      trailer = new Uint8Array(0);
    }
  } catch (error) {
    const reason = error instanceof RangeError ? error.message : String(error);
    throw new ModelFormatError(`malformed TFLite model: ${reason}`, { cause: error });
  }
  validateModel(model);
  // An empty quantization table means no quantization; null says so, and is not written back.
  for (const subgraph of model.subgraphs) {
    for (const tensor of subgraph.tensors) {
      const q = tensor.quantization;
      if (
        q &&
        q.scale.length + q.zeroPoint.length + q.min.length + q.max.length === 0 &&
        q.detailsType === QuantizationDetails.NONE
      ) {
        tensor.quantization = null;
      }
    }
  }
  return { model, trailer, bytes: bytes.length };
};

export type { TfliteFile };
export { readModel };
