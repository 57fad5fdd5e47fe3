import { ModelFormatError } from '../errors.js';
import type { ModelT, SubGraphT, TensorT } from './generated/schema_generated.js';
import { bufferBytes } from './modelBuffers.js';
import { arityProblem } from './opArity.js';
import { builtinCode, CUSTOM, MAX_BUILTIN, opName } from './opcodes.js';
import { schemaTypeBytes, schemaTypeName } from './tensorTypes.js';
import { checkSparsity } from './validateSparsity.js';

// Beyond these no real model goes, and TFLite would try to allocate them.
const MAX_TENSOR_BYTES = 2 ** 31 - 1;
const MAX_RANK = 16;
// Window parameters: TFLite 2.9's kernels divide by strides and trust them
// (a negative stride crashes CONV_2D); no real model goes near the bound.
const WINDOW_OPTION = /^(stride[DWH]|dilation[DWH]Factor|filter(Width|Height))$/;
const MAX_WINDOW = 1 << 16;

const fail = (message: string): never => {
  throw new ModelFormatError(`invalid TFLite model: ${message}`);
};

const checkIndex = (value: number, count: number, what: string, allowOptional = false): void => {
  if (allowOptional && value === -1) return;
  if (!Number.isInteger(value) || value < 0 || value >= count) fail(`${what} is ${value}, outside 0..${count - 1}`);
};

const checkTensor = (model: ModelT, tensor: TensorT, where: string): void => {
  const name = `${where} tensor ${JSON.stringify(tensor.name ?? '')}`;
  checkIndex(tensor.buffer, model.buffers.length, `${name}'s buffer index`);
  if (tensor.shape.length > MAX_RANK) fail(`${name} has rank ${tensor.shape.length}`);
  let elements = 1;
  for (const dim of tensor.shape) {
    if (!Number.isInteger(dim) || dim < 0) fail(`${name} has dimension ${dim} in shape [${tensor.shape}]`);
    elements *= dim;
  }
  const elementBytes = schemaTypeBytes(tensor.type);
  if (elementBytes !== undefined && elements * elementBytes > MAX_TENSOR_BYTES) {
    fail(`${name} of shape [${tensor.shape}] would need ${elements * elementBytes} bytes`);
  }
  const data = bufferBytes(model.buffers[tensor.buffer]);
  if (tensor.sparsity) {
    const problem =
      elementBytes === undefined
        ? 'sparse tensors of this type are not supported'
        : checkSparsity(tensor, tensor.sparsity, data.length, elementBytes);
    if (problem) fail(`${name} is sparse and ${problem}`);
  } else if (data.length > 0 && elementBytes !== undefined && data.length !== elements * elementBytes) {
    fail(
      `${name} holds ${data.length} bytes but its shape [${tensor.shape}] of ${schemaTypeName(tensor.type)} needs ${elements * elementBytes}`,
    );
  }
  const quantization = tensor.quantization;
  if (quantization && quantization.scale.length > 0) {
    const { scale, zeroPoint, quantizedDimension } = quantization;
    if (zeroPoint.length > 0 && zeroPoint.length !== scale.length) {
      fail(`${name} has ${scale.length} quantization scales but ${zeroPoint.length} zero points`);
    }
    if (scale.length > 1) {
      checkIndex(quantizedDimension, tensor.shape.length, `${name}'s quantized dimension`);
      if (tensor.shape[quantizedDimension] !== scale.length) {
        fail(`${name} has ${scale.length} per-channel scales for ${tensor.shape[quantizedDimension]} channels`);
      }
    }
  }
};

/**
 * The graph must be one a converter writes: every tensor an operator reads
 * exists by then (a subgraph input, a constant, a variable, or an earlier
 * operator's output); every tensor is written once; and a single-output
 * operator's result is read by someone (or is a subgraph output). TFLite 2.9
 * checks none of this: a kernel reading a never-written tensor dereferences
 * null, and XNNPACK crashes on a node whose result nobody reads.
 */
