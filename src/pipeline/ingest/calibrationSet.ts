import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import type { ObjectStore } from '../../aws/objectStore.js';
import { IngestRejection } from './rejection.js';

const SAMPLE_FILES = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.json']);

/**
 * The calibration (or fidelity) inputs under a key prefix, downloaded to a
 * fresh directory under /tmp: the photos and KServe v2 request files the
 * compressor reads from a directory. At most `limit`, in key order.
 */
const downloadSamples = async (
  store: ObjectStore,
  prefix: string,
  limit: number,
): Promise<{ dir: string; count: number }> => {
  const keys = (await store.list(prefix))
    .filter((key) => SAMPLE_FILES.has(extname(key).toLowerCase()))
    .sort()
    .slice(0, limit);
  if (keys.length === 0) {
    throw new IngestRejection(
      'compress',
      `no calibration inputs under s3://${store.bucket}/${prefix}: put photos (${[...SAMPLE_FILES].filter((e) => e !== '.json').join(', ')}) or KServe v2 .json requests there`,
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'tfls-calibration-'));
  await Promise.all(
    keys.map(async (key, i) => {
      const object = await store.get(key);
      // Numbered so that two keys with one base name do not collide.
      if (object) await writeFile(join(dir, `${String(i).padStart(5, '0')}-${basename(key)}`), object.bytes);
    }),
  );
  return { dir, count: keys.length };
};

export { downloadSamples };
