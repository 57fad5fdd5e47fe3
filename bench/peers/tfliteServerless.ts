import { loadModel } from '../../src/engine/loadModel.js';
import { syntheticInputs } from '../../src/engine/syntheticInputs.js';
import type { EngineName } from '../../src/engine/types.js';
import type { Peer } from './types.js';

/** This project's engines, through the public loadModel API. */
const tfliteServerless = (engine: EngineName): Peer => ({
  name: engine === 'native' ? 'tflite-serverless native (XNNPACK)' : 'tflite-serverless wasm (LiteRT.js)',
  async load(path, threads, seed) {
    const model = await loadModel(path, { engine, threads });
    const inputs = syntheticInputs(model.inputs, seed);
    return { run: () => void model.run(inputs), dispose: () => model.dispose() };
  },
});

export { tfliteServerless };
