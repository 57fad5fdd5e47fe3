import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectModel } from '../../src/compress/inspectModel.js';
import { TensorType } from '../../src/tflite/generated/schema_generated.js';
import { bufferBytes } from '../../src/tflite/modelBuffers.js';
import { readModel } from '../../src/tflite/readModel.js';
import { runCli } from '../helpers/cli.js';
import { withMetadata } from '../helpers/metadataModel.js';
import { mediapipe } from '../helpers/models.js';

const dir = mkdtempSync(join(tmpdir(), 'tfls-inspect-'));

describe('tfls inspect', () => {
  it('reports numbers that match the file', async () => {
    const bytes = new Uint8Array(readFileSync(mediapipe.handLandmarkFull));
    const report = await inspectModel(bytes, mediapipe.handLandmarkFull);
    const { model } = readModel(bytes);
    const operators = model.subgraphs[0]!.operators.length;
    const fp16 = model.buffers
      .filter((_, i) => model.subgraphs[0]!.tensors.some((t) => t.buffer === i && t.type === TensorType.FLOAT16))
      .reduce((sum, b) => sum + bufferBytes(b).length, 0);
    expect(report).toMatchObject({
      file: 'hand_landmark_full.tflite',
      bytes: bytes.length,
      schemaVersion: 3,
      customOps: [],
      metadata: null,
    });
    expect(Object.values(report.operators).reduce((a, b) => a + b, 0)).toBe(operators);
    expect(report.operators.DEQUANTIZE).toBeGreaterThan(0);
    expect(report.tensorBytesByType.float16).toBe(fp16);
    expect(report.float32Bytes).toBe(bytes.length + fp16);
    expect(report.inputs).toEqual([{ name: 'input_1', dtype: 'float32', shape: [1, 224, 224, 3], quantization: null }]);
    expect(report.outputs).toHaveLength(4);
    expect(report.engines).toEqual({
      native: { ok: true, delegatedNodes: expect.any(Number), totalNodes: expect.any(Number) },
      wasm: { ok: true },
    });
    expect(report.engines.native.delegatedNodes).toBe(report.engines.native.totalNodes);
    expect(report.minRuntimeVersion).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('names the custom op and says which engine cannot load it', async () => {
    const report = await inspectModel(new Uint8Array(readFileSync(mediapipe.selfieSegmentation)));
    expect(report.customOps).toEqual(['Convolution2DTransposeBias']);
    expect(report.engines.native.ok).toBe(false);
    expect(report.engines.native.reason).toMatch(/unresolved custom op: Convolution2DTransposeBias/);
    expect(report.engines.wasm).toEqual({ ok: true });
  });

  it('reads TFLite metadata: name, normalization and labels from the appended zip', async () => {
    const path = join(dir, 'with-metadata.tflite');
    writeFileSync(path, withMetadata(mediapipe.faceDetection, ['face', 'background']));
    const { code, stdout } = await runCli('inspect', path, '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.metadata).toEqual({
      name: 'BlazeFace with metadata',
      normalization: { mean: [127.5], std: [127.5] },
      labels: ['face', 'background'],
      // One entry per output the metadata describes, in output order.
      outputs: [{ name: 'scores', content: null, labels: { file: 'labels.txt', kind: 'axis' } }],
    });
    expect(Object.keys(report)).toEqual(
      expect.arrayContaining([
        'file',
        'bytes',
        'float32Bytes',
        'schemaVersion',
        'description',
        'inputs',
        'outputs',
        'operators',
        'customOps',
        'tensorBytesByType',
        'metadata',
        'engines',
        'auto',
      ]),
    );
    const table = await runCli('inspect', path);
    expect(table.stdout).toMatch(
      /^metadata\s+BlazeFace with metadata, normalization mean 127\.5 std 127\.5, 2 labels$/m,
    );
  });

  it('says in one line when the file is not a model', async () => {
    const path = join(dir, 'notes.txt');
    writeFileSync(path, 'plain text, not a model');
    const { code, stderr } = await runCli('inspect', path);
    expect(code).toBe(1);
    expect(stderr).toBe('tfls inspect: not a TFLite model: file identifier is "n te", expected "TFL3"\n');
  });
});

describe('tfls compress (CLI)', () => {
  it('writes the model and the report, and prints the report with --json', async () => {
    const out = join(dir, 'face16.tflite');
    const report = join(dir, 'report.json');
    const { code, stdout, stderr } = await runCli(
      'compress',
      mediapipe.faceDetection,
      '-o',
      out,
      '--mode',
      'float16',
      '--report',
      report,
      '--json',
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const printed = JSON.parse(stdout);
    expect(JSON.parse(readFileSync(report, 'utf8'))).toEqual(printed);
    expect(printed.outputBytes).toBe(readFileSync(out).length);
    expect(printed.mode).toBe('float16');
  });

  it.each([
    [['compress', 'in.tflite', '--mode', 'float16'], 2, /missing -o <out\.tflite>/],
    [['compress', 'in.tflite', '-o', 'out.tflite'], 2, /missing --mode/],
    [
      ['compress', 'in.tflite', '-o', 'out.tflite', '--mode', 'int4'],
      2,
      /--mode must be one of float32, float16, dynamic/,
    ],
    [
      ['compress', 'missing.tflite', '-o', 'out.tflite', '--mode', 'float16'],
      1,
      /cannot read model file missing\.tflite: ENOENT/,
    ],
  ])('tfls %j exits %i with one line', async (argv, expectedCode, message) => {
    const { code, stderr } = await runCli(...argv);
    expect(code).toBe(expectedCode);
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });
});
