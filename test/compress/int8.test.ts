import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { type CompressOptions, compressModel } from '../../src/compress/compressModel.js';
import { inspectModel } from '../../src/compress/inspectModel.js';
import { quantizeInput } from '../../src/compress/int8/layerStats.js';
import { sampleInputs } from '../../src/compress/samples.js';
import type { CompressReport } from '../../src/compress/types.js';
import { loadModel } from '../../src/engine/loadModel.js';
import { syntheticInputs } from '../../src/engine/syntheticInputs.js';
import { imageInputSpec } from '../../src/manifest/resolveManifest.js';
import { iou } from '../../src/tasks/faceDetection.js';
import { realValues } from '../../src/tasks/outputs.js';
import { TensorType } from '../../src/tflite/generated/schema_generated.js';
import { opName } from '../../src/tflite/opcodes.js';
import { readModel } from '../../src/tflite/readModel.js';
import { runCli } from '../helpers/cli.js';
import { runsOnBothEngines } from '../helpers/engines.js';
import { kserveRequest } from '../helpers/kserveRequest.js';
import { mediapipe } from '../helpers/models.js';
import { taskPredictions } from '../helpers/taskPredictions.js';

const CALIBRATION = 'test/fixtures/images';
const PHOTOS = ['test/fixtures/people/astronaut.jpg', 'test/fixtures/people/camera.jpg'].concat(
  ['apple.jpg', 'astronaut.png', 'camera.png', 'chelsea.png', 'coffee.png', 'horse.png', 'rocket.jpg'].map((f) =>
    join(CALIBRATION, f),
  ),
);
const MANIFESTS = {
  face: { task: 'face-detection' },
  hand: { task: 'landmarks' },
  pose: { task: 'landmarks', landmarks: { dims: 5 } },
} as const;
const PATHS = { face: mediapipe.faceDetection, hand: mediapipe.handLandmarkFull, pose: mediapipe.poseLandmarkFull };

const int8 = (model: keyof typeof PATHS, extra: Partial<CompressOptions> = {}) =>
  compressModel(new Uint8Array(readFileSync(PATHS[model])), {
    mode: 'int8',
    calibration: CALIBRATION,
    imageSpec: imageInputSpec(MANIFESTS[model]),
    latencyRuns: 10,
    // These tests measure int8 itself; the fidelity guard has its own test.
    guard: false,
    ...extra,
  });

interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}
const corners = (b: Box): Float64Array => Float64Array.from([b.x, b.y, b.x + b.width, b.y + b.height]);

/** The photos with real faces: the float model's other detections (an apple, a cat, at 0.52-0.53) are not faces. */
const FACE_PHOTOS = PHOTOS.filter((p) => /astronaut|camera/.test(p));

describe('tfls compress --mode int8 (face detection)', () => {
  it('finds again every face the float model finds at score >= 0.5 (IoU >= 0.8), at >= 2.7x smaller', async () => {
    const { bytes, report } = await int8('face');
    const [float, quantized] = (await taskPredictions(
      [new Uint8Array(readFileSync(PATHS.face)), bytes],
      MANIFESTS.face,
      FACE_PHOTOS,
    )) as { detections: { score: number; box: Box }[] }[][];
    let faces = 0;
    float!.forEach((prediction, photo) => {
      for (const face of prediction.detections.filter((d) => d.score >= 0.5)) {
        faces++;
        const best = Math.max(0, ...quantized![photo]!.detections.map((d) => iou(corners(d.box), corners(face.box))));
        expect(best, `${FACE_PHOTOS[photo]}: face at ${JSON.stringify(face.box)}`).toBeGreaterThanOrEqual(0.8);
      }
    });
    expect(faces).toBe(FACE_PHOTOS.length);
    // Per-channel scales and int32 biases weigh on a 100 KB model: see the README's int8 table.
    expect(report.ratio).toBeGreaterThanOrEqual(2.7);
    expect(report.calibration).toEqual({ samples: 7, method: 'minmax', source: `7 photos from ${CALIBRATION}` });
    expect(report.delegatedToXnnpack!.delegated).toBeGreaterThan(report.delegatedToXnnpack!.nodes * 0.8);
    // Only the reshapes and concatenations that feed the float outputs stayed float.
    expect(report.floatOps!.map((o) => o.op).sort()).toEqual([
      'CONCATENATION',
      'CONCATENATION',
      'RESHAPE',
      'RESHAPE',
      'RESHAPE',
      'RESHAPE',
    ]);
    expect(report.floatOps!.every((o) => /moves data/.test(o.reason))).toBe(true);
    const inspected = await inspectModel(bytes);
    expect(inspected.tensorBytesByType.int8).toBeGreaterThan(report.outputBytes * 0.6);
    expect(inspected.operators.QUANTIZE).toBe(1);
    await runsOnBothEngines(bytes, 0.8);
  });
});

