import { expect } from 'vitest';
import { loadModel } from '../../src/engine/loadModel.js';
import { syntheticInputs } from '../../src/engine/syntheticInputs.js';
import type { Model } from '../../src/engine/types.js';

/** loadModel that remembers what it loaded, for `disposeAll` in an afterEach or afterAll. */
const trackedLoads = (): {
  load: (...args: Parameters<typeof loadModel>) => Promise<Model>;
  disposeAll: () => void;
} => {
  const loaded: Model[] = [];
  return {
    load: async (...args) => {
      const model = await loadModel(...args);
      loaded.push(model);
      return model;
    },
    disposeAll: () => {
      for (const model of loaded.splice(0)) model.dispose();
    },
  };
};

/**
 * The file loads and runs on both engines with finite outputs; on the native
 * one XNNPACK takes at least `delegatedShare` of the nodes.
 */
const runsOnBothEngines = async (bytes: Uint8Array, delegatedShare = 0): Promise<void> => {
  for (const engine of ['native', 'wasm'] as const) {
    const model = await loadModel(bytes, { engine, threads: 1 });
    try {
      const outputs = model.run(syntheticInputs(model.inputs));
      for (const output of outputs) {
        expect(output.data.length).toBeGreaterThan(0);
        if (output.dtype === 'float32')
          expect(Array.from(output.data as Float32Array).every(Number.isFinite)).toBe(true);
      }
      if (engine === 'native' && delegatedShare > 0) {
        expect(model.delegate).toBe('xnnpack');
        expect(model.delegatedNodes).toBeGreaterThan(model.nodes * delegatedShare);
      }
    } finally {
      model.dispose();
    }
  }
};

export { runsOnBothEngines, trackedLoads };
