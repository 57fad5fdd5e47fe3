import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ObjectStore } from '../../src/aws/objectStore.js';
import { loadBatchConfig } from '../../src/pipeline/batch/batchConfig.js';
import { createBatchHandler } from '../../src/pipeline/batch/createBatchHandler.js';
import { localContext } from '../../src/server/toApiGatewayEvent.js';
import { mediapipe } from './models.js';
import { type LocalS3, startS3 } from './s3.js';
import { asFunction } from './s3Grants.js';

/** Real photos for batch inputs: faces, and photos without any. */
const BATCH_PHOTOS = [
  'test/fixtures/people/astronaut.jpg',
  'test/fixtures/people/camera.jpg',
  'test/fixtures/images/apple.jpg',
  'test/fixtures/images/astronaut.png',
  'test/fixtures/images/coffee.png',
];

interface BatchBucket {
  readonly s3: LocalS3;
  readonly store: ObjectStore;
  readonly handler: ReturnType<typeof createBatchHandler>;
  /** The handler on an event, as Lambda calls it. */
  invoke<T>(event: unknown): Promise<T>;
}

/**
 * s3rver with a model repository under models/ (face-detection with its
 * model.json, hands without one, and "broken", which cannot load) and the
 * batch function reading it, quiet, one interpreter thread.
 */
const startBatchBucket = async (bucket: string): Promise<BatchBucket> => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  const s3 = await startS3([bucket]);
  await s3.put(bucket, 'models/face-detection/1/model.tflite', readFileSync('models/face-detection/1/model.tflite'));
  await s3.put(bucket, 'models/face-detection/1/model.json', JSON.stringify({ task: 'face-detection' }));
  await s3.put(bucket, 'models/hands/1/model.tflite', readFileSync(mediapipe.handLandmarkFull));
  await s3.put(bucket, 'models/broken/1/model.tflite', 'TFL3 but nothing more');
  const handler = createBatchHandler(
    loadBatchConfig({
      MODEL_REPOSITORY: `s3://${bucket}/models`,
      MODEL_CACHE_DIR: mkdtempSync(join(tmpdir(), 'tfls-batch-cache-')),
      TFLITE_NUM_THREADS: '1',
    }),
  );
  return {
    s3,
    store: new ObjectStore(s3.client, bucket),
    handler,
    invoke: async <T>(event: unknown) =>
      (await asFunction('batch', () => handler(event as never, localContext('test')))) as T,
  };
};

export type { BatchBucket };
export { BATCH_PHOTOS, startBatchBucket };
