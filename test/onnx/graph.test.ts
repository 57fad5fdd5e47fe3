import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../src/onnx/onnxProto.js';
import { translateModel } from '../../src/onnx/translateModel.js';
import { opName } from '../../src/tflite/opcodes.js';
import { readModel } from '../../src/tflite/readModel.js';
import { mediapipe } from '../helpers/models.js';
import { zooModel, zooPresent } from '../helpers/zoo.js';

const opTypes = (onnx: Uint8Array): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const node of decodeModel(onnx).graph.node) counts.set(node.opType, (counts.get(node.opType) ?? 0) + 1);
  return counts;
};

/** The graph ONNX Runtime runs after its optimizations (fusions), as it writes it out. */
const optimized = async (onnx: Uint8Array): Promise<Map<string, number>> => {
  const path = join(mkdtempSync(join(tmpdir(), 'tfls-ort-')), 'optimized.onnx');
  const session = await ort.InferenceSession.create(onnx, {
    graphOptimizationLevel: 'extended',
    optimizedModelFilePath: path,
    logSeverityLevel: 3,
  });
  await session.release();
  return opTypes(new Uint8Array(readFileSync(path)));
};

describe('the translated graph', () => {
  it('BlazeFace: NCHW inside, transposes only at the edges (the input, and each head before its reshape)', () => {
    const file = readModel(new Uint8Array(readFileSync(mediapipe.faceDetection)));
    const { onnx, report } = translateModel(file);
    const ops = opTypes(onnx);
    const reshapes = file.model.subgraphs[0]!.operators.filter(
      (op) => opName(file.model.operatorCodes[op.opcodeIndex]!) === 'RESHAPE',
    ).length;
    expect(reshapes).toBe(4);
    expect(ops.get('Transpose')).toBe(1 + reshapes);
    expect(ops.get('Conv')).toBe(37);
    expect(report.operators).toBe(164);
    expect(report.onnxNodes).toBe([...ops.values()].reduce((a, b) => a + b, 0));
  });

  it.runIf(zooPresent('the uint8 MobileNet fused into QLinearConv'))(
    'a uint8 MobileNet: every convolution fused into QLinearConv by ONNX Runtime, nothing left in float',
    async () => {
      const { onnx } = translateModel(readModel(new Uint8Array(readFileSync(zooModel('mobilenet_v1_0.25_224_quant')))));
      const ops = await optimized(onnx);
      expect(ops.get('QLinearConv')).toBe(28);
      expect(ops.get('Conv')).toBeUndefined();
      expect(ops.get('DequantizeLinear')).toBeUndefined();
      expect(ops.get('QLinearAveragePool')).toBe(1);
    },
  );
});