/** Mean distance between matching landmarks, as a fraction of the photo's longer side (the input width, letterboxed). */
const meanPointError = async (model: 'hand' | 'pose', bytes: Uint8Array): Promise<number> => {
  const [float, quantized] = (await taskPredictions(
    [new Uint8Array(readFileSync(PATHS[model])), bytes],
    MANIFESTS[model],
    PHOTOS,
  )) as { landmarks: { x: number; y: number }[] }[][];
  const errors = await Promise.all(
    PHOTOS.map(async (photo, p) => {
      const { width = 1, height = 1 } = await sharp(photo).metadata();
      const a = float![p]!.landmarks;
      const b = quantized![p]!.landmarks;
      const total = a.reduce((sum, point, i) => sum + Math.hypot(point.x - b[i]!.x, point.y - b[i]!.y), 0);
      return total / a.length / Math.max(width, height);
    }),
  );
  return errors.reduce((sum, e) => sum + e, 0) / errors.length;
};

describe('tfls compress --mode int8 (landmarks)', () => {
  // The target is 2% of the input width. These photos hold no hands, so
  // the model's points are noise that int8 moves more than real hands would;
  // measured 3.0% (README): this guards against a regression from there.
  it('hand: landmarks within 3.5% of the input width of float, >= 3.6x smaller, every layer measured', async () => {
    const { bytes, report } = await int8('hand');
    expect(await meanPointError('hand', bytes)).toBeLessThan(0.035);
    expect(report.ratio).toBeGreaterThanOrEqual(3.6);
    expect(report.layers!.length).toBeGreaterThan(50);
    // The debugger's reading: most layers add no more than rounding error.
    const median = report.layers![Math.floor(report.layers!.length / 2)]!.rmseOverScale;
    expect(median).toBeGreaterThan(0.2);
    expect(median).toBeLessThan(0.5);
    await runsOnBothEngines(bytes, 0.8);
  });

  it('pose: the report says the outputs drift (the 2% target is not met: README), and the file runs', async () => {
    const { bytes, report } = await int8('pose');
    expect(report.ratio).toBeGreaterThanOrEqual(3.6);
    expect(report.recommendation).toMatch(/drift/);
    expect(await meanPointError('pose', bytes)).toBeGreaterThan(0.02);
    await runsOnBothEngines(bytes, 0.8);
  });
});

describe('--auto-keep-float', () => {
  it('hand: keeps the layers over the threshold in float, cutting the worst error for under 10% of size', async () => {
    const { bytes, report } = await int8('hand', { autoKeepFloat: 1 });
    const auto = report.autoKeepFloat!;
    expect(auto.kept.length).toBeGreaterThan(0);
    expect(report.keptFloat).toEqual(auto.kept);
    expect(auto.after.worstLayer!.rmseOverScale).toBeLessThan(auto.before.worstLayer!.rmseOverScale);
    expect(auto.after.worstLayer!.rmseOverScale).toBeLessThanOrEqual(1);
    expect(auto.sizeCostPercent).toBeGreaterThan(0);
    expect(auto.sizeCostPercent).toBeLessThan(10);
    expect(report.outputBytes).toBe(auto.after.outputBytes);
    expect(report.floatOps!.map((o) => o.output).sort()).toEqual([...auto.kept].sort());
    await runsOnBothEngines(bytes, 0.8);
  });
});

