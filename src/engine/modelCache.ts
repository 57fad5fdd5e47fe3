import { loadModel } from './loadModel.js';
import type { LoadOptions, Model } from './types.js';

/**
 * One interpreter per model file and options per process: warm Lambda
 * invocations reuse what the cold start loaded. Failed loads are forgotten,
 * so a later call tries again.
 */
const cache = new Map<string, Promise<Model>>();

const cacheKey = (path: string, options: LoadOptions): string =>
  JSON.stringify([
    path,
    options.engine ?? 'auto',
    options.threads ?? null,
    options.xnnpack ?? true,
    options.maxTensorBytes ?? null,
  ]);

/** The cached model for `path`, loading it on first use. */
const getCachedModel = (path: string, options: LoadOptions = {}): Promise<Model> => {
  const key = cacheKey(path, options);
  let entry = cache.get(key);
  if (!entry) {
    entry = loadModel(path, options);
    cache.set(key, entry);
    entry.catch(() => cache.delete(key));
  }
  return entry;
};

/** Disposes every cached model (tests, shutdown). */
const clearModelCache = async (): Promise<void> => {
  const entries = [...cache.values()];
  cache.clear();
  for (const entry of entries) (await entry.catch(() => undefined))?.dispose();
};

export { clearModelCache, getCachedModel };
