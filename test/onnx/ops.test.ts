import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/engine/loadModel.js';
import { seededRandom } from '../../src/engine/syntheticInputs.js';
import { UnsupportedError } from '../../src/errors.js';
import { floatsToHalves } from '../../src/float16.js';
import {
  ActivationFunctionType as Act,
  AddOptionsT,
  ArgMaxOptionsT,
  BuiltinOptions,
  ConcatenationOptionsT,
  Conv2DOptionsT,
  DepthToSpaceOptionsT,
  DepthwiseConv2DOptionsT,
  FullyConnectedOptionsT,
  MulOptionsT,
  BuiltinOperator as Op,
  Padding,
  Pool2DOptionsT,
  ReducerOptionsT,
  ResizeBilinearOptionsT,
  ResizeNearestNeighborOptionsT,
  SoftmaxOptionsT,
  TensorType,
} from '../../src/tflite/generated/schema_generated.js';
import { answersLikeNative } from '../helpers/ortCompare.js';
import { floatBytes, graphModel, int32Bytes, singleOpModel } from '../helpers/tinyModels.js';

type Spec = Parameters<typeof graphModel>[0][number];
type OpSpec = Parameters<typeof graphModel>[1][number];

const random = seededRandom(11);
const values = (n: number, scale = 1): number[] => Array.from({ length: n }, () => (random() * 2 - 1) * scale);

const convOptions = (padding: Padding, stride: number, act = Act.NONE, dilation = 1) => {
  const o = new Conv2DOptionsT();
  Object.assign(o, { padding, strideW: stride, strideH: stride, fusedActivationFunction: act });
  Object.assign(o, { dilationWFactor: dilation, dilationHFactor: dilation });
  return { type: BuiltinOptions.Conv2DOptions, value: o };
};

/** `input` [1,H,W,inC] → CONV_2D k×k to `outShape` → `name`: its tensors and op. */
const conv = (
  input: string,
  inC: number,
  outShape: number[],
  k: number,
  options: ReturnType<typeof convOptions>,
  name = 'y',
): { tensors: Spec[]; op: OpSpec } => {
  const outC = outShape[3]!;
  return {
    tensors: [
      { name: `${name}_w`, shape: [outC, k, k, inC], data: floatBytes(values(outC * k * k * inC)) },
      { name: `${name}_b`, shape: [outC], data: floatBytes(values(outC)) },
      { name, shape: outShape },
    ],
    op: { op: Op.CONV_2D, inputs: [input, `${name}_w`, `${name}_b`], output: name, options },
  };
};

const pool = (padding: Padding, k: number, stride: number) => {
  const o = new Pool2DOptionsT();
  Object.assign(o, { padding, filterWidth: k, filterHeight: k, strideW: stride, strideH: stride });
  return { type: BuiltinOptions.Pool2DOptions, value: o };
};

/** x [1,7,9,3] → CONV_2D SAME 3x3 to 4 channels (NCHW inside the ONNX graph) → `op` → y. */
const afterConv = (op: Op, extra: Spec[], inputs: string[], output: Spec, options?: OpSpec['options']) => {
  const c = conv('x', 3, [1, 7, 9, 4], 3, convOptions(Padding.SAME, 1), 'c');
  return graphModel(
    [{ name: 'x', shape: [1, 7, 9, 3] }, ...c.tensors, ...extra, output],
    [c.op, { op, inputs, output: output.name, ...(options && { options }) }],
  );
};

const check = async (bytes: Uint8Array, tolerances?: Parameters<typeof answersLikeNative>[1]): Promise<void> =>
  (await answersLikeNative(bytes, tolerances)).dispose();

