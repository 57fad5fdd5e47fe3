import {
  type BuiltinOperator,
  type ModelT,
  OperatorCodeT,
  OperatorT,
  type SubGraphT,
  type TensorT,
  type TensorType,
} from '../tflite/generated/schema_generated.js';
import { bufferBytes, ModelBuffer } from '../tflite/modelBuffers.js';
import { builtinCode, opName, setBuiltinCode } from '../tflite/opcodes.js';

/**
 * Small, safe edits of a model's graph for the compressors: constants,
 * consumers, new tensors and operators, and a final compaction that drops
 * what nothing references any more and renumbers the rest.
 */
interface Consumer {
  readonly op: OperatorT;
  readonly slot: number;
}

/** The data of a constant tensor (a non-empty buffer), or undefined. */
const constantData = (model: ModelT, tensor: TensorT): Uint8Array | undefined => {
  const data = bufferBytes(model.buffers[tensor.buffer]);
  return data.length > 0 ? data : undefined;
};

/** Each tensor's readers, by tensor index. */
const consumersOf = (subgraph: SubGraphT): Map<number, Consumer[]> => {
  const consumers = new Map<number, Consumer[]>();
  for (const op of subgraph.operators) {
    op.inputs.forEach((tensor, slot) => {
      if (tensor < 0) return;
      const list = consumers.get(tensor) ?? [];
      list.push({ op, slot });
      consumers.set(tensor, list);
    });
  }
  return consumers;
};

const addBuffer = (model: ModelT, data: Uint8Array): number => {
  model.buffers.push(new ModelBuffer(data));
  return model.buffers.length - 1;
};

/** Replaces a tensor's data with a buffer of its own (buffers may be shared). */
const setConstant = (model: ModelT, tensor: TensorT, type: TensorType, data: Uint8Array): void => {
  tensor.type = type;
  tensor.buffer = addBuffer(model, data);
};

/** An activation tensor like `template` (shape, signature), of `type`. */
const addTensor = (subgraph: SubGraphT, template: TensorT, name: string, type: TensorType): number => {
  const tensor = Object.assign(Object.create(Object.getPrototypeOf(template)), template) as TensorT;
  tensor.name = name;
  tensor.type = type;
  tensor.buffer = 0;
  tensor.quantization = null;
  tensor.sparsity = null;
  tensor.shape = [...template.shape];
  tensor.shapeSignature = [...template.shapeSignature];
  subgraph.tensors.push(tensor);
  return subgraph.tensors.length - 1;
};

/** The index of the operator code for a builtin, created when missing; its version raised to at least `version`. */
const opcodeIndex = (model: ModelT, builtin: BuiltinOperator, version: number): number => {
  let index = model.operatorCodes.findIndex((code) => builtinCode(code) === builtin);
  if (index < 0) {
    const code = new OperatorCodeT();
    setBuiltinCode(code, builtin);
    code.version = version;
    model.operatorCodes.push(code);
    index = model.operatorCodes.length - 1;
  }
  const code = model.operatorCodes[index]!;
  code.version = Math.max(code.version, version);
  return index;
};

/** An operator without options. */
const makeOp = (opcode: number, inputs: number[], outputs: number[]): OperatorT => {
  const op = new OperatorT();
  op.opcodeIndex = opcode;
  op.inputs = inputs;
  op.outputs = outputs;
  return op;
};

/** Inserts `op` just before the first operator in `subgraph` that reads `tensor` (TFLite needs topological order). */
const insertBeforeFirstReader = (subgraph: SubGraphT, tensor: number, op: OperatorT): void => {
  const first = subgraph.operators.findIndex((candidate) => candidate.inputs.includes(tensor));
  subgraph.operators.splice(first < 0 ? subgraph.operators.length : first, 0, op);
};

/** A tensor's name as a string (the object API types it loosely). */
const nameOf = (tensor: TensorT, index?: number): string =>
  typeof tensor.name === 'string' && tensor.name !== '' ? tensor.name : `tensor ${index ?? '?'}`;

const opLabel = (model: ModelT, op: OperatorT): string => opName(model.operatorCodes[op.opcodeIndex]!);

/**
 * Drops tensors no operator, subgraph I/O or signature uses, then buffers no
 * tensor or metadata entry uses, renumbering references. Buffer 0 (the empty
 * sentinel) stays.
 */
const compact = (model: ModelT): void => {
  for (const subgraph of model.subgraphs) {
    const used = new Set<number>([...subgraph.inputs, ...subgraph.outputs]);
    for (const op of subgraph.operators)
      for (const t of [...op.inputs, ...op.outputs, ...op.intermediates]) if (t >= 0) used.add(t);
    const index = model.subgraphs.indexOf(subgraph);
    for (const signature of model.signatureDefs) {
      if (signature.subgraphIndex === index)
        for (const map of [...signature.inputs, ...signature.outputs]) used.add(map.tensorIndex);
    }
    const renumber = new Map<number, number>();
    subgraph.tensors = subgraph.tensors.filter((_, i) => {
      if (!used.has(i)) return false;
      renumber.set(i, renumber.size);
      return true;
    });
    const map = (t: number): number => (t < 0 ? t : renumber.get(t)!);
    for (const op of subgraph.operators) {
      op.inputs = op.inputs.map(map);
      op.outputs = op.outputs.map(map);
      op.intermediates = op.intermediates.map(map);
    }
    subgraph.inputs = subgraph.inputs.map(map);
    subgraph.outputs = subgraph.outputs.map(map);
    for (const signature of model.signatureDefs) {
      if (signature.subgraphIndex !== index) continue;
      for (const entry of [...signature.inputs, ...signature.outputs]) entry.tensorIndex = map(entry.tensorIndex);
    }
  }
  const usedBuffers = new Set<number>([0]);
  for (const subgraph of model.subgraphs) for (const tensor of subgraph.tensors) usedBuffers.add(tensor.buffer);
  for (const entry of model.metadata) usedBuffers.add(entry.buffer);
  for (const index of model.metadataBuffer) usedBuffers.add(index);
  const renumber = new Map<number, number>();
  model.buffers = model.buffers.filter((_, i) => {
    if (!usedBuffers.has(i)) return false;
    renumber.set(i, renumber.size);
    return true;
  });
  for (const subgraph of model.subgraphs)
    for (const tensor of subgraph.tensors) tensor.buffer = renumber.get(tensor.buffer)!;
  for (const entry of model.metadata) entry.buffer = renumber.get(entry.buffer)!;
  model.metadataBuffer = model.metadataBuffer.map((i) => renumber.get(i)!);
};

export type { Consumer };
export {
  addBuffer,
  addTensor,
  compact,
  constantData,
  consumersOf,
  insertBeforeFirstReader,
  makeOp,
  nameOf,
  opcodeIndex,
  opLabel,
  setConstant,
};