describe('--keep-float', () => {
  it('a layer named there stays float, fed by DEQUANTIZE and read through QUANTIZE', async () => {
    const first = (await int8('face')).report.layers!.find((l) => l.op === 'CONV_2D')!;
    const { bytes, report } = await int8('face', { keepFloat: [first.name] });
    expect(report.floatOps!.filter((o) => o.reason === 'kept float on request')).toEqual([
      { op: 'CONV_2D', output: first.name, reason: 'kept float on request' },
    ]);
    const file = readModel(bytes);
    const graph = file.model.subgraphs[0]!;
    const tensor = graph.tensors.find((t) => t.name === first.name)!;
    expect(TensorType[tensor.type]).toBe('FLOAT32');
    const producer = graph.operators.find((op) => graph.tensors[op.outputs[0]!] === tensor)!;
    expect(opName(file.model.operatorCodes[producer.opcodeIndex]!)).toBe('CONV_2D');
    // Its weights are float (float16 behind a DEQUANTIZE), not int8.
    const weights = graph.tensors[producer.inputs[1]!]!;
    expect(TensorType[weights.type]).toBe('FLOAT32');
    expect(report.layers!.some((l) => l.name === first.name)).toBe(false);
    await runsOnBothEngines(bytes, 0.8);
  });
});

describe('the fidelity guard (on by default)', () => {
  it('face: int8 raw drifts below cosine 0.99; by default the fewest worst layers stay float16 until it holds', async () => {
    const raw = await int8('face');
    const worstRaw = Math.min(...raw.report.fidelity.outputs.map((o) => o.cosine));
    expect(worstRaw).toBeLessThan(0.99);
    const guarded = await int8('face', { guard: true });
    const { guard } = guarded.report;
    expect(guard).toMatchObject({ floor: 0.99, met: true, worstBefore: worstRaw });
    expect(Math.min(...guarded.report.fidelity.outputs.map((o) => o.cosine))).toBeGreaterThanOrEqual(0.99);
    expect(guard!.kept.length).toBeGreaterThan(0);
    // Few layers, not all: still int8 where it can be, and smaller than float16 (1.87x).
    expect(guard!.kept.length).toBeLessThan(raw.report.layers!.length / 4);
    expect(guarded.report.ratio).toBeGreaterThan(2.2);
    for (const name of guard!.kept)
      expect(guarded.report.floatOps).toContainEqual(
        expect.objectContaining({ output: name, reason: 'kept float by the fidelity guard' }),
      );
    expect(guarded.report.recommendation).toMatch(/fidelity guard kept/);
    // A floor asked for is the floor held.
    const strict = await int8('face', { guard: true, minCosine: 0.995 });
    expect(strict.report.guard!.floor).toBe(0.995);
    expect(Math.min(...strict.report.fidelity.outputs.map((o) => o.cosine))).toBeGreaterThanOrEqual(0.995);
    expect(strict.report.guard!.kept.length).toBeGreaterThanOrEqual(guard!.kept.length);
    await runsOnBothEngines(guarded.bytes, 0.95);
  });

  it('hand: when no choice of float16 layers reaches the floor, it keeps none and says how far they could get', async () => {
    const { report } = await int8('hand', { guard: true, sampleCount: 4 });
    const { guard } = report;
    expect(guard).toMatchObject({ floor: 0.99, kept: [], met: false });
    // Every quantized layer in float still misses the floor, so keeping layers would cost size for nothing.
    expect(guard!.reachable).toBeLessThan(0.99);
    expect(guard!.reachable).toBeGreaterThan(guard!.worstBefore);
    expect(report.ratio).toBeGreaterThan(3.5);
    expect(report.recommendation).toMatch(
      /fidelity guard kept nothing: even every quantized layer in float16 misses its floor \(cosine 0\.99; worst cosine 0\.9\d+\)/,
    );
  });

  it('the CLI: --no-guard for the raw result; it contradicts --min-cosine and means nothing for float16', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'tfls-guard-')), 'face.tflite');
    const base = ['compress', PATHS.face, '-o', out];
    const both = await runCli(
      ...base,
      '--mode',
      'int8',
      '--calibration',
      CALIBRATION,
      '--no-guard',
      '--min-cosine',
      '0.9',
    );
    expect(both).toMatchObject({ code: 2, stderr: expect.stringMatching(/contradict/) });
    const float16 = await runCli(...base, '--mode', 'float16', '--no-guard');
    expect(float16).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--no-guard applies to --mode dynamic and int8/),
    });
    const raw = await runCli(
      ...base,
      '--mode',
      'int8',
      '--calibration',
      CALIBRATION,
      '--samples',
      '4',
      '--no-guard',
      '--json',
    );
    expect(raw.code).toBe(0);
    expect(JSON.parse(raw.stdout).guard).toBeUndefined();
  });
});

