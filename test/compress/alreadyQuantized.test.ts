import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compressModel } from '../../src/compress/compressModel.js';
import type { CompressReport } from '../../src/compress/types.js';
import { runCli } from '../helpers/cli.js';
import { runsOnBothEngines } from '../helpers/engines.js';
import { hybridModel } from '../helpers/hybridModel.js';
import { mediapipe } from '../helpers/models.js';
import { zooModel, zooPresent } from '../helpers/zoo.js';

const SUITE = 'tfls compress on already-quantized models';
const dir = mkdtempSync(join(tmpdir(), 'tfls-quantized-'));

/** tfls compress as a user runs it; the summary, the JSON report and the file written. */
const compress = async (model: string, mode: string, ...flags: string[]) => {
  const output = join(dir, `${model}.${mode}.tflite`);
  const json = join(dir, `${model}.${mode}.json`);
  const result = await runCli('compress', zooModel(model), '-o', output, '--mode', mode, ...flags, '--report', json);
  return {
    ...result,
    written: new Uint8Array(readFileSync(output)),
    report: JSON.parse(readFileSync(json, 'utf8')) as CompressReport,
  };
};

describe('a dynamic-range model (the layout of the converter: int8 weights read by hybrid kernels)', () => {
  const hybrid = hybridModel(new Uint8Array(readFileSync(mediapipe.faceDetection)));
  const options = { manifest: { task: 'face-detection' }, latencyRuns: 5 } as const;

  it('--mode dynamic: nothing to do, its weights are int8 already; it names what can still be done', async () => {
    const { bytes, report } = await compressModel(hybrid, { mode: 'dynamic', ...options });
    expect(bytes).toEqual(hybrid);
    expect(report.inputPrecision).toEqual({
      kind: 'dynamic-range',
      description: 'dynamic-range (int8 weights, float activations)',
    });
    expect(report.unchanged!.reason).toMatch(/^The model is already dynamic-range/);
    expect(report.unchanged!.instead).toMatch(/--mode int8 --calibration DIR makes it full-integer/);
  });

  it('--mode int8 starts from its weights dequantized, and every face is found again', async () => {
    const { bytes, report } = await compressModel(hybrid, {
      mode: 'int8',
      calibration: 'test/fixtures/images',
      guard: false,
      ...options,
    });
    expect(report.unchanged).toBeUndefined();
    expect(report.fidelity.task).toMatchObject({ kind: 'detection', missed: 0 });
    expect(report.skipped.filter((s) => /already/.test(s.reason))).toEqual([]);
    await runsOnBothEngines(bytes, 0.8);
  });
});

describe.runIf(zooPresent(SUITE))(SUITE, () => {
  const MOBILENET = 'mobilenet_v1_0.25_224_quant';

  it.each([
    ['float32', []],
    ['float16', []],
    ['dynamic', []],
    ['int8', ['--calibration', 'test/fixtures/images']],
    ['int8', []],
  ] as const)(
    'a uint8 MobileNet, --mode %s %j: nothing to do, said plainly; exit 0, the input unchanged',
    async (mode, flags) => {
      const { code, stdout, stderr, written, report } = await compress(MOBILENET, mode, ...flags);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(written).toEqual(new Uint8Array(readFileSync(zooModel(MOBILENET))));
      expect(report).toMatchObject({
        mode,
        tensors: [],
        ratioToInput: 1,
        inputPrecision: { kind: 'full-integer', description: 'full-integer uint8 (weights and activations quantized)' },
        latency: { verdict: 'unchanged file' },
      });
      expect(report.unchanged!.reason).toMatch(/^The model is already full-integer uint8/);
      expect(report.unchanged!.instead).toMatch(/No mode makes it smaller: its weights are 8-bit already/);
      // It recommends nothing: no mode as a default, no baseline, no speed.
      expect(report.recommendation).toMatch(/^Nothing to do\. /);
      expect(report.recommendation).not.toMatch(
        /safe default|Float32 baseline|Float16 weights|faster|slower|smaller than/,
      );
      expect(stdout).toContain('Nothing to do. The model is already full-integer uint8');
      expect(stdout).toContain('unchanged (3.735x smaller than float32 already)');
      expect(stdout.trimEnd().split('\n').length).toBeLessThanOrEqual(20);
    },
  );

  it('a uint8 detector (SSD with TFLite_Detection_PostProcess), --mode dynamic: the same', async () => {
    const { code, report } = await compress('coco_ssd_mobilenet_v1_1.0_quant_2018_06_29', 'dynamic');
    expect(code).toBe(0);
    expect(report.inputPrecision!.kind).toBe('full-integer');
    expect(report.recommendation).toMatch(/^Nothing to do\. The model is already full-integer uint8/);
  });
});
