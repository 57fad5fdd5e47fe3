import { loadModel } from '../../src/engine/loadModel.js';
import { syntheticInputs } from '../../src/engine/syntheticInputs.js';
import type { EngineName } from '../../src/engine/types.js';
import type { Peer } from './types.js';

/** This project's engines, through the public loadModel API. */
const NAMES: Readonly<Record<EngineName, string>> = {
  native: 'tflite-serverless native (XNNPACK)',
  wasm: 'tflite-serverless wasm (LiteRT.js)',
  ort: 'tflite-serverless ort (ONNX Runtime)',
};

const tfliteServerless = (engine: EngineName): Peer => ({
  name: NAMES[engine],
  async load(path, threads, seed) {
    const model = await loadModel(path, { engine, threads });
    const inputs = syntheticInputs(model.inputs, seed);
    // ort runs only asynchronously (onnxruntime-node runs it on this thread after one event-loop turn).
    const run = engine === 'ort' ? async () => void (await model.runAsync(inputs)) : () => void model.run(inputs);
    return { run, dispose: () => model.dispose() };
  },
});

export { tfliteServerless };
