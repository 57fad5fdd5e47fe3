import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/engine/loadModel.js';
import { syntheticInputs } from '../../src/engine/syntheticInputs.js';
import { ModelDisposedError, UnsupportedError } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { maxRelativeError } from '../helpers/compare.js';
import { mediapipe } from '../helpers/models.js';
import { taskPredictions } from '../helpers/taskPredictions.js';

const face = new Uint8Array(readFileSync('models/face-detection/1/model.tflite'));

describe('OrtModel', () => {
  it('says what it is: engine ort, no delegate, every node translated, the gate in engineReason', async () => {
    const model = await loadModel(face, { engine: 'ort', threads: 2 });
    try {
      expect(model.engine).toBe('ort');
      expect(model.delegate).toBe('none');
      expect(model.threads).toBe(2);
      expect(model.nodes).toBe(164);
      expect(model.delegatedNodes).toBe(164);
      expect(model.engineReason).toMatch(
        /^ort: 164 TFLite ops translated to \d+ ONNX nodes; against TFLite \(native\)/,
      );
      expect(model.metadata).toBeNull();
    } finally {
      model.dispose();
    }
  });

  it('runs only asynchronously: run() is an UnsupportedError that says to use runAsync', async () => {
    const model = await loadModel(face, { engine: 'ort', threads: 1 });
    expect(() => model.run(syntheticInputs(model.inputs))).toThrow(UnsupportedError);
    expect(() => model.run(syntheticInputs(model.inputs))).toThrow(/use runAsync/);
    model.dispose();
  });

  it('runs a batch the graph fixes at 1 item by item, as the native engine does', async () => {
    const ort = await loadModel(face, { engine: 'ort', threads: 1 });
    const native = await loadModel(face, { engine: 'native', threads: 1 });
    try {
      const items = [1, 2, 3].map((seed) => syntheticInputs(ort.inputs, seed)[0] as Float32Array);
      const batch = new Float32Array(items.length * items[0]!.length);
      items.forEach((item, i) => {
        batch.set(item, i * item.length);
      });
      const input = { data: batch, shape: [3, 128, 128, 3] };
      const [ortOut, nativeOut] = [await ort.runAsync([input]), native.run([input])];
      ortOut.forEach((tensor, i) => {
        expect(tensor.shape).toEqual(nativeOut[i]!.shape);
        expect(tensor.shape[0]).toBe(3);
        expect(maxRelativeError(tensor.data, nativeOut[i]!.data)).toBeLessThan(1e-4);
      });
    } finally {
      ort.dispose();
      native.dispose();
    }
  });

  it('hands outputs to consume, queues runs in order, and disposes idempotently after the queue', async () => {
    const model = await loadModel(face, { engine: 'ort', threads: 1 });
    const inputs = syntheticInputs(model.inputs);
    const order: number[] = [];
    const runs = [1, 2, 3].map((n) =>
      model.runAsync(inputs, {
        consume: (outputs) => {
          order.push(n);
          return outputs.map((o) => o.name);
        },
      }),
    );
    model.dispose();
    model.dispose();
    expect(model.disposed).toBe(true);
    await expect(Promise.all(runs)).rejects.toBeInstanceOf(ModelDisposedError);
    await expect(model.runAsync(inputs)).rejects.toBeInstanceOf(ModelDisposedError);
    expect(order).toEqual([]);
    const again = await loadModel(face, { engine: 'ort', threads: 1 });
    const consumeIn = (n: number) => ({
      consume: (outputs: { name: string }[]) => {
        order.push(n);
        return outputs.map((o) => o.name);
      },
    });
    const names = await Promise.all([1, 2].map((n) => again.runAsync(inputs, consumeIn(n))));
    expect(order).toEqual([1, 2]);
    expect(names[0]).toEqual(['regressors', 'classificators']);
    again.dispose();
  });
});

/** The serving path's answer for one photo with one model on one engine. */
const predict = async <T>(bytes: Uint8Array, manifest: unknown, photo: string, engine: 'ort' | 'native'): Promise<T> =>
  (await taskPredictions([bytes], manifest, [photo], { engine }))[0]![0] as T;

describe('ort through the image pipeline and the CLI', () => {
  it('finds the same face in the astronaut photo as the native engine', async () => {
    type Faces = { detections: { score: number; box: Record<string, number> }[] };
    const photo = 'test/fixtures/images/astronaut.png';
    const native = await predict<Faces>(face, { task: 'face-detection' }, photo, 'native');
    const ort = await predict<Faces>(face, { task: 'face-detection' }, photo, 'ort');
    // What a person sees: one face, the astronaut's.
    expect(native.detections).toHaveLength(1);
    expect(ort.detections).toHaveLength(1);
    const [a, b] = [ort.detections[0]!, native.detections[0]!];
    expect(Math.abs(a.score - b.score)).toBeLessThan(1e-3);
    for (const key of ['x', 'y', 'width', 'height']) expect(Math.abs(a.box[key]! - b.box[key]!)).toBeLessThan(0.5);
  });

  it('hand landmarks on a photo of a person: within a tenth of a pixel of native', async () => {
    type Points = { landmarks: { x: number; y: number }[] };
    const photo = 'test/fixtures/people/astronaut.jpg';
    const bytes = new Uint8Array(readFileSync(mediapipe.handLandmarkFull));
    const native = await predict<Points>(bytes, { task: 'landmarks' }, photo, 'native');
    const ort = await predict<Points>(bytes, { task: 'landmarks' }, photo, 'ort');
    expect(ort.landmarks).toHaveLength(21);
    ort.landmarks.forEach((point, i) => {
      expect(Math.abs(point.x - native.landmarks[i]!.x)).toBeLessThan(0.1);
      expect(Math.abs(point.y - native.landmarks[i]!.y)).toBeLessThan(0.1);
    });
  });

  it('tfls bench --engine ort --json, and the ort line of tfls inspect', async () => {
    const bench = await runCli(
      'bench',
      mediapipe.faceDetection,
      '--engine',
      'ort',
      '--json',
      '--runs',
      '3',
      '--warmup',
      '1',
    );
    expect(bench.stderr).toBe('');
    const result = JSON.parse(bench.stdout);
    expect(result.engine).toBe('ort');
    expect(result.totalNodes).toBe(164);
    expect(result.engineReason).toMatch(/^ort: /);
    const inspect = await runCli('inspect', mediapipe.faceDetection);
    expect(inspect.stdout).toMatch(/^ort\s+loads: ort: 164 TFLite ops translated to \d+ ONNX nodes/m);
    const selfie = await runCli('inspect', mediapipe.selfieSegmentation);
    expect(selfie.stdout).toMatch(
      /^ort\s+loads: ort: 246 TFLite ops translated to \d+ ONNX nodes; against TFLite \(wasm\)/m,
    );
  });
});
