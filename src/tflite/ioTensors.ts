import { type DType, dtypeFromSchemaType } from '../dtypes.js';
import type { Quantization } from '../engine/types.js';
import type { Tensor as FlatTensor } from './generated/reader/schema_generated.js';
import { opName } from './opcodes.js';
import type { ModelFile } from './openModel.js';
import { vectorOf } from './vectorOf.js';

/** An input or output of the main subgraph as the file declares it. */
interface FileTensor {
  /** The tensor's index in subgraph 0. */
  readonly index: number;
  readonly name: string;
  /** Undefined for types no engine here exchanges. */
  readonly dtype: DType | undefined;
  /** As stored; empty for a scalar, or for an output whose op sets its shape when it runs. */
  readonly shape: readonly number[];
  readonly quantization: Quantization | null;
  /** The op that writes this tensor (CONV_2D, or a custom op's name), when one does. */
  readonly producer?: string;
}

const quantizationOf = (tensor: FlatTensor): Quantization | null => {
  const q = tensor.quantization();
  const scales = q?.scaleLength() ?? 0;
  if (!q || scales === 0) return null;
  return {
    scale: vectorOf(scales, (i) => q.scale(i)),
    zeroPoint: vectorOf(q.zeroPointLength(), (i) => Number(q.zeroPoint(i))),
    quantizedDimension: q.quantizedDimension(),
  };
};

/**
 * The main subgraph's inputs and outputs, with their quantization, read from
 * the file: what every engine must report the same way, whatever its own
 * runtime tells (LiteRT.js tells no quantization at all).
 */
const ioTensors = (file: ModelFile): { inputs: FileTensor[]; outputs: FileTensor[] } => {
  const subgraph = file.root.subgraphs(0)!;
  const producers = new Map<number, string>();
  for (const operator of vectorOf(subgraph.operatorsLength(), (i) => subgraph.operators(i))) {
    const code = file.operatorCodes[operator.opcodeIndex()];
    if (!code) continue;
    for (const output of vectorOf(operator.outputsLength(), (i) => operator.outputs(i)))
      producers.set(output, opName(code));
  }
  const describe = (index: number): FileTensor => {
    const tensor = subgraph.tensors(index)!;
    const producer = producers.get(index);
    return {
      index,
      name: tensor.name() ?? '',
      dtype: dtypeFromSchemaType(tensor.type()),
      shape: vectorOf(tensor.shapeLength(), (i) => tensor.shape(i)),
      quantization: quantizationOf(tensor),
      ...(producer !== undefined && { producer }),
    };
  };
  return {
    inputs: vectorOf(subgraph.inputsLength(), (i) => subgraph.inputs(i)).map(describe),
    outputs: vectorOf(subgraph.outputsLength(), (i) => subgraph.outputs(i)).map(describe),
  };
};

/** The signature-def name of each main-subgraph tensor that has one (LiteRT.js names inputs and outputs by it). */
const signatureNames = (file: ModelFile): Map<number, string> => {
  const names = new Map<number, string>();
  const signature = vectorOf(file.root.signatureDefsLength(), (i) => file.root.signatureDefs(i)).find(
    (def) => def.subgraphIndex() === 0,
  );
  if (!signature) return names;
  for (const map of [
    ...vectorOf(signature.inputsLength(), (i) => signature.inputs(i)),
    ...vectorOf(signature.outputsLength(), (i) => signature.outputs(i)),
  ])
    names.set(map.tensorIndex(), map.name() ?? '');
  return names;
};

export type { FileTensor };
export { ioTensors, signatureNames };