const checkDataflow = (model: ModelT, subgraph: SubGraphT, where: string): void => {
  const ready = new Set<number>(subgraph.inputs);
  subgraph.tensors.forEach((tensor, i) => {
    if (tensor.isVariable || bufferBytes(model.buffers[tensor.buffer]).length > 0) ready.add(i);
  });
  const consumed = new Set<number>(subgraph.outputs);
  for (const op of subgraph.operators) for (const input of op.inputs) consumed.add(input);
  subgraph.operators.forEach((op, opIndex) => {
    const what = `${where} operator ${opIndex} (${opName(model.operatorCodes[op.opcodeIndex]!)})`;
    for (const input of op.inputs) {
      if (input !== -1 && !ready.has(input)) {
        fail(
          `${what} reads tensor ${input} ${JSON.stringify(subgraph.tensors[input]?.name ?? '')} before anything writes it`,
        );
      }
    }
    for (const output of op.outputs) {
      if (output === -1) continue;
      if (ready.has(output)) fail(`${what} writes tensor ${output}, which is already written or constant`);
      ready.add(output);
    }
    if (op.outputs.length === 1 && op.outputs[0] !== -1 && !consumed.has(op.outputs[0]!)) {
      fail(`${what} writes tensor ${op.outputs[0]} that nothing reads`);
    }
  });
  for (const output of subgraph.outputs) {
    if (!ready.has(output)) fail(`${where} output tensor ${output} is never written`);
  }
};

const checkSubgraph = (model: ModelT, subgraph: SubGraphT, index: number): void => {
  const where = `subgraph ${index}`;
  const tensors = subgraph.tensors.length;
  for (const tensor of subgraph.tensors) checkTensor(model, tensor, where);
  for (const input of subgraph.inputs) checkIndex(input, tensors, `${where} input`);
  for (const output of subgraph.outputs) checkIndex(output, tensors, `${where} output`);
  subgraph.operators.forEach((op, opIndex) => {
    const what = `${where} operator ${opIndex}`;
    checkIndex(op.opcodeIndex, model.operatorCodes.length, `${what}'s opcode index`);
    for (const input of op.inputs) checkIndex(input, tensors, `${what} input`, true);
    for (const output of op.outputs) checkIndex(output, tensors, `${what} output`, true);
    for (const intermediate of op.intermediates) checkIndex(intermediate, tensors, `${what} intermediate`);
    const code = model.operatorCodes[op.opcodeIndex]!;
    const arity = arityProblem(builtinCode(code), op.inputs, op.outputs);
    if (arity) fail(`${what} (${opName(code)}) ${arity}`);
    // Control-flow ops (IF, WHILE, CALL_ONCE, StableHLO...) name other subgraphs.
    const options = op.builtinOptions as Record<string, unknown> | null;
    for (const [key, value] of Object.entries(options ?? {})) {
      if (WINDOW_OPTION.test(key) && (typeof value !== 'number' || value < 1 || value > MAX_WINDOW)) {
        fail(`${what} (${opName(model.operatorCodes[op.opcodeIndex]!)}) has ${key} ${String(value)}`);
      }
      if (/SubgraphIndex$/.test(key) && typeof value === 'number') {
        checkIndex(value, model.subgraphs.length, `${what} (${opName(model.operatorCodes[op.opcodeIndex]!)}) ${key}`);
      }
    }
  });
  checkDataflow(model, subgraph, where);
};

/**
 * The checks TFLite's own flatbuffer verifier does not make and whose
 * failure would let a damaged file reach the native runtime: indices in
 * range, buffers that match their tensors' shapes, plausible sizes.
 */
const validateModel = (model: ModelT): void => {
  if (model.version !== 3) fail(`schema version ${model.version} (only version 3 exists)`);
  if (model.subgraphs.length === 0) fail('it has no subgraphs');
  if (model.buffers.length === 0 || bufferBytes(model.buffers[0]).length > 0) {
    fail('buffer 0 must be the empty sentinel buffer');
  }
  model.operatorCodes.forEach((code, index) => {
    const builtin = builtinCode(code);
    if (builtin < 0 || builtin > MAX_BUILTIN) fail(`operator code ${index} names unknown builtin operator ${builtin}`);
    if (code.version < 1) fail(`operator code ${index} (${opName(code)}) has version ${code.version}`);
    if (builtin === CUSTOM && !code.customCode) fail(`operator code ${index} is a custom op without a name`);
  });
  model.subgraphs.forEach((subgraph, index) => {
    checkSubgraph(model, subgraph, index);
  });
  for (const signature of model.signatureDefs) {
    checkIndex(signature.subgraphIndex, model.subgraphs.length, `signature ${signature.signatureKey}'s subgraph`);
    const tensors = model.subgraphs[signature.subgraphIndex]!.tensors.length;
    for (const map of [...signature.inputs, ...signature.outputs]) {
      checkIndex(map.tensorIndex, tensors, `signature ${signature.signatureKey} tensor ${map.name}`);
    }
  }
  for (const entry of model.metadata) checkIndex(entry.buffer, model.buffers.length, `metadata ${entry.name}'s buffer`);
};

export { validateModel };
