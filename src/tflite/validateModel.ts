import { ModelFormatError } from '../errors.js';
import { type Model, type SubGraph, type Tensor, TensorType } from './generated/reader/schema_generated.js';
import { kernelProblem } from './kernelAssumptions.js';
import { arityProblem } from './opArity.js';
import { builtinCode, CUSTOM, MAX_BUILTIN, type OpCode, opName, readCode } from './opcodes.js';
import { schemaTypeBytes, schemaTypeName } from './tensorTypes.js';
import { checkOptions, type SubgraphCall } from './validateOptions.js';
import { quantizationProblem } from './validateQuantization.js';
import { checkSparsity } from './validateSparsity.js';
import { vectorOf } from './vectorOf.js';

// Beyond these no real model goes, and TFLite would try to allocate them.
const MAX_TENSOR_BYTES = 2 ** 31 - 1;
const MAX_RANK = 16;
const fail = (message: string): never => {
  throw new ModelFormatError(`invalid TFLite model: ${message}`);
};

/** `what` may be a function: the names in messages are built only when a check fails. */
const checkIndex = (value: number, count: number, what: string | (() => string), allowOptional = false): void => {
  if (allowOptional && value === -1) return;
  if (!Number.isInteger(value) || value < 0 || value >= count)
    fail(`${typeof what === 'string' ? what : what()} is ${value}, outside 0..${count - 1}`);
};

/** Bytes a model buffer holds inside the flatbuffer (0 for the sentinel, offset-stored or missing buffers). */
const storedBytes = (model: Model, index: number): number => model.buffers(index)?.dataLength() ?? 0;

/** Every buffer's stored bytes, read once: tensors and the dataflow check ask again and again. */
const bufferSizes = (model: Model): Int32Array => {
  const sizes = new Int32Array(model.buffersLength());
  for (let i = 0; i < sizes.length; i++) sizes[i] = storedBytes(model, i);
  return sizes;
};

const checkTensor = (sizes: Int32Array, tensor: Tensor, where: string): void => {
  // Named only for a message: decoding every tensor's name cost a cold start more than the checks.
  const name = (): string => `${where} tensor ${JSON.stringify(tensor.name() ?? '')}`;
  const buffer = tensor.buffer();
  checkIndex(buffer, sizes.length, () => `${name()}'s buffer index`);
  const rank = tensor.shapeLength();
  if (rank > MAX_RANK) fail(`${name()} has rank ${rank}`);
  if (TensorType[tensor.type()] === undefined) fail(`${name()} has type ${tensor.type()}, not a TFLite tensor type`);
  const shape: number[] = [];
  for (let d = 0; d < rank; d++) shape.push(tensor.shape(d)!);
  let elements = 1;
  for (const dim of shape) {
    if (!Number.isInteger(dim) || dim < 0) fail(`${name()} has dimension ${dim} in shape [${shape}]`);
    elements *= dim;
  }
  const elementBytes = schemaTypeBytes(tensor.type());
  if (elementBytes !== undefined && elements * elementBytes > MAX_TENSOR_BYTES) {
    fail(`${name()} of shape [${shape}] would need ${elements * elementBytes} bytes`);
  }
  const data = sizes[buffer]!;
  const sparsity = tensor.sparsity();
  if (sparsity) {
    const problem =
      elementBytes === undefined
        ? 'sparse tensors of this type are not supported'
        : checkSparsity(shape, sparsity, data, elementBytes);
    if (problem) fail(`${name()} is sparse and ${problem}`);
  } else if (data > 0 && elementBytes !== undefined && data !== elements * elementBytes) {
    fail(
      `${name()} holds ${data} bytes but its shape [${shape}] of ${schemaTypeName(tensor.type())} needs ${elements * elementBytes}`,
    );
  }
  const quantization = quantizationProblem(tensor, shape);
  if (quantization) fail(`${name()} ${quantization}`);
};

