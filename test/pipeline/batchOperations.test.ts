import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectStore } from '../../src/aws/objectStore.js';
import type { BatchOperationsResponse } from '../../src/pipeline/batch/batchOperations.js';
import { type BatchBucket, startBatchBucket } from '../helpers/batchBucket.js';
import type { LocalS3 } from '../helpers/s3.js';
import { batchOperationsEvent } from '../helpers/s3Events.js';
import { itSentOnlyGrantedRequests } from '../helpers/s3Grants.js';

const BUCKET = 'backfill-data';
const FACE = 'test/fixtures/people/astronaut.jpg';

let s3: LocalS3;
let store: ObjectStore;
let bucket: BatchBucket;

const invoke = (event: unknown): Promise<BatchOperationsResponse> => bucket.invoke<BatchOperationsResponse>(event);

/** The task results of a schema 2.0 job over `tasks` with these user arguments. */
const results = async (tasks: { key: string }[], userArguments: Record<string, string>) =>
  (await invoke(batchOperationsEvent(BUCKET, tasks, { userArguments }))).results;

interface Detections {
  model_name: string;
  model_version: string;
  predictions: { detections: { score: number }[] }[];
}

beforeAll(async () => {
  bucket = await startBatchBucket(BUCKET);
  ({ s3, store } = bucket);
});
afterAll(() => s3.close());

