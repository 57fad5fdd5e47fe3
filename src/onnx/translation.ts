import { UnsupportedError } from '../errors.js';
import {
  ActivationFunctionType,
  type ModelT,
  type OperatorT,
  type SubGraphT,
  type TensorT,
  TensorType,
} from '../tflite/generated/schema_generated.js';
import { opName } from '../tflite/opcodes.js';
import { attr, type Constant, GraphBuilder } from './graphBuilder.js';
import { type Layout, permute, TO_NCHW, TO_NHWC, transposeData } from './layout.js';
import type { OnnxType } from './onnxProto.js';
import { dequantize, floatActivation, quantize, quantizedClamp } from './quantization.js';
import { constantData, isQuantizedType, onnxTypeOf, type QuantParams, quantParams } from './tfliteTensors.js';

/** A name usable in ONNX value names and error messages. */
const cleanName = (name: string): string => name.replace(/[^\w./:-]+/g, '_').slice(0, 80);

/**
 * The state of one model's translation: the ONNX graph being built, and for
 * each TFLite tensor computed so far its ONNX value in one or both layouts.
 * Constants become initializers when first asked for, in the layout asked.
 * Quantized tensors hold their integers; ops that compute read them through
 * DequantizeLinear and write them through QuantizeLinear, the QDQ form ONNX
 * Runtime fuses into its integer kernels. Int8 activations are held as uint8
 * (the same scale, zero point + 128: the same real values): ONNX Runtime's
 * CPU kernels take uint8 activations with int8 weights, and converts int8
 * QDQ graphs to that form itself only in part, leaving depthwise
 * convolutions and additions unfused. Weights stay int8.
 */
class Translation {
  public readonly graph = new GraphBuilder();
  readonly #values = new Map<number, Partial<Record<Layout, string>>>();
  readonly #data = new Map<number, Constant | null>();

  public constructor(
    public readonly model: ModelT,
    public readonly subgraph: SubGraphT,
  ) {}

  public tensor(index: number): TensorT {
    const tensor = this.subgraph.tensors[index];
    if (!tensor) throw new UnsupportedError(`an operator reads tensor ${index}, which does not exist`);
    return tensor;
  }

  public shape(index: number): readonly number[] {
    return this.tensor(index).shape;
  }

  public rank(index: number): number {
    return this.tensor(index).shape.length;
  }

  public hint(index: number): string {
    return cleanName(String(this.tensor(index).name ?? `t${index}`));
  }

  /** The constant's values (float16 widened), or null for an activation. */
  public data(index: number): Constant | null {
    if (!this.#data.has(index)) this.#data.set(index, constantData(this.model, this.tensor(index)));
    return this.#data.get(index)!;
  }

  /** Makes a tensor a constant (a DEQUANTIZE of constant weights, folded at translation). */
  public setConstant(index: number, data: Constant): void {
    this.#data.set(index, data);
  }

  public isConstant(index: number): boolean {
    return index >= 0 && this.data(index) !== null;
  }

  /** Quantization of a tensor holding integers (int8/uint8/int32 with a scale), else null. */
  public quant(index: number): QuantParams | null {
    const tensor = this.tensor(index);
    if (tensor.type === TensorType.FLOAT32 || tensor.type === TensorType.FLOAT16) return null;
    return quantParams(tensor);
  }

  public isQuantized(index: number): boolean {
    return isQuantizedType(this.tensor(index)) && this.quant(index) !== null;
  }

  /** Int8 activations (and constants read as activations) are held as uint8, shifted by 128. */
  #shifted(index: number): boolean {
    return this.tensor(index).type === TensorType.INT8 && this.quant(index) !== null;
  }

  /** The integer type the tensor's ONNX value holds (uint8 for int8 activations). */
  public storedType(index: number): TensorType {
    return this.#shifted(index) ? TensorType.UINT8 : this.tensor(index).type;
  }