describe('ort: convolutions and pools answer as TFLite does', () => {
  it('CONV_2D SAME, stride 2 over odd sizes (the odd padding pixel after), RELU6', async () => {
    const c = conv('x', 3, [1, 4, 5, 6], 3, convOptions(Padding.SAME, 2, Act.RELU6));
    await check(graphModel([{ name: 'x', shape: [1, 7, 9, 3] }, ...c.tensors], [c.op]));
  });

  it('CONV_2D VALID with dilation 2, RELU', async () => {
    const c = conv('x', 2, [1, 4, 6, 3], 3, convOptions(Padding.VALID, 1, Act.RELU, 2));
    await check(graphModel([{ name: 'x', shape: [1, 8, 10, 2] }, ...c.tensors], [c.op]));
  });

  it('DEPTHWISE_CONV_2D with depth multiplier 2 (a grouped Conv), SAME stride 2', async () => {
    const o = new DepthwiseConv2DOptionsT();
    Object.assign(o, { padding: Padding.SAME, strideW: 2, strideH: 2, depthMultiplier: 2 });
    o.fusedActivationFunction = Act.RELU;
    const bytes = graphModel(
      [
        { name: 'x', shape: [1, 9, 8, 3] },
        { name: 'w', shape: [1, 3, 3, 6], data: floatBytes(values(54)) },
        { name: 'b', shape: [6], data: floatBytes(values(6)) },
        { name: 'y', shape: [1, 5, 4, 6] },
      ],
      [
        {
          op: Op.DEPTHWISE_CONV_2D,
          inputs: ['x', 'w', 'b'],
          output: 'y',
          options: { type: BuiltinOptions.DepthwiseConv2DOptions, value: o },
        },
      ],
    );
    await check(bytes);
  });

  it('AVERAGE_POOL_2D SAME averages only the pixels inside the input; MAX_POOL_2D VALID', async () => {
    await check(
      singleOpModel(
        Op.AVERAGE_POOL_2D,
        [
          { name: 'x', shape: [1, 7, 9, 3] },
          { name: 'y', shape: [1, 4, 5, 3] },
        ],
        pool(Padding.SAME, 3, 2),
      ),
    );
    await check(
      singleOpModel(
        Op.MAX_POOL_2D,
        [
          { name: 'x', shape: [1, 7, 9, 3] },
          { name: 'y', shape: [1, 3, 4, 3] },
        ],
        pool(Padding.VALID, 2, 2),
      ),
    );
  });

  it('float16 weights read through DEQUANTIZE are folded to float32 constants', async () => {
    const halves = floatsToHalves(values(54));
    const bytes = graphModel(
      [
        { name: 'x', shape: [1, 5, 5, 2] },
        { name: 'w16', shape: [3, 3, 3, 2], type: TensorType.FLOAT16, data: new Uint8Array(halves.buffer) },
        { name: 'w', shape: [3, 3, 3, 2] },
        { name: 'b', shape: [3], data: floatBytes(values(3)) },
        { name: 'y', shape: [1, 5, 5, 3] },
      ],
      [
        { op: Op.DEQUANTIZE, inputs: ['w16'], output: 'w' },
        { op: Op.CONV_2D, inputs: ['x', 'w', 'b'], output: 'y', options: convOptions(Padding.SAME, 1) },
      ],
    );
    await check(bytes);
  });
});

