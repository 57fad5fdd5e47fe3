import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RULES } from '../../src/engine/chooseEngine.js';
import { loadModel } from '../../src/engine/loadModel.js';
import type { Model } from '../../src/engine/types.js';
import { liteRtRequested } from '../../src/engine/wasm/litertRuntime.js';
import { hybridModel } from '../helpers/hybridModel.js';
import { mediapipe } from '../helpers/models.js';
import { whileModel } from '../helpers/tinyModels.js';
import { zooModel, zooPresent } from '../helpers/zoo.js';

const withModel = async (source: string | Uint8Array, check: (model: Model) => void | Promise<void>) => {
  const model = await loadModel(source, { threads: 1 });
  try {
    await check(model);
  } finally {
    model.dispose();
  }
};

describe('auto chooses the engine by a rule on what the model is', () => {
  it('a model XNNPACK covers loads natively without the WASM runtime, and says why', async () => {
    await withModel(mediapipe.handLandmarkFull, (model) => {
      expect(model.engine).toBe('native');
      expect(model.delegatedNodes).toBe(model.nodes);
      expect(model.engineReason).toBe(`native: XNNPACK runs ${model.nodes} of ${model.nodes} nodes natively`);
      // Nothing in this file has asked for LiteRT.js yet: the cold start did not pay for it.
      expect(liteRtRequested()).toBe(false);
    });
  });

  it('a model with custom ops the native runtime lacks goes to LiteRT.js, saying why', async () => {
    await withModel(mediapipe.selfieSegmentation, (model) => {
      expect(model.engine).toBe('wasm');
      expect(model.engineReason).toMatch(/^wasm: the native runtime cannot load it \(.*Convolution2DTransposeBias/);
      expect(model.fallbackReason).toMatch(/^native engine: /);
    });
  });

  it('a dynamic-range model (hybrid kernels), which XNNPACK 2.9 only partly takes, goes to LiteRT.js, every time', async () => {
    const bytes = hybridModel(new Uint8Array(readFileSync(mediapipe.faceDetection)));
    const reasons: string[] = [];
    for (let i = 0; i < 2; i++) {
      await withModel(bytes, (model) => {
        expect(model.engine).toBe('wasm');
        reasons.push(model.engineReason ?? '');
        expect(model.run([new Float32Array(128 * 128 * 3)])).toHaveLength(2);
      });
    }
    expect(reasons[0]).toMatch(new RegExp(`^wasm: XNNPACK runs \\d+ of \\d+ nodes natively; ${RULES.partial}$`));
    expect(reasons[1]).toBe(reasons[0]);
  });

  it('a graph that loops stays native, whose runs a deadline can give up on, however little XNNPACK takes', async () => {
    await withModel(whileModel(), (model) => {
      expect(model.engine).toBe('native');
      expect(model.engineReason).toMatch(new RegExp(`; ${RULES.loops.replace(/[()]/g, '\\$&')}$`));
    });
  });

  it('engine "native" takes native as it is, without a rule', async () => {
    const model = await loadModel(mediapipe.faceDetection, { engine: 'native', threads: 1 });
    expect(model.engineReason).toBeUndefined();
    model.dispose();
  });
});

describe.runIf(zooPresent('auto on converter-made uint8 models'))('auto on converter-made uint8 models', () => {
  it('a TF1-converter uint8 classifier goes to LiteRT.js, whose XNNPACK runs uint8', async () => {
    await withModel(zooModel('mobilenet_v1_0.25_224_quant'), (model) => {
      expect(model.engine).toBe('wasm');
      expect(model.engineReason).toBe(`wasm: ${RULES.uint8}`);
    });
  });

  it('the uint8 SSD, whose post-process outputs LiteRT.js cannot run twice, stays native and says so', async () => {
    await withModel(zooModel('coco_ssd_mobilenet_v1_1.0_quant_2018_06_29'), (model) => {
      expect(model.engine).toBe('native');
      expect(model.engineReason).toMatch(
        /^native: the graph computes in uint8 .*, but LiteRT.js cannot run this model more than once: output "TFLite_Detection_PostProcess" is shaped by TFLite_Detection_PostProcess as it runs/,
      );
    });
  });
});