  /** The quantization of the tensor's ONNX value (int8 activations: zero point + 128). */
  public storedQuant(index: number): QuantParams | null {
    const q = this.quant(index);
    if (q === null || !this.#shifted(index)) return q;
    return { ...q, zeroPoint: q.zeroPoint.map((z) => z + 128) };
  }

  /** The layout the tensor's value is already in (NCHW when it has both), for ops that work in either. */
  public layoutOf(index: number): Layout {
    return this.#values.get(index)?.nchw !== undefined ? 'nchw' : 'nhwc';
  }

  public define(index: number, name: string, layout: Layout): void {
    const entry = this.#values.get(index) ?? {};
    entry[this.rank(index) === 4 ? layout : 'nhwc'] = name;
    this.#values.set(index, entry);
  }

  /** The tensor's ONNX value (integers for a quantized tensor) in `layout` (rank 4 only; others are as TFLite has them). */
  public value(index: number, layout: Layout = 'nhwc'): string {
    const wanted: Layout = this.rank(index) === 4 ? layout : 'nhwc';
    const entry = this.#values.get(index) ?? {};
    const known = entry[wanted];
    if (known !== undefined) return known;
    let name: string;
    const data = this.data(index);
    if (data !== null) {
      const shape = this.shape(index);
      const stored = this.#shifted(index) ? Uint8Array.from(data as Int8Array, (v) => v + 128) : data;
      name =
        wanted === 'nchw'
          ? this.graph.constant(transposeData(stored, shape, TO_NCHW), permute(shape, TO_NCHW), this.hint(index))
          : this.graph.constant(stored, shape, this.hint(index));
    } else {
      const other = entry[wanted === 'nchw' ? 'nhwc' : 'nchw'];
      if (other === undefined) throw new UnsupportedError(`tensor ${this.hint(index)} is read before it is written`);
      name = this.graph.op('Transpose', [other], `${this.hint(index)}_${wanted}`, [
        attr.ints('perm', wanted === 'nchw' ? TO_NCHW : TO_NHWC),
      ]);
    }
    entry[wanted] = name;
    this.#values.set(index, entry);
    return name;
  }

  /** A constant transposed by `perm` (weights into ONNX's order). */
  public constantPermuted(index: number, perm: readonly number[], hint: string): string {
    const data = this.data(index);
    if (data === null) throw new UnsupportedError(`${this.hint(index)} must be a constant to be translated`);
    const shape = this.shape(index);
    return this.graph.constant(transposeData(data, shape, perm), permute(shape, perm), hint);
  }

  /** The tensor's real values: its ONNX value, dequantized when it holds integers. */
  public float(index: number, layout: Layout = 'nhwc'): string {
    const value = this.value(index, layout);
    const tensor = this.tensor(index);
    const q = this.storedQuant(index);
    if (q !== null) return dequantize(this.graph, value, q, this.storedType(index), this.hint(index));
    if (tensor.type !== TensorType.FLOAT32)
      throw new UnsupportedError(`${this.hint(index)} is not a float tensor where one is expected`);
    return value;
  }

  /**
   * Writes an op's real result into output tensor `index`: quantized to the
   * tensor's parameters (and clamped as TFLite's quantized kernels clamp for
   * the fused activation, when that is not a no-op), or as floats with the
   * fused activation applied.
   */
  public store(
    index: number,
    real: string,
    layout: Layout,
    activation: ActivationFunctionType = ActivationFunctionType.NONE,
  ): void {
    const tensor = this.tensor(index);
    const q = this.storedQuant(index);
    const hint = this.hint(index);
    if (q === null) {
      if (tensor.type !== TensorType.FLOAT32)
        throw new UnsupportedError(`${hint} is a ${TensorType[tensor.type]} result without quantization`);
      this.define(index, floatActivation(this.graph, real, activation, hint), layout);
      return;
    }
    this.storeIntegers(index, quantize(this.graph, real, tensor, this.storedType(index), q, hint), layout, activation);
  }

  /**
   * Writes integers computed without leaving the quantized domain (a max
   * pool, a concatenation of tensors sharing parameters) into `index`, clamped
   * for its fused activation as TFLite's kernels do.
   */
  public storeIntegers(
    index: number,
    integers: string,
    layout: Layout,
    activation: ActivationFunctionType = ActivationFunctionType.NONE,
  ): void {
    const tensor = this.tensor(index);
    const q = this.storedQuant(index);
    const clamp = q === null ? null : quantizedClamp(tensor, this.storedType(index), q, activation);
    if (q === null && activation !== ActivationFunctionType.NONE)
      throw new UnsupportedError(`a fused activation on ${this.hint(index)}, which is neither float nor quantized`);
    this.define(index, clamp === null ? integers : this.#clamp(index, integers, clamp), layout);
  }

  #clamp(index: number, integers: string, [low, high]: readonly [number, number]): string {
    const hint = this.hint(index);
    const int8 = this.storedType(index) === TensorType.INT8;
    const bound = (v: number) => this.graph.constant(int8 ? Int8Array.of(v) : Uint8Array.of(v), [], `${hint}_bound`);
    return this.graph.op('Clip', [integers, bound(low), bound(high)], `${hint}_clamped`);
  }

  /** Defines a graph input: int8 activations are moved to the uint8 form held inside. */
  public defineInput(index: number, name: string): void {
    const tensor = this.tensor(index);
    const q = this.quant(index);
    if (q === null || this.storedType(index) === tensor.type) {
      this.define(index, name, 'nhwc');
      return;
    }
    const real = dequantize(this.graph, name, q, tensor.type, this.hint(index));
    this.define(
      index,
      quantize(this.graph, real, tensor, this.storedType(index), this.storedQuant(index)!, `${this.hint(index)}_u8`),
      'nhwc',
    );
  }

  /** A graph output's value as TFLite types it (int8 activations back from their uint8 form). */
  public outputValue(index: number): string {
    const value = this.value(index, 'nhwc');
    const tensor = this.tensor(index);
    const q = this.quant(index);
    if (q === null || this.storedType(index) === tensor.type) return value;
    const real = dequantize(this.graph, value, this.storedQuant(index)!, this.storedType(index), this.hint(index));
    return quantize(this.graph, real, tensor, tensor.type, q, `${this.hint(index)}_int8`);
  }

  /** Whether two tensors share type and quantization, so that integers pass between them unchanged. */
  public sameQuantization(a: number, b: number): boolean {
    const [ta, tb] = [this.tensor(a), this.tensor(b)];
    const [qa, qb] = [this.quant(a), this.quant(b)];
    if (ta.type !== tb.type) return false;
    if (qa === null || qb === null) return qa === qb;
    return (
      qa.scale.length === qb.scale.length &&
      qa.scale.every((s, i) => Math.fround(s) === Math.fround(qb.scale[i]!)) &&
      qa.zeroPoint.every((z, i) => z === qb.zeroPoint[i])
    );
  }

  public onnxType(index: number): OnnxType {
    return onnxTypeOf(this.tensor(index));
  }

  public opName(op: OperatorT): string {
    return opName(this.model.operatorCodes[op.opcodeIndex]!);
  }
}

export { Translation };
