import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { seededRandom } from '../../src/engine/syntheticInputs.js';
import type { Peer } from './types.js';

interface TensorInfo {
  data(): Float32Array;
}
interface WebModelRunner {
  getInputs(): TensorInfo[];
  infer(): boolean;
}

/** tfjs-tflite-node 0.0.2 (TensorFlow team): TFLite 2.9 native, its own binding (no XNNPACK). */
const tfjsTfliteNode: Peer = {
  name: 'tfjs-tflite-node 0.0.2 (native, no XNNPACK)',
  async load(path, threads, seed) {
    const require = createRequire(import.meta.url);
    const { TFLiteNodeModelRunner } = require('tfjs-tflite-node') as {
      TFLiteNodeModelRunner: new (model: ArrayBuffer, options: { threads: number }) => WebModelRunner;
    };
    const bytes = readFileSync(path);
    const runner = new TFLiteNodeModelRunner(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length), {
      threads,
    });
    const random = seededRandom(seed);
    for (const input of runner.getInputs()) {
      const data = input.data();
      for (let i = 0; i < data.length; i++) data[i] = random();
    }
    // The runner has no explicit release; the process ends after the measurement.
    return { run: () => void runner.infer(), dispose: () => undefined };
  },
};

export { tfjsTfliteNode };
