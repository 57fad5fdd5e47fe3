import { parseS3Url } from './s3Url.js';
import type { ModelSource } from './types.js';

/**
 * An S3 model repository whose AWS SDK is loaded on first use: the predict
 * function with a local repository (tfls serve, tests) never evaluates the
 * SDK, and on Lambda its cost moves from module evaluation into the first
 * listing, which preload does anyway. The URL is checked at once.
 */
const lazyS3Source = (url: string, cacheDir: string): ModelSource => {
  parseS3Url(url);
  let source: Promise<ModelSource> | undefined;
  const get = (): Promise<ModelSource> => {
    source ??= Promise.all([import('./S3ModelSource.js'), import('../aws/s3Client.js')]).then(
      ([{ S3ModelSource }, { createS3Client }]) => new S3ModelSource(url, createS3Client(), cacheDir),
    );
    return source;
  };
  return {
    location: url,
    listModels: async () => (await get()).listModels(),
    unreachable: async () => (await get()).unreachable(),
    listVersions: async (name) => (await get()).listVersions(name),
    fetchVersion: async (name, version) => (await get()).fetchVersion(name, version),
    fetchManifest: async (name, version) => (await get()).fetchManifest(name, version),
    manifestTag: async (name, version) => (await get()).manifestTag(name, version),
  };
};

export { lazyS3Source };