/**
 * The graph must be one a converter writes: every tensor an operator reads
 * exists by then (a subgraph input, a constant, a variable, or an earlier
 * operator's output); every tensor is written once; and a single-output
 * operator's result is read by someone (or is a subgraph output). TFLite 2.9
 * checks none of this: a kernel reading a never-written tensor dereferences
 * null, and XNNPACK crashes on a node whose result nobody reads.
 */
const checkDataflow = (
  sizes: Int32Array,
  subgraph: SubGraph,
  operators: readonly { readonly code: OpCode; readonly inputs: number[]; readonly outputs: number[] }[],
  where: string,
): void => {
  const ready = new Set<number>(vectorOf(subgraph.inputsLength(), (i) => subgraph.inputs(i)));
  for (let i = 0; i < subgraph.tensorsLength(); i++) {
    const tensor = subgraph.tensors(i)!;
    if (tensor.isVariable() || sizes[tensor.buffer()]! > 0) ready.add(i);
  }
  const outputs = vectorOf(subgraph.outputsLength(), (i) => subgraph.outputs(i));
  const consumed = new Set<number>(outputs);
  for (const op of operators) for (const input of op.inputs) consumed.add(input);
  operators.forEach((op, opIndex) => {
    const what = (): string => `${where} operator ${opIndex} (${opName(op.code)})`;
    for (const input of op.inputs) {
      if (input !== -1 && !ready.has(input)) {
        fail(
          `${what()} reads tensor ${input} ${JSON.stringify(subgraph.tensors(input)?.name() ?? '')} before anything writes it`,
        );
      }
    }
    for (const output of op.outputs) {
      if (output === -1) continue;
      if (ready.has(output)) fail(`${what()} writes tensor ${output}, which is already written or constant`);
      ready.add(output);
    }
    if (op.outputs.length === 1 && op.outputs[0] !== -1 && !consumed.has(op.outputs[0]!)) {
      fail(`${what()} writes tensor ${op.outputs[0]} that nothing reads`);
    }
  });
  for (const output of outputs) {
    if (!ready.has(output)) fail(`${where} output tensor ${output} is never written`);
  }
};

/** Checks a subgraph; returns the subgraphs its operators call, for the call-graph check. */
const checkSubgraph = (
  model: Model,
  codes: readonly OpCode[],
  sizes: Int32Array,
  subgraph: SubGraph,
  index: number,
): (SubgraphCall & { readonly what: () => string })[] => {
  const where = `subgraph ${index}`;
  const tensors = subgraph.tensorsLength();
  for (let i = 0; i < tensors; i++) checkTensor(sizes, subgraph.tensors(i)!, where);
  for (let i = 0; i < subgraph.inputsLength(); i++) checkIndex(subgraph.inputs(i)!, tensors, `${where} input`);
  for (let i = 0; i < subgraph.outputsLength(); i++) checkIndex(subgraph.outputs(i)!, tensors, `${where} output`);
  const operators = vectorOf(subgraph.operatorsLength(), (opIndex) => subgraph.operators(opIndex)).map(
    (op, opIndex) => {
      const what = `${where} operator ${opIndex}`;
      checkIndex(op.opcodeIndex(), model.operatorCodesLength(), `${what}'s opcode index`);
      const inputs = vectorOf(op.inputsLength(), (i) => op.inputs(i));
      const outputs = vectorOf(op.outputsLength(), (i) => op.outputs(i));
      for (const input of inputs) checkIndex(input, tensors, `${what} input`, true);
      for (const output of outputs) checkIndex(output, tensors, `${what} output`, true);
      for (let i = 0; i < op.intermediatesLength(); i++)
        checkIndex(op.intermediates(i)!, tensors, `${what} intermediate`);
      const code = codes[op.opcodeIndex()]!;
      const builtin = builtinCode(code);
      const named = (): string => `${what} (${opName(code)})`;
      const arity = arityProblem(builtin, inputs, outputs);
      if (arity) fail(`${named()} ${arity}`);
      const calls = checkOptions(op, (problem) => fail(`${named()} ${problem}`)).map((call) => ({
        ...call,
        what: named,
      }));
      for (const call of calls) checkIndex(call.subgraph, model.subgraphsLength(), () => `${named()} ${call.field}`);
      const kernel = kernelProblem(builtin, subgraph, op, inputs, outputs);
      if (kernel) fail(`${named()} ${kernel}`);
      return { code, inputs, outputs, calls };
    },
  );
  checkDataflow(sizes, subgraph, operators, where);
  return operators.flatMap((op) => op.calls);
};