describe('--io int8 and uint8', () => {
  it.each(['int8', 'uint8'] as const)('%s: integer inputs and outputs round-trip to float', async (io) => {
    const { bytes, report } = await int8('face', { io });
    const model = await loadModel(bytes, { threads: 1 });
    expect(model.inputs[0]!.dtype).toBe(io);
    expect(model.outputs.map((o) => o.dtype)).toEqual([io, io]);
    expect(report.io).toBe(io);
    // The report's fidelity quantized each photo at the input's parameters and dequantized the outputs.
    expect(Math.min(...report.fidelity.outputs.map((o) => o.cosine))).toBeGreaterThanOrEqual(0.98);
    // By hand: the same photo through the integer file matches the float original.
    const original = await loadModel(new Uint8Array(readFileSync(PATHS.face)), { threads: 1 });
    const spec = imageInputSpec(MANIFESTS.face);
    const photo = (await sampleInputs(original.inputs, { dir: 'test/fixtures/people', count: 1, spec })).inputs[0]!;
    const expected = original.run(photo);
    model.run([quantizeInput(photo[0]!, model.inputs[0]!)]).forEach((tensor, i) => {
      const real = realValues(tensor, model.outputs[i]!.quantization);
      expect(cosine(real, expected[i]!.data as Float32Array)).toBeGreaterThan(0.98);
    });
    original.dispose();
    model.dispose();
  });
});

const cosine = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! ** 2;
    nb += b[i]! ** 2;
  }
  return dot / Math.sqrt(na * nb);
};

describe('calibration errors', () => {
  it('a directory without photos or requests is a clear error', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'tfls-empty-'));
    await expect(int8('face', { calibration: empty })).rejects.toThrow(/no images .* found in/);
  });

  it('a request whose tensor does not fit the input is a clear error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tfls-cal-'));
    writeFileSync(
      join(dir, 'wrong.json'),
      JSON.stringify({
        inputs: [{ name: 'input', shape: [1, 64, 64, 3], datatype: 'FP32', data: new Array(64 * 64 * 3).fill(0) }],
      }),
    );
    await expect(int8('face', { calibration: dir })).rejects.toThrow(/wrong\.json.*shape/);
  });

  it('a request that fits calibrates (tensors, not photos)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tfls-cal-'));
    const model = await loadModel(new Uint8Array(readFileSync(PATHS.face)), { threads: 1 });
    const [input] = syntheticInputs(model.inputs, 3);
    writeFileSync(join(dir, 'request.json'), JSON.stringify(kserveRequest(model.inputs, [input!])));
    model.dispose();
    const { report } = await int8('face', { calibration: dir });
    expect(report.calibration).toMatchObject({ samples: 1, source: `1 requests from ${dir}` });
  });

  it('the CLI needs --calibration for int8 and refuses int8 flags in other modes', async () => {
    const missing = await runCli('compress', PATHS.face, '-o', join(tmpdir(), 'x.tflite'), '--mode', 'int8');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--calibration/);
    const misplaced = await runCli(
      'compress',
      PATHS.face,
      '-o',
      join(tmpdir(), 'x.tflite'),
      '--mode',
      'float16',
      '--io',
      'int8',
    );
    expect(misplaced.code).toBe(2);
    expect(misplaced.stderr).toMatch(/--io applies to --mode int8 only/);
  });

  it('the CLI writes the int8 report with every contract field', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'tfls-int8-')), 'face.tflite');
    const { code, stdout } = await runCli(
      'compress',
      PATHS.face,
      '-o',
      out,
      '--mode',
      'int8',
      '--calibration',
      CALIBRATION,
      '--samples',
      '4',
      '--json',
    );
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as CompressReport;
    expect(report.mode).toBe('int8');
    expect(report.calibration).toMatchObject({ samples: 4, method: 'minmax' });
    for (const field of ['layers', 'keptFloat', 'floatOps', 'delegatedToXnnpack', 'io', 'fidelity', 'latency', 'ratio'])
      expect(report, field).toHaveProperty(field);
    expect(Object.keys(report.layers![0]!).sort()).toEqual([
      'maxAbsError',
      'meanError',
      'meanSquaredError',
      'name',
      'numElements',
      'op',
      'rmseOverScale',
      'scale',
      'stddev',
    ]);
    expect(readFileSync(out).length).toBe(report.outputBytes);
  });
});
