import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compressModel } from '../../src/compress/compressModel.js';
import type { CompressReport, TaskFidelity } from '../../src/compress/types.js';
import type { Landmark } from '../../src/tasks/landmarks.js';
import { runsOnBothEngines } from '../helpers/engines.js';
import { mediapipe } from '../helpers/models.js';
import { taskPredictions } from '../helpers/taskPredictions.js';

const PHOTOS = ['test/fixtures/people/astronaut.jpg', 'test/fixtures/people/camera.jpg'];
/** Both photos are 320x320: letterboxed onto pose's 256x256 input, 1% of the input is 3.2 of their pixels. */
const PHOTO_SIZE = 320;
/** The faces measured by hand in these photos (test/fixtures/eval/README.md): x, y, width, height. */
const FACES = [
  { x: 114, y: 50, width: 57, height: 64 },
  { x: 118, y: 84, width: 42, height: 42 },
];
const POSE = { task: 'landmarks', landmarks: { dims: 5 } };

const compressPose = (guard: boolean) =>
  compressModel(new Uint8Array(readFileSync(mediapipe.poseLandmarkLite)), {
    mode: 'dynamic',
    manifest: POSE,
    samples: 'test/fixtures/people',
    latencyRuns: 5,
    ...(!guard && { guard: false }),
  });

type LandmarkFidelity = Extract<TaskFidelity, { kind: 'landmarks' }>;
const landmarks = (f: TaskFidelity | undefined): LandmarkFidelity => {
  expect(f?.kind).toBe('landmarks');
  return f as LandmarkFidelity;
};

const visible = (p: Landmark) => (p.visibility ?? 1) >= 0.5 && (p.presence ?? 1) >= 0.5;

describe("the fidelity guard in the task's terms: pose landmarks (dynamic)", () => {
  let raw: CompressReport;

  it('raw, the landmarks move more than 1% of the input, and the report says they drift', async () => {
    ({ report: raw } = await compressPose(false));
    expect(raw.fidelity.taskName).toBe('landmarks');
    const task = landmarks(raw.fidelity.task);
    expect(task).toMatchObject({ kind: 'landmarks', photos: 2, inputSize: 256 });
    expect(task.maxErrorPercent).toBeGreaterThan(1);
    expect(raw.fidelity.floor).toMatchObject({ met: false });
    expect(raw.verdict).toMatch(/; landmarks drift \(worst [\d.]+% of the input/);
    expect(raw.recommendation).toMatch(/the landmarks drift: worst [\d.]+% of the input/);
    expect(raw.recommendation).not.toMatch(/match|hold/);
  });

  it('guarded, every visible landmark stays within 1% of the input, checked again through the serving path', async () => {
    const { bytes, report } = await compressPose(true);
    const guard = report.guard!;
    expect(guard.task!.statement).toMatch(/^every visible landmark within 1% of the input size \(2\.56 px of 256\)/);
    expect(guard.met).toBe(true);
    expect(landmarks(guard.task!.before).maxErrorPercent).toBeGreaterThan(1);
    expect(landmarks(guard.task!.after).maxErrorPercent).toBeLessThanOrEqual(1);
    expect(guard.kept.length).toBeGreaterThan(0);
    expect(report.fidelity.floor).toMatchObject({ met: true });
    expect(report.recommendation).toMatch(/the landmarks hold their floor \(worst [\d.]+% of the input/);
    // Smaller than float16 (2x), larger than raw: what holding the floor cost.
    expect(report.ratio).toBeGreaterThan(2);
    expect(report.outputBytes).toBeGreaterThan(raw.outputBytes);

    const [original, compressed] = (await taskPredictions(
      [new Uint8Array(readFileSync(mediapipe.poseLandmarkLite)), bytes],
      POSE,
      PHOTOS,
    )) as { landmarks: Landmark[] }[][];
    PHOTOS.forEach((photo, p) => {
      const before = original![p]!.landmarks;
      const after = compressed![p]!.landmarks;
      const moves = before.filter(visible).map((point) => {
        const moved = after[before.indexOf(point)]!;
        return Math.hypot(point.x - moved.x, point.y - moved.y);
      });
      expect(moves.length, photo).toBeGreaterThan(10);
      // Answers are rounded to 0.01 px.
      expect(Math.max(...moves), photo).toBeLessThanOrEqual(0.01 * PHOTO_SIZE + 0.02);
      // What a person sees: the nose is inside the face measured by hand.
      const nose = after[0]!;
      const face = FACES[p]!;
      expect(nose.x, `${photo} nose x`).toBeGreaterThanOrEqual(face.x);
      expect(nose.x, `${photo} nose x`).toBeLessThanOrEqual(face.x + face.width);
      expect(nose.y, `${photo} nose y`).toBeGreaterThanOrEqual(face.y);
      expect(nose.y, `${photo} nose y`).toBeLessThanOrEqual(face.y + face.height);
    });
    // XNNPACK takes every node, the int8 weights' DEQUANTIZE included: the file computes in float.
    await runsOnBothEngines(bytes, 0.99);
  });
});