describe('ort: ops on TFLite axes after NCHW convolutions', () => {
  it('RESHAPE flattens in NHWC order', async () => {
    await check(
      afterConv(
        Op.RESHAPE,
        [{ name: 'shape', shape: [3], type: TensorType.INT32, data: int32Bytes([1, 63, 4]) }],
        ['c', 'shape'],
        { name: 'y', shape: [1, 63, 4] },
      ),
    );
  });

  it('FULLY_CONNECTED over a 4-D input flattens it in NHWC order', async () => {
    const fc = new FullyConnectedOptionsT();
    fc.fusedActivationFunction = Act.RELU;
    await check(
      afterConv(
        Op.FULLY_CONNECTED,
        [
          { name: 'fw', shape: [5, 252], data: floatBytes(values(5 * 252, 0.1)) },
          { name: 'fb', shape: [5], data: floatBytes(values(5)) },
        ],
        ['c', 'fw', 'fb'],
        { name: 'y', shape: [1, 5] },
        { type: BuiltinOptions.FullyConnectedOptions, value: fc },
      ),
    );
  });

  it('ADD broadcasts a per-channel [C] constant over an NCHW value, with a fused RELU', async () => {
    const add = new AddOptionsT();
    add.fusedActivationFunction = Act.RELU;
    await check(
      afterConv(
        Op.ADD,
        [{ name: 'k', shape: [4], data: floatBytes([0.5, -1, 2, -0.25]) }],
        ['c', 'k'],
        { name: 'y', shape: [1, 7, 9, 4] },
        { type: BuiltinOptions.AddOptions, value: add },
      ),
    );
  });

  it('MUL by a [1,1,1,C] constant', async () => {
    await check(
      afterConv(
        Op.MUL,
        [{ name: 'k', shape: [1, 1, 1, 4], data: floatBytes([0.5, -1, 2, 3]) }],
        ['c', 'k'],
        { name: 'y', shape: [1, 7, 9, 4] },
        { type: BuiltinOptions.MulOptions, value: new MulOptionsT() },
      ),
    );
  });

  it.each([
    [3, [1, 7, 9, 8]],
    [1, [1, 14, 9, 4]],
    [-2, [1, 7, 18, 4]],
  ])('CONCATENATION along TFLite axis %i', async (axis, shape) => {
    const c1 = conv('x', 3, [1, 7, 9, 4], 3, convOptions(Padding.SAME, 1), 'c1');
    const c2 = conv('x', 3, [1, 7, 9, 4], 1, convOptions(Padding.SAME, 1), 'c2');
    const o = new ConcatenationOptionsT();
    o.axis = axis;
    const concat = { type: BuiltinOptions.ConcatenationOptions, value: o };
    await check(
      graphModel(
        [{ name: 'x', shape: [1, 7, 9, 3] }, ...c1.tensors, ...c2.tensors, { name: 'y', shape }],
        [c1.op, c2.op, { op: Op.CONCATENATION, inputs: ['c1', 'c2'], output: 'y', options: concat }],
      ),
    );
  });

  it.each([
    [[1, 2], false, [1, 4]],
    [[2], false, [1, 7, 4]],
    [[1, 2], true, [1, 1, 1, 4]],
    [[3], false, [1, 7, 9]],
  ])('MEAN over axes %j (keep dims %s)', async (axes, keepDims, shape) => {
    const o = new ReducerOptionsT();
    o.keepDims = keepDims;
    await check(
      afterConv(
        Op.MEAN,
        [{ name: 'axes', shape: [axes.length], type: TensorType.INT32, data: int32Bytes(axes) }],
        ['c', 'axes'],
        { name: 'y', shape },
        { type: BuiltinOptions.ReducerOptions, value: o },
      ),
    );
  });

  it('SOFTMAX with beta 0.5 over the channels of an NCHW value', async () => {
    const o = new SoftmaxOptionsT();
    o.beta = 0.5;
    const options = { type: BuiltinOptions.SoftmaxOptions, value: o };
    await check(afterConv(Op.SOFTMAX, [], ['c'], { name: 'y', shape: [1, 7, 9, 4] }, options));
  });

  it('ARG_MAX over the channels, int32 out', async () => {
    const o = new ArgMaxOptionsT();
    o.outputType = TensorType.INT32;
    await check(
      afterConv(
        Op.ARG_MAX,
        [{ name: 'axis', shape: [1], type: TensorType.INT32, data: int32Bytes([3]) }],
        ['c', 'axis'],
        { name: 'y', shape: [1, 7, 9], type: TensorType.INT32 },
        { type: BuiltinOptions.ArgMaxOptions, value: o },
      ),
    );
  });

  it('PAD with uneven paddings on H and W', async () => {
    await check(
      afterConv(
        Op.PAD,
        [{ name: 'p', shape: [4, 2], type: TensorType.INT32, data: int32Bytes([0, 0, 1, 2, 0, 1, 0, 0]) }],
        ['c', 'p'],
        { name: 'y', shape: [1, 10, 10, 4] },
      ),
    );
  });

  it('DEPTH_TO_SPACE orders channels as TFLite does (DCR)', async () => {
    const o = new DepthToSpaceOptionsT();
    o.blockSize = 2;
    const options = { type: BuiltinOptions.DepthToSpaceOptions, value: o };
    await check(afterConv(Op.DEPTH_TO_SPACE, [], ['c'], { name: 'y', shape: [1, 14, 18, 1] }, options));
  });

  it.each([
    [Op.RESIZE_BILINEAR, false, false],
    [Op.RESIZE_BILINEAR, true, false],
    [Op.RESIZE_BILINEAR, false, true],
    [Op.RESIZE_NEAREST_NEIGHBOR, false, false],
    [Op.RESIZE_NEAREST_NEIGHBOR, true, false],
    [Op.RESIZE_NEAREST_NEIGHBOR, false, true],
  ])('resize op %s (align_corners %s, half_pixel_centers %s)', async (op, alignCorners, halfPixelCenters) => {
    const bilinear = op === Op.RESIZE_BILINEAR;
    const o = bilinear ? new ResizeBilinearOptionsT() : new ResizeNearestNeighborOptionsT();
    Object.assign(o, { alignCorners, halfPixelCenters });
    const type = bilinear ? BuiltinOptions.ResizeBilinearOptions : BuiltinOptions.ResizeNearestNeighborOptions;
    await check(
      afterConv(
        op,
        [{ name: 'size', shape: [2], type: TensorType.INT32, data: int32Bytes([16, 13]) }],
        ['c', 'size'],
        { name: 'y', shape: [1, 16, 13, 4] },
        { type, value: o },
      ),
    );
  });

  it.each([Op.LOGISTIC, Op.TANH, Op.HARD_SWISH, Op.RELU, Op.RELU6])('op %s', async (op) => {
    await check(afterConv(op, [], ['c'], { name: 'y', shape: [1, 7, 9, 4] }));
  });
});

