import type { Builder } from 'flatbuffers';
import { Model, Operator, QuantizationParameters, Tensor } from './generated/schema_generated.js';

/**
 * Two packing economies the generated object API lacks, so that rewriting a
 * model does not make it larger than the converter made it:
 *
 * - An empty optional vector is left out (readers treat absent and empty the
 *   same) instead of costing a length word and padding on every tensor.
 * - Per-channel quantization stores an int64 zero point per channel, almost
 *   always all zeros: 8 bytes a channel, 150 KB across a landmark model. A
 *   flatbuffer may point many tables at one vector, so each distinct
 *   zero-point vector is stored once per file.
 */
type VectorFactory = (builder: Builder, data: ArrayLike<unknown>) => number;

const omitWhenEmpty = (owner: object, method: string): void => {
  const target = owner as Record<string, VectorFactory>;
  const create = target[method]!.bind(owner);
  target[method] = (builder, data) => (data.length === 0 ? 0 : create(builder, data));
};

for (const method of ['createMinVector', 'createMaxVector', 'createScaleVector'])
  omitWhenEmpty(QuantizationParameters, method);
for (const method of ['createShapeSignatureVector', 'createVariantTensorsVector']) omitWhenEmpty(Tensor, method);
for (const method of ['createCustomOptionsVector', 'createMutatingVariableInputsVector', 'createIntermediatesVector'])
  omitWhenEmpty(Operator, method);
for (const method of [
  'createMetadataBufferVector',
  'createSignatureDefsVector',
  'createExternalBufferGroupsVector',
  'createExternalBuffersVector',
]) {
  omitWhenEmpty(Model, method);
}

const zeroPoints = new WeakMap<Builder, Map<string, number>>();
const createZeroPoints = QuantizationParameters.createZeroPointVector.bind(QuantizationParameters);

QuantizationParameters.createZeroPointVector = (builder: Builder, data: bigint[]): number => {
  if (data.length === 0) return 0;
  let vectors = zeroPoints.get(builder);
  if (!vectors) {
    vectors = new Map();
    zeroPoints.set(builder, vectors);
  }
  const key = data.every((value) => value === 0n) ? `zeros:${data.length}` : data.join(',');
  let offset = vectors.get(key);
  if (offset === undefined) {
    offset = createZeroPoints(builder, data);
    vectors.set(key, offset);
  }
  return offset;
};
