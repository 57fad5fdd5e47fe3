import {
  BuiltinOperator,
  FullyConnectedOptionsT,
  type ModelT,
  type OperatorT,
  QuantizationParametersT,
  type SubGraphT,
  type TensorT,
  TensorType,
} from '../../tflite/generated/schema_generated.js';
import { builtinCode, opName } from '../../tflite/opcodes.js';
import { addBuffer, addTensor, compact, constantData, makeOp, nameOf, opcodeIndex } from '../graph.js';
import { quantizeSymmetricInt8, roundHalfAway } from '../quantMath.js';
import type { TransformResult } from '../types.js';
import { weightRoundingShift } from './biasCorrection.js';
import type { Range } from './calibrate.js';
import { isIndexInput, ruleFor } from './opRules.js';

type IoType = 'float32' | 'int8' | 'uint8';

interface Int8Options {
  /** Model inputs and outputs: float32 (QUANTIZE/DEQUANTIZE at the edges), or integer. */
  readonly io: IoType;
  /** Op outputs (tensor names) or op types (CONV_2D) to keep in float. */
  readonly keepFloat: ReadonlySet<string>;
  /** Fold the mean shift that rounding the weights causes back into the bias (default on). */
  readonly biasCorrection?: boolean;
}

interface FloatOp {
  readonly op: string;
  readonly output: string;
  readonly reason: string;
}

interface Int8Result extends TransformResult {
  /** Operators that stayed float, wrapped in DEQUANTIZE/QUANTIZE, and why. */
  readonly floatOps: FloatOp[];
  /** Names of the quantized operators' outputs, with their op type. */
  readonly quantizedOutputs: { name: string; op: string }[];
}

interface Params {
  readonly scale: number;
  readonly zeroPoint: number;
}

const QUANTIZE_VERSION = 2;
const DEQUANTIZE_VERSION = 2;
const INT32_MAX = 2 ** 31 - 1;

/** Asymmetric int8 parameters for a range (GetAsymmetricQuantizationParams): it always contains 0. */
const asymmetric = (range: Range): Params => {
  const min = Math.min(range.min, 0);
  const max = Math.max(range.max, 0, min + 1e-8);
  const scale = Math.fround((max - min) / 255);
  const zeroPoint = Math.max(-128, Math.min(127, roundHalfAway(-128 - min / scale)));
  return { scale, zeroPoint };
};

const quantization = (
  scales: readonly number[],
  zeroPoints: readonly number[],
  axis = 0,
  range?: Range,
): QuantizationParametersT => {
  const q = new QuantizationParametersT();
  q.scale = [...scales];
  q.zeroPoint = zeroPoints.map(BigInt);
  q.quantizedDimension = axis;
  if (range) {
    q.min = [range.min];
    q.max = [range.max];
  }
  return q;
};

const sameParams = (a: Params, b: Params): boolean => a.scale === b.scale && a.zeroPoint === b.zeroPoint;

/** Ops that only move data (no arithmetic), which may stay float at a float output for free. */
const DATA_MOVEMENT = new Set<BuiltinOperator>([
  BuiltinOperator.RESHAPE,
  BuiltinOperator.CONCATENATION,
  BuiltinOperator.SQUEEZE,
]);

/**
 * The reshapes and concatenations that feed only float model outputs. Left
 * int8, a concatenation forces one range on all its inputs: BlazeFace's box
 * regressors from two heads share [-109, 261], a 1.4-pixel step where one
 * head alone needs 0.4. Kept float, each head keeps its own range and the
 * float copy costs a few kilobytes of memory traffic.
 */
const floatTail = (model: ModelT): Set<OperatorT> => {
  const subgraph = model.subgraphs[0]!;
  const outputs = new Set(subgraph.outputs);
  const tail = new Set<OperatorT>();
  const readers = new Map<number, OperatorT[]>();
  for (const op of subgraph.operators)
    for (const input of op.inputs) if (input >= 0) readers.set(input, [...(readers.get(input) ?? []), op]);
  for (const op of [...subgraph.operators].reverse()) {
    if (!DATA_MOVEMENT.has(builtinCode(model.operatorCodes[op.opcodeIndex]!))) continue;
    const output = op.outputs[0]!;
    const consumers = readers.get(output) ?? [];
    if ((outputs.has(output) || consumers.length > 0) && consumers.every((reader) => tail.has(reader))) tail.add(op);
  }
  return tail;
};

