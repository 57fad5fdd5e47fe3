import { afterEach, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/engine/loadModel.js';
import { ModelPool } from '../../src/engine/ModelPool.js';
import { syntheticInputs } from '../../src/engine/syntheticInputs.js';
import type { Model } from '../../src/engine/types.js';
import { ModelDisposedError } from '../../src/errors.js';
import { mediapipe } from '../helpers/models.js';

let model: Model | undefined;
afterEach(() => model?.dispose());

describe('a pool of interpreters', () => {
  it('concurrent runs go to separate interpreters, created on demand, each answer as one interpreter gives it', async () => {
    model = await loadModel(mediapipe.handLandmarkFull, { threads: 1, interpreters: 3 });
    expect(model).toBeInstanceOf(ModelPool);
    const pool = model as ModelPool;
    expect(pool.interpreters).toBe(3);
    expect(pool.interpretersCreated).toBe(1);
    const inputs = [1, 2, 3, 4, 5, 6].map((seed) => syntheticInputs(pool.inputs, seed));
    const expected = inputs.map((input) => Array.from(pool.run(input)[0]!.data as Float32Array));
    expect(pool.interpretersCreated).toBe(1);
    const results = await Promise.all(inputs.map((input) => pool.runAsync(input)));
    // Six at once on three interpreters: all three were needed.
    expect(pool.interpretersCreated).toBe(3);
    for (const [i, outputs] of results.entries())
      expect(Array.from(outputs[0]!.data as Float32Array)).toEqual(expected[i]);
  });

  it('one interpreter unless asked for more; dispose is idempotent and waits for runs in flight', async () => {
    const single = await loadModel(mediapipe.faceDetection, { threads: 1 });
    expect(single).not.toBeInstanceOf(ModelPool);
    single.dispose();
    model = await loadModel(mediapipe.faceDetection, { threads: 1, interpreters: 2 });
    const inputs = syntheticInputs(model.inputs);
    const runs = [model.runAsync(inputs), model.runAsync(inputs)];
    model.dispose();
    model.dispose();
    for (const outcome of await Promise.allSettled(runs)) {
      if (outcome.status === 'fulfilled') expect(outcome.value).toHaveLength(2);
      else expect(outcome.reason).toBeInstanceOf(ModelDisposedError);
    }
    await expect(model.runAsync(inputs)).rejects.toBeInstanceOf(ModelDisposedError);
  });
});
