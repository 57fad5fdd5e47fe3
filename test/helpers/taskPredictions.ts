import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadOptions } from '../../src/engine/types.js';
import { ImageDeadline } from '../../src/image/imageDeadline.js';
import { LocalModelSource } from '../../src/repository/LocalModelSource.js';
import { ModelRepository } from '../../src/repository/ModelRepository.js';
import { predictImage } from '../../src/serving/predictImage.js';
import { addVersion } from './repository.js';

/**
 * What the serving path answers for each photo with each model file, under
 * one model.json: the float original as version 1, the candidates after it.
 */
const taskPredictions = async (
  models: readonly Uint8Array[],
  manifest: unknown,
  photos: readonly string[],
  load: LoadOptions = {},
): Promise<unknown[][]> => {
  const root = mkdtempSync(join(tmpdir(), 'tfls-task-'));
  for (const [i, bytes] of models.entries()) addVersion(root, 'model', i + 1, bytes, manifest);
  const repository = new ModelRepository({
    source: new LocalModelSource(root),
    cacheBytes: 1024 * 1024 * 1024,
    refreshMs: 3_600_000,
    load: { threads: 1, ...load },
  });
  try {
    const results: unknown[][] = [];
    for (const [i] of models.entries()) {
      const lease = await repository.acquire('model', i + 1);
      try {
        const row: unknown[] = [];
        for (const photo of photos)
          row.push((await predictImage(lease.served, readFileSync(photo), ImageDeadline.after(60))).prediction);
        results.push(row);
      } finally {
        lease.release();
      }
    }
    return results;
  } finally {
    repository.dispose();
    rmSync(root, { recursive: true, force: true });
  }
};

export { taskPredictions };