describe('ort: quantized and hybrid ops', () => {
  it('int8: QUANTIZE, per-channel CONV_2D whose RELU6 clamp is not a no-op, DEQUANTIZE: within one step', async () => {
    const inQ = { scale: [4 / 255], zeroPoint: [0] };
    // The output's range is [-4, 8]: RELU6 clamps it to [0, 6] in integers.
    const outQ = { scale: [12 / 255], zeroPoint: [-43] };
    const wScales = [0.02, 0.01, 0.03];
    const weights = Int8Array.from(values(3 * 3 * 3 * 2, 127), Math.round);
    const bias = Int32Array.from(values(3, 200), Math.round);
    const bytes = graphModel(
      [
        { name: 'x', shape: [1, 6, 5, 2] },
        { name: 'xq', shape: [1, 6, 5, 2], type: TensorType.INT8, quantization: inQ },
        {
          name: 'w',
          shape: [3, 3, 3, 2],
          type: TensorType.INT8,
          data: new Uint8Array(weights.buffer),
          quantization: { scale: wScales, zeroPoint: [0, 0, 0], quantizedDimension: 0 },
        },
        {
          name: 'b',
          shape: [3],
          type: TensorType.INT32,
          data: new Uint8Array(bias.buffer),
          quantization: { scale: wScales.map((s) => s * inQ.scale[0]!), zeroPoint: [0, 0, 0] },
        },
        { name: 'yq', shape: [1, 6, 5, 3], type: TensorType.INT8, quantization: outQ },
        { name: 'y', shape: [1, 6, 5, 3] },
      ],
      [
        { op: Op.QUANTIZE, inputs: ['x'], output: 'xq' },
        { op: Op.CONV_2D, inputs: ['xq', 'w', 'b'], output: 'yq', options: convOptions(Padding.SAME, 1, Act.RELU6) },
        { op: Op.DEQUANTIZE, inputs: ['yq'], output: 'y' },
      ],
    );
    // One output step (12/255) relative to the outputs' range [0, 6], and not one more.
    await check(bytes, { tolerance: 12 / 255 / 6 + 1e-6 });
  });

  it.each([
    ['per-channel weights (the input quantized asymmetrically)', [0.02, 0.01, 0.03]],
    ['per-tensor weights (the input quantized symmetrically)', [0.02]],
  ])('hybrid CONV_2D, %s', async (_name, scales) => {
    const weights = Int8Array.from(values(3 * 3 * 3 * 2, 127), Math.round);
    const bytes = graphModel(
      [
        { name: 'x', shape: [1, 6, 5, 2] },
        {
          name: 'w',
          shape: [3, 3, 3, 2],
          type: TensorType.INT8,
          data: new Uint8Array(weights.buffer),
          quantization: { scale: scales, zeroPoint: scales.map(() => 0), quantizedDimension: 0 },
        },
        { name: 'b', shape: [3], data: floatBytes(values(3)) },
        { name: 'y', shape: [1, 6, 5, 3] },
      ],
      [{ op: Op.CONV_2D, inputs: ['x', 'w', 'b'], output: 'y', options: convOptions(Padding.SAME, 1, Act.RELU) }],
    );
    await check(bytes, { tolerance: 1e-5 });
  });

  it('hybrid FULLY_CONNECTED (int8 weights, the float input quantized per row at run time)', async () => {
    const fc = new FullyConnectedOptionsT();
    fc.asymmetricQuantizeInputs = true;
    const weights = Int8Array.from(values(4 * 16, 127), Math.round);
    const bytes = graphModel(
      [
        { name: 'x', shape: [1, 16] },
        {
          name: 'w',
          shape: [4, 16],
          type: TensorType.INT8,
          data: new Uint8Array(weights.buffer),
          quantization: { scale: [0.01], zeroPoint: [0] },
        },
        { name: 'b', shape: [4], data: floatBytes(values(4)) },
        { name: 'y', shape: [1, 4] },
      ],
      [
        {
          op: Op.FULLY_CONNECTED,
          inputs: ['x', 'w', 'b'],
          output: 'y',
          options: { type: BuiltinOptions.FullyConnectedOptions, value: fc },
        },
      ],
    );
    await check(bytes, { tolerance: 1e-5 });
  });
});

describe('ort: what it does not translate', () => {
  it('names every untranslated op in one UnsupportedError', async () => {
    const bytes = graphModel(
      [
        { name: 'x', shape: [1, 8] },
        { name: 'r', shape: [1, 8] },
        { name: 'y', shape: [1, 8] },
      ],
      [
        { op: Op.SQRT, inputs: ['x'], output: 'r' },
        { op: Op.FLOOR, inputs: ['r'], output: 'y' },
      ],
    );
    const load = loadModel(bytes, { engine: 'ort', threads: 1 });
    await expect(load).rejects.toBeInstanceOf(UnsupportedError);
    await expect(load).rejects.toThrow(
      'the ort engine cannot take this model: ops not translated to ONNX: FLOOR, SQRT',
    );
  });
});