describe('S3 Batch Operations (backfill)', () => {
  it('schema 2.0: the job names the model; each task Succeeded with its output key, the answer written as for an upload', async () => {
    await s3.put(BUCKET, 'inputs/archive/2019/a photo.jpg', readFileSync(FACE));
    await s3.put(BUCKET, 'inputs/face-detection/old/b.jpg', readFileSync(FACE));
    const event = batchOperationsEvent(
      BUCKET,
      [{ key: 'inputs/archive/2019/a photo.jpg' }, { key: 'inputs/face-detection/old/b.jpg' }],
      { userArguments: { model: 'face-detection' } },
    );
    const response = await invoke(event);
    expect(response).toEqual({
      invocationSchemaVersion: '2.0',
      treatMissingKeysAs: 'PermanentFailure',
      invocationId: event.invocationId,
      results: [
        {
          taskId: event.tasks[0]!.taskId,
          resultCode: 'Succeeded',
          resultString: 'outputs/face-detection/archive/2019/a photo.jpg.json',
        },
        // A key already in the model's own folder keeps the upload path's layout.
        {
          taskId: event.tasks[1]!.taskId,
          resultCode: 'Succeeded',
          resultString: 'outputs/face-detection/old/b.jpg.json',
        },
      ],
    });
    for (const result of response.results) {
      const answer = (await store.getJson(result.resultString)) as Detections;
      expect(answer.model_name).toBe('face-detection');
      expect(answer.model_version).toBe('1');
      expect(answer.predictions[0]!.detections.length).toBeGreaterThan(0);
    }
  });

  it('a bad image is a PermanentFailure whose message points at its error file', async () => {
    await s3.put(BUCKET, 'inputs/archive/broken.jpg', 'this is not a JPEG');
    const response = await invoke(
      batchOperationsEvent(BUCKET, [{ key: 'inputs/archive/broken.jpg' }], {
        userArguments: { model: 'face-detection' },
      }),
    );
    expect(response.results[0]).toMatchObject({ resultCode: 'PermanentFailure' });
    expect(response.results[0]!.resultString).toMatch(/see outputs\/face-detection\/archive\/broken\.jpg\.error\.json/);
    expect(await store.getJson('outputs/face-detection/archive/broken.jpg.error.json')).toMatchObject({
      status: 400,
      input: 'inputs/archive/broken.jpg',
      model_name: 'face-detection',
    });
  });

  it('a model that cannot load is a TemporaryFailure: no error file, Batch Operations retries it', async () => {
    await s3.put(BUCKET, 'inputs/archive/retry.jpg', readFileSync(FACE));
    const response = await invoke(
      batchOperationsEvent(BUCKET, [{ key: 'inputs/archive/retry.jpg' }], { userArguments: { model: 'broken' } }),
    );
    expect(response.results[0]).toMatchObject({ resultCode: 'TemporaryFailure' });
    expect(response.results[0]!.resultString).toMatch(/inputs\/archive\/retry\.jpg: 503/);
    expect(await store.exists('outputs/broken/archive/retry.jpg.error.json')).toBe(false);
  });

  it('a job naming a model version that does not exist fails its tasks for good, and leaves a valid output alone', async () => {
    await s3.put(BUCKET, 'inputs/archive/kept.jpg', readFileSync(FACE));
    const tasks = [{ key: 'inputs/archive/kept.jpg' }];
    const [ok] = await results(tasks, { model: 'face-detection' });
    expect(ok).toMatchObject({ resultCode: 'Succeeded', resultString: 'outputs/face-detection/archive/kept.jpg.json' });
    const [missing] = await results(tasks, { model: 'face-detection', modelVersion: '9' });
    expect(missing).toMatchObject({
      resultCode: 'PermanentFailure',
      resultString: 'skipped: job arguments: model "face-detection" has no version 9',
    });
    expect(await store.exists('outputs/face-detection/archive/kept.jpg.error.json')).toBe(false);
    expect(((await store.getJson(ok!.resultString)) as Detections).model_version).toBe('1');
  });

  it('schema 1.0 (bucket ARN, no arguments) takes the model from the key, like an upload', async () => {
    await s3.put(BUCKET, 'inputs/face-detection/v1/c.jpg', readFileSync(FACE));
    const response = await invoke(
      batchOperationsEvent(BUCKET, [{ key: 'inputs/face-detection/v1/c.jpg' }], { schema: '1.0' }),
    );
    expect(response.invocationSchemaVersion).toBe('1.0');
    expect(response.results[0]).toMatchObject({
      resultCode: 'Succeeded',
      resultString: 'outputs/face-detection/v1/c.jpg.json',
    });
  });

  it('an unknown model, a missing object, a key outside inputs/ and a bad modelVersion fail for good, each saying why', async () => {
    await s3.put(BUCKET, 'inputs/archive/d.jpg', readFileSync(FACE));
    const tasks = [{ key: 'inputs/archive/d.jpg' }];
    const [unknown] = await results(tasks, { model: 'nobody' });
    expect(unknown).toMatchObject({ resultCode: 'PermanentFailure' });
    expect(unknown!.resultString).toMatch(/nobody/);
    // The job's fault, not the input's: no error file for it.
    expect(await store.exists('outputs/nobody/archive/d.jpg.error.json')).toBe(false);
    const [missing, outside] = (
      await invoke(
        batchOperationsEvent(BUCKET, [{ key: 'inputs/archive/gone.jpg' }, { key: 'photos/e.jpg' }], {
          userArguments: { model: 'face-detection' },
        }),
      )
    ).results;
    expect(missing).toMatchObject({ resultCode: 'PermanentFailure', resultString: expect.stringMatching(/gone/) });
    expect(outside).toMatchObject({
      resultCode: 'PermanentFailure',
      resultString: expect.stringMatching(/not under inputs\//),
    });
    const [badVersion] = await results(tasks, { model: 'face-detection', modelVersion: 'x' });
    expect(badVersion).toMatchObject({
      resultCode: 'PermanentFailure',
      resultString: expect.stringMatching(/modelVersion/),
    });
    // The function still works after all of that.
    const [ok] = await results(tasks, { model: 'face-detection', modelVersion: '1' });
    expect(ok).toMatchObject({ resultCode: 'Succeeded', resultString: 'outputs/face-detection/archive/d.jpg.json' });
  });
});

itSentOnlyGrantedRequests('batch', 20);
