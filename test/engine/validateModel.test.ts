import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../src/errors.js';
import * as schema from '../../src/tflite/generated/schema_generated.js';
import { openModel } from '../../src/tflite/openModel.js';
import { readModel } from '../../src/tflite/readModel.js';
import { CHECKED_OPTIONS } from '../../src/tflite/validateModel.js';
import { mediapipe } from '../helpers/models.js';
import { floatBytes, graphModel, singleOpModel } from '../helpers/tinyModels.js';

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
  it('checks every builtin options table the schema gives window or subgraph fields, and those fields', () => {
    // Derived from the object API's classes, so a table a schema update adds cannot be missed.
    const expected = new Map<number, { window: string[]; subgraphs: string[] }>();
    for (const [name, value] of Object.entries(BuiltinOptions)) {
      if (typeof value !== 'number' || value === BuiltinOptions.NONE) continue;
      const Options = (schema as unknown as Record<string, new () => object>)[`${name}T`]!;
      const keys = Object.keys(new Options());
      const window = keys.filter((key) => WINDOW.test(key));
      const subgraphs = keys.filter((key) => key.endsWith('SubgraphIndex'));
      if (window.length + subgraphs.length > 0) expected.set(value, { window, subgraphs });
    }
    const actual = new Map(
      [...CHECKED_OPTIONS].map(([type, { window, subgraphs }]) => [
        type,
        { window: [...window], subgraphs: [...subgraphs] },
      ]),
    );
    expect(actual).toEqual(expected);
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
