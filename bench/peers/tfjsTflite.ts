import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import vm from 'node:vm';
import { seededRandom } from '../../src/engine/syntheticInputs.js';
import type { Peer } from './types.js';

interface WebModelRunner {
  getInputs(): { data(): Float32Array }[];
  infer(): boolean;
  cleanUp(): void;
}

/**
 * @tensorflow/tfjs-tflite (TFLite compiled to WASM, for browsers). In Node it
 * needs worker-like globals to load its Emscripten glue, a fetch that reads
 * file: URLs, and MessageChannel hidden so that it picks its single-threaded
 * build.
 */
const tfjsTflite: Peer = {
  name: '@tensorflow/tfjs-tflite 0.0.1-alpha.10 (WASM)',
  async load(path, threads, seed) {
    const require = createRequire(import.meta.url);
    const wasmDir = `${join(dirname(require.resolve('@tensorflow/tfjs-tflite/package.json')), 'wasm')}/`;
    const scope = globalThis as Record<string, unknown>;
    scope.self = globalThis;
    scope.location = { href: wasmDir, origin: 'file://' };
    scope.importScripts = (url: string) => {
      const file = url.replace(/^file:\/\//, '');
      vm.runInThisContext(readFileSync(file, 'utf8'), { filename: file });
    };
    scope.require = require;
    scope.__dirname = wasmDir;
    scope.MessageChannel = undefined;
    const realFetch = globalThis.fetch;
    // The glue fetches its .wasm by URL; Node's fetch has no file: scheme.
    globalThis.fetch = async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (!url.startsWith('file://') && !url.startsWith('/')) return realFetch(input, init);
      return new Response(readFileSync(url.replace(/^file:\/\//, '')), {
        headers: { 'content-type': 'application/wasm' },
      });
    };
    const tflite = require('@tensorflow/tfjs-tflite') as {
      setWasmPath(path: string): void;
      loadTFLiteModel(model: ArrayBuffer, options: { numThreads: number }): Promise<{ modelRunner: WebModelRunner }>;
    };
    tflite.setWasmPath(wasmDir);
    const bytes = readFileSync(path);
    const model = await tflite.loadTFLiteModel(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length), {
      numThreads: threads,
    });
    globalThis.fetch = realFetch;
    const runner = model.modelRunner;
    const random = seededRandom(seed);
    for (const input of runner.getInputs()) {
      const data = input.data();
      for (let i = 0; i < data.length; i++) data[i] = random();
    }
    return { run: () => void runner.infer(), dispose: () => runner.cleanUp() };
  },
};

export { tfjsTflite };