/**
 * No subgraph may end up calling itself: TFLite 2.9 runs a WHILE, IF or
 * CALL_ONCE body by invoking its subgraph, and a cycle (a WHILE whose body
 * is the subgraph it sits in) recurses until the stack overflows (SIGSEGV).
 */
const checkCallGraph = (calls: readonly (readonly (SubgraphCall & { readonly what: () => string })[])[]): void => {
  // 0: not visited, 1: on the current path, 2: done (no cycle through it).
  const state = new Uint8Array(calls.length);
  const visit = (subgraph: number, path: readonly number[]): void => {
    state[subgraph] = 1;
    const here = [...path, subgraph];
    for (const call of calls[subgraph]!) {
      if (state[call.subgraph] === 1) {
        const cycle = [...here.slice(here.indexOf(call.subgraph)), call.subgraph].join(' → ');
        fail(
          `${call.what()} calls subgraph ${call.subgraph} (${call.field}): a cycle, ${cycle}, that TFLite would recurse through without end`,
        );
      }
      if (state[call.subgraph] === 0) visit(call.subgraph, here);
    }
    state[subgraph] = 2;
  };
  for (let subgraph = 0; subgraph < calls.length; subgraph++) if (state[subgraph] === 0) visit(subgraph, []);
};

/**
 * The checks TFLite's own flatbuffer verifier does not make and whose
 * failure would let a damaged file reach the native runtime: indices in
 * range, buffers that match their tensors' shapes, plausible sizes. Reads
 * through the accessors, copying nothing. Returns the operator codes it
 * read, which the loader asks about too.
 */
const validateModel = (model: Model): readonly OpCode[] => {
  if (model.version() !== 3) fail(`schema version ${model.version()} (only version 3 exists)`);
  const subgraphs = model.subgraphsLength();
  if (subgraphs === 0) fail('it has no subgraphs');
  const sizes = bufferSizes(model);
  if (sizes.length === 0 || sizes[0]! > 0) fail('buffer 0 must be the empty sentinel buffer');
  const codes = vectorOf(model.operatorCodesLength(), (index) => model.operatorCodes(index)).map(readCode);
  codes.forEach((code, index) => {
    const builtin = builtinCode(code);
    if (builtin < 0 || builtin > MAX_BUILTIN) fail(`operator code ${index} names unknown builtin operator ${builtin}`);
    if (code.version < 1) fail(`operator code ${index} (${opName(code)}) has version ${code.version}`);
    if (builtin === CUSTOM && !code.customCode) fail(`operator code ${index} is a custom op without a name`);
  });
  const calls = vectorOf(subgraphs, (index) => model.subgraphs(index)).map((subgraph, index) =>
    checkSubgraph(model, codes, sizes, subgraph, index),
  );
  checkCallGraph(calls);
  for (let s = 0; s < model.signatureDefsLength(); s++) {
    const signature = model.signatureDefs(s)!;
    const key = signature.signatureKey();
    checkIndex(signature.subgraphIndex(), subgraphs, `signature ${key}'s subgraph`);
    const tensors = model.subgraphs(signature.subgraphIndex())!.tensorsLength();
    const maps = [
      ...vectorOf(signature.inputsLength(), (i) => signature.inputs(i)),
      ...vectorOf(signature.outputsLength(), (i) => signature.outputs(i)),
    ];
    for (const map of maps) checkIndex(map.tensorIndex(), tensors, `signature ${key} tensor ${map.name()}`);
  }
  for (let i = 0; i < model.metadataLength(); i++) {
    const entry = model.metadata(i)!;
    checkIndex(entry.buffer(), sizes.length, () => `metadata ${entry.name()}'s buffer`);
  }
  return codes;
};

export { validateModel };
