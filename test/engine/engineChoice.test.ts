import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compressModel } from '../../src/compress/compressModel.js';
import { MARGIN } from '../../src/engine/chooseEngine.js';
import { loadModel } from '../../src/engine/loadModel.js';
import { liteRtRequested } from '../../src/engine/wasm/litertRuntime.js';
import { mediapipe } from '../helpers/models.js';

describe('auto chooses the engine by delegate coverage, then by a timed probe', () => {
  it('a model XNNPACK covers loads natively without the WASM runtime, and says why', async () => {
    const model = await loadModel(mediapipe.handLandmarkFull, { threads: 1 });
    try {
      expect(model.engine).toBe('native');
      expect(model.delegatedNodes).toBe(model.nodes);
      expect(model.engineReason).toBe(`native: XNNPACK runs ${model.nodes} of ${model.nodes} nodes natively`);
      // Nothing in this file has asked for LiteRT.js yet: the cold start did not pay for it.
      expect(liteRtRequested()).toBe(false);
    } finally {
      model.dispose();
    }
  });

  it('a dynamic-range model, which XNNPACK 2.9 only partly takes, is timed on both engines and the faster serves', async () => {
    const { bytes } = await compressModel(new Uint8Array(readFileSync(mediapipe.faceDetection)), {
      mode: 'dynamic',
      latencyRuns: 1,
      sampleCount: 1,
    });
    const model = await loadModel(bytes, { threads: 1 });
    try {
      const reason = model.engineReason ?? '';
      expect(reason).toMatch(
        /XNNPACK runs \d+ of \d+ nodes natively; timed probe, median of 5 runs: native [\d.]+ ms, WASM [\d.]+ ms/,
      );
      const [, nativeMs, wasmMs] = /native ([\d.]+) ms, WASM ([\d.]+) ms/.exec(reason)!.map(Number);
      expect(model.engine).toBe(wasmMs! * MARGIN < nativeMs! ? 'wasm' : 'native');
      expect(reason.startsWith(`${model.engine}:`)).toBe(true);
      expect(model.run([new Float32Array(128 * 128 * 3)])).toHaveLength(2);
    } finally {
      model.dispose();
    }
  });

  it('engine "native" takes native as it is, without a probe', async () => {
    const model = await loadModel(mediapipe.faceDetection, { engine: 'native', threads: 1 });
    expect(model.engineReason).toBeUndefined();
    model.dispose();
  });
});
