import { readFile } from 'node:fs/promises';
import type { LoadOptions } from '../engine/types.js';
import { buildServedModel } from '../model/servedModel.js';
import type { Loaded } from './modelCache.js';
import type { ModelSource } from './types.js';

/** Loads in this process, one at a time: each one's memory is measured alone. */
let queue: Promise<unknown> = Promise.resolve();

/**
 * One version fetched from the source, loaded and given its settings, with
 * what the load took in memory: the resident set's growth over the load (the
 * interpreter's arena, unpacked and repacked weights, a WASM heap's growth),
 * never counted as less than the file. A loaded model takes several times
 * its file: the budget counts that, not file sizes.
 */
const loadVersion = (
  source: ModelSource,
  name: string,
  version: number,
  options: LoadOptions,
  clock: () => number = Date.now,
): Promise<Loaded & { readonly manifestTag: string | undefined }> => {
  const run = queue.then(async () => {
    const started = clock();
    const files = await source.fetchVersion(name, version);
    const data = await readFile(files.modelPath).catch((error: NodeJS.ErrnoException) => {
      throw new Error(`cannot read ${name}/${version}/model.tflite: ${error.code ?? 'unreadable'}`);
    });
    const rssBefore = process.memoryUsage.rss();
    const built = await buildServedModel(new Uint8Array(data.buffer, data.byteOffset, data.length), files, options);
    const grown = process.memoryUsage.rss() - rssBefore;
    const served = {
      name,
      version,
      ...built,
      inputs: built.model.inputs,
      outputs: built.model.outputs,
      bytes: data.length,
      loadMs: clock() - started,
    };
    return { served, occupiedBytes: Math.max(data.length, grown), manifestTag: files.manifestTag };
  });
  queue = run.catch(() => undefined);
  return run;
};

export { loadVersion };