/**
 * Full-integer quantization with calibrated ranges, per the TFLite int8
 * spec: asymmetric int8 activations, symmetric int8 weights (per channel for
 * convolutions), int32 biases at input scale × weight scale, fixed output
 * parameters for LOGISTIC/SOFTMAX/TANH, shared parameters through pooling,
 * reshaping, padding and resizing, requantized inputs for CONCATENATION.
 * An op without an int8 rule here, or named in keepFloat, stays float
 * between a DEQUANTIZE and a QUANTIZE.
 */
const quantizeInt8 = (model: ModelT, ranges: ReadonlyMap<string, Range>, options: Int8Options): Int8Result => {
  const subgraph: SubGraphT = model.subgraphs[0]!;
  const result: Int8Result = { tensors: [], skipped: [], floatOps: [], quantizedOutputs: [] };
  const params = new Map<number, Params>();
  const int8Of = new Map<number, number>();
  const floatOf = new Map<number, number>();
  const operators: OperatorT[] = [];
  const tensorName = (index: number): string => nameOf(subgraph.tensors[index]!, index);
  const rangeOf = (index: number): Range => {
    const range = ranges.get(tensorName(index));
    if (!range) throw new Error(`no calibration range for ${tensorName(index)}`);
    return range;
  };
  const setInt8 = (tensor: TensorT, p: Params, range?: Range): void => {
    tensor.type = TensorType.INT8;
    tensor.quantization = quantization([p.scale], [p.zeroPoint], 0, range);
  };
  const newTensor = (template: number, suffix: string, type: TensorType): number =>
    addTensor(subgraph, subgraph.tensors[template]!, `${tensorName(template)}${suffix}`, type);
  const constTensor = (
    template: number,
    suffix: string,
    type: TensorType,
    data: Uint8Array,
    q: QuantizationParametersT,
  ): number => {
    const index = newTensor(template, suffix, type);
    const tensor = subgraph.tensors[index]!;
    tensor.buffer = addBuffer(model, data);
    tensor.quantization = q;
    return index;
  };

  /** The int8 version of an activation, quantizing a float one before the op about to be emitted. */
  const ensureInt8 = (index: number): number => {
    if (params.has(index)) return index;
    const existing = int8Of.get(index);
    if (existing !== undefined) return existing;
    const p = asymmetric(rangeOf(index));
    const int8 = newTensor(index, '_int8', TensorType.INT8);
    setInt8(subgraph.tensors[int8]!, p, rangeOf(index));
    params.set(int8, p);
    int8Of.set(index, int8);
    operators.push(makeOp(opcodeIndex(model, BuiltinOperator.QUANTIZE, QUANTIZE_VERSION), [index], [int8]));
    return int8;
  };

  /** The float version of an int8 activation, dequantized before the op about to be emitted. */
  const ensureFloat = (index: number): number => {
    if (!params.has(index)) return index;
    const existing = floatOf.get(index);
    if (existing !== undefined) return existing;
    const float = newTensor(index, '_float', TensorType.FLOAT32);
    floatOf.set(index, float);
    operators.push(makeOp(opcodeIndex(model, BuiltinOperator.DEQUANTIZE, DEQUANTIZE_VERSION), [index], [float]));
    return float;
  };

  const requantize = (index: number, target: Params): number => {
    const out = newTensor(index, '_requantized', TensorType.INT8);
    setInt8(subgraph.tensors[out]!, target);
    params.set(out, target);
    operators.push(makeOp(opcodeIndex(model, BuiltinOperator.QUANTIZE, QUANTIZE_VERSION), [index], [out]));
    return out;
  };

  // Integer model inputs.
  for (const input of subgraph.inputs) {
    if (options.io === 'float32') continue;
    const p = asymmetric(rangeOf(input));
    if (options.io === 'int8') {
      setInt8(subgraph.tensors[input]!, p, rangeOf(input));
      params.set(input, p);
    } else {
      const tensor = subgraph.tensors[input]!;
      tensor.type = TensorType.UINT8;
      tensor.quantization = quantization([p.scale], [p.zeroPoint + 128]);
      const int8 = newTensor(input, '_int8', TensorType.INT8);
      setInt8(subgraph.tensors[int8]!, p);
      params.set(int8, p);
      int8Of.set(input, int8);
      operators.push(makeOp(opcodeIndex(model, BuiltinOperator.QUANTIZE, QUANTIZE_VERSION), [input], [int8]));
    }
  }

  const tail = options.io === 'float32' ? floatTail(model) : new Set<OperatorT>();
  for (const op of subgraph.operators) {
    const builtin = builtinCode(model.operatorCodes[op.opcodeIndex]!);
    const name = opName(model.operatorCodes[op.opcodeIndex]!);
    const output = op.outputs[0]!;
    const rule = ruleFor(builtin);
    const activations = op.inputs
      .map((t, slot) => ({ t, slot }))
      .filter(
        ({ t, slot }) =>
          t >= 0 && !isIndexInput(builtin, slot) && !(rule?.weights && slot in rule.weights) && slot !== rule?.bias,
      );
    let reason: string | undefined;
    if (!rule) reason = 'no int8 kernel in this quantizer';
    else if (options.keepFloat.has(tensorName(output)) || options.keepFloat.has(name)) reason = 'kept float on request';
    else if (tail.has(op)) reason = 'moves data to a float output: float is exact and free';
    else if (op.outputs.length !== 1) reason = 'multiple outputs';
    else if (!ranges.has(tensorName(output)) && rule.output === 'calibrated') reason = 'no calibration range';
    if (reason) {
      op.inputs = op.inputs.map((t) => (t >= 0 ? ensureFloat(t) : t));
      operators.push(op);
      result.floatOps.push({ op: name, output: tensorName(output), reason });
      continue;
    }
    // Activation inputs (and float constants used as operands) become int8.
    // A constant operand of an op that does not rescale takes the parameters
    // the kernel will read it with: the output's, or for 'same' the first input's.
    const sharedParams = (slot: number): Params | undefined => {
      if (rule!.requantizeInputs && rule!.output === 'calibrated') return asymmetric(rangeOf(output));
      if (rule!.output === 'same' && slot > 0) return params.get(op.inputs[0]!);
      return undefined;
    };
    for (const { t, slot } of activations) {
      const data = constantData(model, subgraph.tensors[t]!);
      if (!data) op.inputs[slot] = ensureInt8(t);
    }
    for (const { t, slot } of activations) {
      const data = constantData(model, subgraph.tensors[t]!);
      if (data && subgraph.tensors[t]!.type === TensorType.FLOAT32) {
        const values = new Float32Array(data.slice().buffer);
        let min = Number.POSITIVE_INFINITY;
        let max = Number.NEGATIVE_INFINITY;
        for (const v of values) {
          min = Math.min(min, v);
          max = Math.max(max, v);
        }
        const p = sharedParams(slot) ?? asymmetric({ min, max });
        const q = Int8Array.from(values, (v) =>
          Math.max(-128, Math.min(127, roundHalfAway(v / p.scale) + p.zeroPoint)),
        );
        const index = constTensor(
          t,
          '_int8',
          TensorType.INT8,
          new Uint8Array(q.buffer),
          quantization([p.scale], [p.zeroPoint]),
        );
        params.set(index, p);
        op.inputs[slot] = index;
      }
    }
    // Weights: symmetric int8; then the bias at input scale × weight scale.
    let weightScales: number[] | undefined;
    let biasShift: Float64Array | undefined;
    for (const [slotText, axis] of Object.entries(rule!.weights ?? {})) {
      const slot = Number(slotText);
      const t = op.inputs[slot]!;
      const data = t >= 0 ? constantData(model, subgraph.tensors[t]!) : undefined;
      if (!data || subgraph.tensors[t]!.type !== TensorType.FLOAT32) continue;
      const values = new Float32Array(data.slice().buffer);
      const weight = subgraph.tensors[t]!;
      const { quantized, scales, stats } = quantizeSymmetricInt8(values, weight.shape, axis);
      weightScales = scales;
      const means = ranges.get(tensorName(activations[0]?.t ?? -1))?.channelMeans;
      if (options.biasCorrection !== false && means)
        biasShift = weightRoundingShift(builtin, values, weight.shape, quantized, scales, means);
      op.inputs[slot] = constTensor(
        t,
        '_int8',
        TensorType.INT8,
        new Uint8Array(quantized.buffer),
        quantization(
          scales,
          scales.map(() => 0),
          axis ?? 0,
        ),
      );
      result.tensors.push({
        name: tensorName(t),
        consumer: name,
        from: 'float32',
        to: axis === undefined ? 'int8 (per-tensor)' : `int8 (per-channel, axis ${axis})`,
        elements: values.length,
        ...stats,
      });
    }
    const inputParams = params.get(op.inputs[0]!);
    if (rule!.bias !== undefined && weightScales && inputParams) {
      const t = op.inputs[rule!.bias];
      const data = t !== undefined && t >= 0 ? constantData(model, subgraph.tensors[t]!) : undefined;
      if (t !== undefined && data && subgraph.tensors[t]!.type === TensorType.FLOAT32) {
        const values = new Float32Array(data.slice().buffer);
        if (biasShift?.length === values.length) for (let c = 0; c < values.length; c++) values[c]! -= biasShift[c]!;
        const scales = values.map((_, c) =>
          Math.fround(inputParams.scale * (weightScales![weightScales!.length === 1 ? 0 : c] ?? 0)),
        );
        const q = Int32Array.from(values, (v, c) =>
          Math.max(-INT32_MAX, Math.min(INT32_MAX, roundHalfAway(v / scales[c]!))),
        );
        let maxAbs = 0;
        let squares = 0;
        values.forEach((v, c) => {
          const error = Math.abs(v - q[c]! * scales[c]!);
          maxAbs = Math.max(maxAbs, error);
          squares += error * error;
        });
        // One scale for per-tensor weights: TFLite reads a bias's scale from its legacy per-tensor field.
        const biasScales = weightScales.length === 1 ? [scales[0]!] : Array.from(scales);
        op.inputs[rule!.bias] = constTensor(
          t,
          '_int32',
          TensorType.INT32,
          new Uint8Array(q.buffer),
          quantization(
            biasScales,
            biasScales.map(() => 0),
          ),
        );
        result.tensors.push({
          name: tensorName(t),
          consumer: name,
          from: 'float32',
          to: 'int32',
          elements: values.length,
          maxAbsError: maxAbs,
          rmse: Math.sqrt(squares / values.length),
        });
      }
    }
    // The output's parameters.
    let p: Params;
    if (rule!.output === 'same') p = params.get(op.inputs[0]!) ?? asymmetric(rangeOf(output));
    else if (rule!.output === 'calibrated') p = asymmetric(rangeOf(output));
    else p = rule!.output;
    if (rule!.requantizeInputs) {
      for (const { slot } of activations) {
        const input = op.inputs[slot]!;
        if (!sameParams(params.get(input)!, p)) op.inputs[slot] = requantize(input, p);
      }
    }
    let version = rule!.version;
    if (builtin === BuiltinOperator.MUL) {
      const [a, b] = [params.get(op.inputs[0]!), params.get(op.inputs[1]!)];
      if (a && b && (a.scale * b.scale) / p.scale >= 1) version = 3;
    }
    if (
      builtin === BuiltinOperator.FULLY_CONNECTED &&
      op.builtinOptions instanceof FullyConnectedOptionsT &&
      op.builtinOptions.keepNumDims
    )
      version = 5;
    op.opcodeIndex = opcodeIndex(model, builtin, version);
    setInt8(subgraph.tensors[output]!, p, rule!.output === 'calibrated' ? rangeOf(output) : undefined);
    params.set(output, p);
    operators.push(op);
    result.quantizedOutputs.push({ name: tensorName(output), op: name });
  }

  // Model outputs.
  subgraph.outputs = subgraph.outputs.map((output) => {
    const int8 = params.has(output) ? output : int8Of.get(output);
    if (int8 === undefined || options.io === 'int8') return output;
    const original = subgraph.tensors[output]!;
    const name = tensorName(output);
    original.name = `${name}_int8`;
    const out = addTensor(subgraph, original, name, options.io === 'uint8' ? TensorType.UINT8 : TensorType.FLOAT32);
    if (options.io === 'uint8') {
      const p = params.get(output)!;
      subgraph.tensors[out]!.quantization = quantization([p.scale], [p.zeroPoint + 128]);
      operators.push(makeOp(opcodeIndex(model, BuiltinOperator.QUANTIZE, QUANTIZE_VERSION), [output], [out]));
    } else {
      operators.push(makeOp(opcodeIndex(model, BuiltinOperator.DEQUANTIZE, DEQUANTIZE_VERSION), [output], [out]));
    }
    for (const signature of model.signatureDefs)
      for (const entry of signature.outputs) if (entry.tensorIndex === output) entry.tensorIndex = out;
    return out;
  });
  subgraph.operators = operators;
  compact(model);
  return result;
};

export type { FloatOp, Int8Options, Int8Result, IoType };
export { quantizeInt8 };
