import { afterEach, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/engine/loadModel.js';
import { syntheticInputs } from '../../src/engine/syntheticInputs.js';
import type { Model } from '../../src/engine/types.js';
import { InputError, ModelBusyError, ModelDisposedError, UnsupportedError } from '../../src/errors.js';
import { maxRelativeError } from '../helpers/compare.js';
import { mediapipe } from '../helpers/models.js';
import { fixedReshapeModel, fullyConnectedModel } from '../helpers/tinyModels.js';

let model: Model | undefined;
afterEach(() => model?.dispose());

const WEIGHTS = [
  [1, 2, 3, 4],
  [0, -1, 0.5, 2],
  [0.25, 0.25, 0.25, 0.25],
];
const BIAS = [0.5, -1, 2];
const expected = (x: readonly number[]): number[] =>
  WEIGHTS.map((row, j) => row.reduce((sum, w, i) => sum + w * x[i]!, BIAS[j]!));

describe.each(['native', 'wasm'] as const)('%s model lifecycle', (engine) => {
  it('computes what the graph says', async () => {
    model = await loadModel(fullyConnectedModel(WEIGHTS, BIAS), { engine, threads: 1 });
    const [y] = model.run([Float32Array.of(1, 2, 3, 4)]);
    expect(Array.from(y!.data as Float32Array)).toEqual(expected([1, 2, 3, 4]).map((v) => Math.fround(v)));
  });

  it('dispose() twice is harmless; runs afterwards are typed errors', async () => {
    model = await loadModel(mediapipe.faceDetection, { engine, threads: 1 });
    const inputs = syntheticInputs(model.inputs);
    model.dispose();
    model.dispose();
    expect(model.disposed).toBe(true);
    expect(() => model!.run(inputs)).toThrow(ModelDisposedError);
    await expect(model.runAsync(inputs)).rejects.toBeInstanceOf(ModelDisposedError);
  });

  it.each([
    ['too many inputs', (x: Float32Array) => [x, x], /expected 1 input \(input\), got 2/],
    [
      'the wrong dtype',
      () => [new Int32Array(128 * 128 * 3)],
      /expects float32 data as a Float32Array, got Int32Array/,
    ],
    ['the wrong size', () => [new Float32Array(10)], /of shape \[1,128,128,3\] needs 49152 float32 values, got 10/],
    ['an unknown name', (x: Float32Array) => ({ image: x }), /unknown input "image"; the model's inputs are "input"/],
    ['no array at all', () => [[1, 2, 3]], /expects float32 data as a Float32Array, got Array/],
  ])('refuses %s with an InputError saying what was expected', async (_case, make, message) => {
    model = await loadModel(mediapipe.faceDetection, { engine, threads: 1 });
    const good = syntheticInputs(model.inputs)[0] as Float32Array;
    const bad = make(good) as never;
    expect(() => model!.run(bad)).toThrow(InputError);
    expect(() => model!.run(bad)).toThrow(message);
    await expect(model.runAsync(bad)).rejects.toThrow(message);
    // The model still works afterwards.
    expect(model.run([good])).toHaveLength(2);
  });
});

describe('batch resize (native)', () => {
  it('runs a batch of five through a batch-capable model', async () => {
    model = await loadModel(fullyConnectedModel(WEIGHTS, BIAS), { engine: 'native', threads: 1 });
    const rows = [
      [1, 2, 3, 4],
      [0, 0, 0, 0],
      [-1, 1, -1, 1],
      [0.5, 0.5, 0.5, 0.5],
      [10, 0, 0, 0],
    ];
    const [y] = model.run([{ data: Float32Array.from(rows.flat()), shape: [5, 4] }]);
    expect(y!.shape).toEqual([5, 3]);
    expect(Array.from(y!.data as Float32Array)).toEqual(rows.flatMap(expected).map((v) => Math.fround(v)));
    // The batch was this run's: the model still declares its own shapes, and the next run is at batch 1.
    expect(model.inputs[0]!.shape).toEqual([1, 4]);
    expect(model.outputs[0]!.shape).toEqual([1, 3]);
    expect(model.run([Float32Array.of(1, 2, 3, 4)])[0]!.shape).toEqual([1, 3]);
    expect(() => model!.run([new Float32Array(8)])).toThrow(/of shape \[1,4\] needs 4 float32 values, got 8/);
  });

  it('runs a MediaPipe landmark model at batch 2, each item as at batch 1', async () => {
    model = await loadModel(mediapipe.handLandmarkFull, { engine: 'native', threads: 1 });
    const [a, b] = [syntheticInputs(model.inputs, 1)[0]!, syntheticInputs(model.inputs, 2)[0]!] as Float32Array[];
    const single = [model.run([a!])[0]!.data, model.run([b!])[0]!.data];
    const both = new Float32Array(a!.length * 2);
    both.set(a!, 0);
    both.set(b!, a!.length);
    const [landmarks] = model.run([{ data: both, shape: [2, 224, 224, 3] }]);
    expect(landmarks!.shape).toEqual([2, 63]);
    expect(maxRelativeError(landmarks!.data.subarray(0, 63), single[0]!)).toBeLessThan(1e-4);
    expect(maxRelativeError(landmarks!.data.subarray(63), single[1]!)).toBeLessThan(1e-4);
  });

  it('keeps a model whose graph fixes the batch usable after TFLite refuses a resize', async () => {
    model = await loadModel(fixedReshapeModel([1, 6], [2, 3]), { engine: 'native', threads: 1 });
    const x = Float32Array.of(1, 2, 3, 4, 5, 6);
    expect(() => model!.resizeBatch(2)).toThrow(InputError);
    expect(() => model!.resizeBatch(2)).toThrow(/cannot run at this input shape|resize failed/);
    expect(model.inputs[0]!.shape).toEqual([1, 6]);
    expect(Array.from(model.run([x])[0]!.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('refuses to resize a model with sparse weights, which TFLite 2.9 would crash on', async () => {
    model = await loadModel(mediapipe.faceDetectionSparse, { engine: 'native', threads: 1 });
    expect(() => model!.resizeBatch(2)).toThrow(UnsupportedError);
    expect(model.run(syntheticInputs(model.inputs))).toHaveLength(2);
  });

  it('refuses a shape that changes more than the batch dimension', async () => {
    model = await loadModel(fullyConnectedModel(WEIGHTS, BIAS), { engine: 'native', threads: 1 });
    expect(() => model!.run([{ data: new Float32Array(10), shape: [2, 5] }])).toThrow(
      /expects shape \[1,4\] \(any batch size\), got \[2,5\]/,
    );
  });
});

describe.each(['native', 'wasm'] as const)('batches on a graph that fixes its batch (%s)', (engine) => {
  it('face detection (RESHAPE to [1,896,16]) at batch 2 and 3 answers each item as at batch 1', async () => {
    model = await loadModel(mediapipe.faceDetection, { engine, threads: 1 });
    const items = [1, 2, 3].map((seed) => syntheticInputs(model!.inputs, seed)[0] as Float32Array);
    const single = items.map((item) => model!.run([item]).map((t) => t.data.slice() as Float32Array));
    for (const batch of [2, 3]) {
      const data = new Float32Array(items[0]!.length * batch);
      for (let i = 0; i < batch; i++) data.set(items[i]!, i * items[0]!.length);
      const outputs = await model.runAsync([{ data, shape: [batch, 128, 128, 3] }]);
      expect(outputs.map((t) => t.shape)).toEqual([
        [batch, 896, 16],
        [batch, 896, 1],
      ]);
      outputs.forEach((output, o) => {
        const size = output.data.length / batch;
        for (let i = 0; i < batch; i++)
          expect(maxRelativeError(output.data.subarray(i * size, (i + 1) * size), single[i]![o]!)).toBeLessThan(1e-5);
      });
    }
    expect(model.inputs[0]!.shape).toEqual([1, 128, 128, 3]);
  });
});

describe.each(['native', 'wasm'] as const)('runAsync inputs and errors (%s)', (engine) => {
  it('reads its inputs when called: a caller that reuses its buffer does not change a queued run', async () => {
    model = await loadModel(mediapipe.faceDetection, { engine, threads: 1 });
    const [a, b] = [syntheticInputs(model.inputs, 1)[0], syntheticInputs(model.inputs, 2)[0]] as Float32Array[];
    const expectedA = model.run([a!])[0]!.data.slice();
    const buffer = a!.slice();
    const first = model.runAsync([buffer]);
    const second = model.runAsync([buffer]);
    buffer.set(b!);
    expect((await first)[0]!.data).toEqual(expectedA);
    expect((await second)[0]!.data).toEqual(expectedA);
  });

  it("the caller's own consume error keeps its stack", async () => {
    model = await loadModel(mediapipe.faceDetection, { engine, threads: 1 });
    const failingConsumer = (): never => {
      throw new Error('consumer failed');
    };
    const error = (await model
      .runAsync(syntheticInputs(model.inputs), { consume: failingConsumer })
      .catch((e: unknown) => e)) as Error;
    expect(error.message).toBe('consumer failed');
    expect(error.stack).toMatch(/failingConsumer/);
  });
});

describe('runAsync (native)', () => {
  it('keeps the event loop free: a timer fires while inference runs', async () => {
    model = await loadModel(mediapipe.poseLandmarkHeavy, { engine: 'native', threads: 1 });
    const inputs = syntheticInputs(model.inputs);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      for (let i = 0; i < 3; i++) await model.runAsync(inputs);
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(0);
  });

  it('queues concurrent async runs and refuses a sync run while one is in flight', async () => {
    model = await loadModel(mediapipe.faceDetection, { engine: 'native', threads: 1 });
    const inputs = syntheticInputs(model.inputs);
    const expectedOut = model.run(inputs)[0]!.data;
    const runs = Array.from({ length: 8 }, () => model!.runAsync(inputs));
    expect(() => model!.run(inputs)).toThrow(ModelBusyError);
    for (const result of await Promise.all(runs)) expect(result[0]!.data).toEqual(expectedOut);
  });

  it('consume reads outputs in place: the same buffers every run, the values run() gives', async () => {
    model = await loadModel(mediapipe.faceDetection, { engine: 'native', threads: 1 });
    const [a, b] = [syntheticInputs(model.inputs, 1), syntheticInputs(model.inputs, 2)];
    const fresh = [model.run(a)[0]!.data.slice(), model.run(b)[0]!.data.slice()];
    const seen: ArrayBufferLike[] = [];
    const first = await model.runAsync(a, {
      consume: (outputs) => {
        seen.push(outputs[0]!.data.buffer);
        return Array.from(outputs[0]!.data as Float32Array);
      },
    });
    const second = model.run(b, {
      consume: (outputs) => {
        seen.push(outputs[0]!.data.buffer);
        return Array.from(outputs[0]!.data as Float32Array);
      },
    });
    expect(first).toEqual(Array.from(fresh[0] as Float32Array));
    expect(second).toEqual(Array.from(fresh[1] as Float32Array));
    expect(seen[1]).toBe(seen[0]);
  });

  it('holds the next queued run until an async consume settles', async () => {
    model = await loadModel(mediapipe.faceDetection, { engine: 'native', threads: 1 });
    const inputs = syntheticInputs(model.inputs);
    const order: string[] = [];
    const slow = model.runAsync(inputs, {
      consume: async () => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        order.push('first consumed');
      },
    });
    const next = model.runAsync(inputs).then(() => order.push('second ran'));
    await Promise.all([slow, next]);
    expect(order).toEqual(['first consumed', 'second ran']);
  });

  it('disposing during a run lets the run finish first', async () => {
    model = await loadModel(mediapipe.faceDetection, { engine: 'native', threads: 1 });
    const run = model.runAsync(syntheticInputs(model.inputs));
    await Promise.resolve();
    model.dispose();
    const outcome = await run.then(
      (outputs) => outputs.length,
      (error: unknown) => error,
    );
    // Either the run had started (and finished) or it was still queued (and refused).
    expect(outcome === 2 || outcome instanceof ModelDisposedError).toBe(true);
  });
});
