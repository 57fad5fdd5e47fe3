import { Model, type ModelT, QuantizationDetails } from './generated/schema_generated.js';
import './modelBuffers.js';
import { checkedBuffer, type ModelFile, malformed, openModel } from './openModel.js';

/** A .tflite file opened (validated) and unpacked into the object API, for tools that rewrite models. */
interface TfliteFile extends ModelFile {
  readonly model: ModelT;
}

/**
 * Parses and validates a .tflite file. Throws ModelFormatError with a
 * sentence saying what is wrong; never reads outside `bytes`.
 */
const readModel = (bytes: Uint8Array): TfliteFile => {
  const file = openModel(bytes);
  let model: ModelT;
  try {
    model = Model.getRootAsModel(checkedBuffer(file.flatbuffer)).unpack();
  } catch (error) {
    throw malformed(error);
  }
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
  return { ...file, model };
};

export type { TfliteFile };
export { readModel };
