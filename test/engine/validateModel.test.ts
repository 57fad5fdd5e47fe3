import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { optionFieldsSource, READER, TARGET } from '../../scripts/generate-option-fields.js';
import { loadModel } from '../../src/engine/loadModel.js';
import { ModelFormatError } from '../../src/errors.js';
import * as schema from '../../src/tflite/generated/schema_generated.js';
import { openModel } from '../../src/tflite/openModel.js';
import { readModel } from '../../src/tflite/readModel.js';
import { WINDOW_OPTIONS } from '../../src/tflite/validateOptions.js';
import { mediapipe } from '../helpers/models.js';
import { mutateModel, optionsOf } from '../helpers/mutate.js';
import { floatBytes, graphModel, quantizedAddModel, singleOpModel, whileModel } from '../helpers/tinyModels.js';

const { BuiltinOperator, BuiltinOptions, Conv2DOptionsT, Pool2DOptionsT, WhileOptionsT } = schema;
const WINDOW = /^(stride[DWH]|dilation[DWH]Factor|filter(Width|Height))$/;

const refusal = (bytes: Uint8Array): string => {
  try {
    openModel(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(ModelFormatError);
    return (error as Error).message;
  }
  throw new Error('the model was accepted');
};

const conv = (strideW: number): Uint8Array => {
  const options = new Conv2DOptionsT();
  options.strideW = strideW;
  options.strideH = 1;
  return singleOpModel(
    BuiltinOperator.CONV_2D,
    [
      { name: 'x', shape: [1, 4, 4, 1] },
      { name: 'w', shape: [1, 1, 1, 1], data: floatBytes([2]) },
      { name: 'b', shape: [1], data: floatBytes([0]) },
      { name: 'y', shape: [1, 4, 4, 1] },
    ],
    { type: BuiltinOptions.Conv2DOptions, value: options },
  );
};

describe('model validation through the accessors', () => {
  it('checks every builtin options table the schema gives window fields, and those fields', () => {
    // Derived from the object API's classes, so a table a schema update adds cannot be missed.
    const expected = new Map<number, string[]>();
    for (const [name, value] of Object.entries(BuiltinOptions)) {
      if (typeof value !== 'number' || value === BuiltinOptions.NONE) continue;
      const Options = (schema as unknown as Record<string, new () => object>)[`${name}T`]!;
      const window = Object.keys(new Options()).filter((key) => WINDOW.test(key));
      if (window.length > 0) expected.set(value, window);
    }
    expect(new Map([...WINDOW_OPTIONS].map(([type, { fields }]) => [type, [...fields]]))).toEqual(expected);
  });

  it('checks the enum and subgraph fields of every options table as the generated reader has them (the generated list is current)', () => {
    expect(readFileSync(TARGET, 'utf8')).toBe(optionFieldsSource(readFileSync(READER, 'utf8')));
  });

  it("accepts every real model: MediaPipe's, and the shared zoo's (converter-made, quantized, with metadata)", () => {
    const zoo = process.env.TFLS_MODEL_ZOO ?? '../shared/fixtures/models';
    const zooModels = existsSync(zoo) ? readdirSync(zoo).filter((file) => file.endsWith('.tflite')) : [];
    if (zooModels.length === 0) console.log(`${zoo} holds no models: only MediaPipe's are validated here`);
    for (const path of [...Object.values(mediapipe), ...zooModels.map((file) => join(zoo, file))]) {
      expect(() => openModel(new Uint8Array(readFileSync(path))), path).not.toThrow();
    }
  });

  it('accepts real models, and agrees with the object API on what they hold', () => {
    for (const path of [mediapipe.faceDetection, mediapipe.handLandmarkFull]) {
      const bytes = new Uint8Array(readFileSync(path));
      const { root } = openModel(bytes);
      const { model } = readModel(bytes);
      expect(root.subgraphs(0)!.tensorsLength()).toBe(model.subgraphs[0]!.tensors.length);
      expect(root.buffersLength()).toBe(model.buffers.length);
    }
  });

  it('refuses a convolution whose stride TFLite would divide by', () => {
    expect(() => openModel(conv(1))).not.toThrow();
    expect(refusal(conv(0))).toBe('invalid TFLite model: subgraph 0 operator 0 (CONV_2D) has strideW 0');
  });

  it('refuses a pooling window past the bound', () => {
    const options = new Pool2DOptionsT();
    options.strideW = 1;
    options.strideH = 1;
    options.filterWidth = 2;
    options.filterHeight = 70_000;
    const bytes = singleOpModel(
      BuiltinOperator.AVERAGE_POOL_2D,
      [
        { name: 'x', shape: [1, 4, 4, 1] },
        { name: 'y', shape: [1, 4, 4, 1] },
      ],
      { type: BuiltinOptions.Pool2DOptions, value: options },
    );
    expect(refusal(bytes)).toBe('invalid TFLite model: subgraph 0 operator 0 (AVERAGE_POOL_2D) has filterHeight 70000');
  });

  it('refuses a WHILE naming a subgraph the model does not have', () => {
    const options = new WhileOptionsT();
    options.condSubgraphIndex = 0;
    options.bodySubgraphIndex = 5;
    const bytes = singleOpModel(
      BuiltinOperator.WHILE,
      [
        { name: 'x', shape: [1] },
        { name: 'y', shape: [1] },
      ],
      { type: BuiltinOptions.WhileOptions, value: options },
    );
    expect(refusal(bytes)).toBe(
      'invalid TFLite model: subgraph 0 operator 0 (WHILE) bodySubgraphIndex is 5, outside 0..0',
    );
  });

  it('refuses a constant whose bytes do not fill its shape, and an op reading what nothing wrote', () => {
    const short = singleOpModel(BuiltinOperator.ADD, [
      { name: 'a', shape: [1, 2] },
      { name: 'b', shape: [2], data: floatBytes([1]) },
      { name: 'y', shape: [1, 2] },
    ]);
    expect(refusal(short)).toBe(
      'invalid TFLite model: subgraph 0 tensor "b" holds 4 bytes but its shape [2] of float32 needs 8',
    );
    const unwritten = graphModel(
      [
        { name: 'a', shape: [1] },
        { name: 'ghost', shape: [1] },
        { name: 'y', shape: [1] },
      ],
      [{ op: BuiltinOperator.ADD, inputs: ['a', 'ghost'], output: 'y' }],
    );
    expect(refusal(unwritten)).toBe(
      'invalid TFLite model: subgraph 0 operator 0 (ADD) reads tensor 1 "ghost" before anything writes it',
    );
  });
});

describe('what TFLite 2.9 cannot survive, refused with one reason each (the hostile probe: each of these killed the process)', () => {
  const face = new Uint8Array(readFileSync(mediapipe.faceDetection));

  it('an options enum outside its declared values: a CONV_2D padding of 2 (SIGSEGV after a few runs), a fused activation of 9', () => {
    const padding = mutateModel(face, (model) => {
      optionsOf(model, 2).padding = 2;
    });
    expect(refusal(padding)).toBe(
      'invalid TFLite model: subgraph 0 operator 2 (CONV_2D) has padding 2, which is not one of SAME, VALID',
    );
    const activation = mutateModel(face, (model) => {
      optionsOf(model, 2).fusedActivationFunction = 9;
    });
    expect(refusal(activation)).toBe(
      'invalid TFLite model: subgraph 0 operator 2 (CONV_2D) has fusedActivationFunction 9, which is not one of NONE, RELU, RELU_N1_TO_1, RELU6, TANH, SIGN_BIT',
    );
  });

  it('an op without the options table TFLite reads for it (it runs on zeroed strides: SIGFPE)', () => {
    const none = mutateModel(face, (model) => {
      const op = model.subgraphs[0]!.operators[2]!;
      op.builtinOptionsType = BuiltinOptions.NONE;
      op.builtinOptions = null;
    });
    expect(refusal(none)).toBe(
      'invalid TFLite model: subgraph 0 operator 2 (CONV_2D) has no Conv2DOptions (TFLite 2.9 would run it with zeroed parameters)',
    );
  });

  it('a depthwise multiplier its filter does not have (the quantized kernel writes past its output)', () => {
    const multiplied = mutateModel(face, (model) => {
      optionsOf(model, 6).depthMultiplier = 5;
    });
    expect(refusal(multiplied)).toBe(
      'invalid TFLite model: subgraph 0 operator 6 (DEPTHWISE_CONV_2D) has depthMultiplier 5 for 24 input channels, but its filter has 24 output channels',
    );
  });

  it('quantization scales of 0, -1, NaN, Infinity and 1e38 (SIGABRT in TfLiteInterpreterCreate), and zero points outside the type', async () => {
    const good = await loadModel(quantizedAddModel(), { engine: 'native', threads: 1 });
    expect(Array.from(good.run([Int8Array.from([1, 2, 3, 4])])[0]!.data as Int8Array)).toEqual([6, 11, 17, 22]);
    good.dispose();
    for (const scale of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 1e38])
      expect(refusal(quantizedAddModel(scale))).toBe(
        `invalid TFLite model: subgraph 0 tensor "x" has quantization scale ${scale === 1e38 ? '1e+38' : scale} (a scale must be over 0 and at most 2^24)`,
      );
    expect(refusal(quantizedAddModel(0.02, 200))).toBe(
      'invalid TFLite model: subgraph 0 tensor "x" has zero point 200, outside its type\'s -128..127',
    );
  });

  it('an ADD whose input scale is too large for its output (a TFLITE_CHECK aborts: SIGABRT from a scale of 1e5)', () => {
    expect(refusal(quantizedAddModel(1e5))).toBe(
      "invalid TFLite model: subgraph 0 operator 0 (ADD) adds an input of scale 100000 into an output of scale 0.04; TFLite 2.9 aborts on inputs over 524288 times the output's scale",
    );
  });

  it('per-axis quantization along a dimension the tensor lacks, or with a count that is not its size', () => {
    const perAxis = (scales: number, dimension: number) =>
      singleOpModel(BuiltinOperator.ADD, [
        { name: 'a', shape: [1, 4] },
        {
          name: 'w',
          shape: [1, 4],
          type: schema.TensorType.INT8,
          data: new Uint8Array(4),
          quantization: {
            scale: new Array(scales).fill(0.1),
            zeroPoint: new Array(scales).fill(0),
            quantizedDimension: dimension,
          },
        },
        { name: 'y', shape: [1, 4] },
      ]);
    expect(refusal(perAxis(4, 2))).toBe(
      'invalid TFLite model: subgraph 0 tensor "w" has quantized dimension 2, outside 0..1',
    );
    expect(refusal(perAxis(3, 1))).toBe(
      'invalid TFLite model: subgraph 0 tensor "w" has 3 per-channel scales for 4 channels',
    );
  });

  it('a WHILE whose body or condition is the subgraph it sits in (SIGSEGV: recursion inside TFLite)', async () => {
    const loop = await loadModel(whileModel(), { engine: 'native', threads: 1 });
    expect(Array.from(loop.run([Float32Array.from([0])])[0]!.data as Float32Array)).toEqual([10]);
    loop.dispose();
    expect(refusal(whileModel(1, 0))).toBe(
      'invalid TFLite model: subgraph 0 operator 0 (WHILE) calls subgraph 0 (bodySubgraphIndex): a cycle, 0 → 0, that TFLite would recurse through without end',
    );
    expect(refusal(whileModel(0, 2))).toBe(
      'invalid TFLite model: subgraph 0 operator 0 (WHILE) calls subgraph 0 (condSubgraphIndex): a cycle, 0 → 0, that TFLite would recurse through without end',
    );
  });
});
