import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServerConfig } from '../../src/config/serverConfig.js';
import { createPredictService } from '../../src/http/createPredictService.js';
import { loadBatchConfig } from '../../src/pipeline/batch/batchConfig.js';
import type { BatchOperationsResponse } from '../../src/pipeline/batch/batchOperations.js';
import { type BatchInvocationResult, createBatchHandler } from '../../src/pipeline/batch/createBatchHandler.js';
import { createIngestHandler, type IngestResult } from '../../src/pipeline/ingest/createIngestHandler.js';
import { loadIngestConfig } from '../../src/pipeline/ingest/ingestConfig.js';
import { localContext } from '../../src/server/toApiGatewayEvent.js';
import { ingestIsolation } from '../helpers/ingestIsolation.js';
import { type LocalS3, startS3 } from '../helpers/s3.js';
import { batchOperationsEvent, s3Event } from '../helpers/s3Events.js';
import { asFunction, roleStatements, s3Calls, ungranted } from '../helpers/s3Grants.js';

/**
 * The grants each function's role needs, derived from the S3 requests its
 * own code sends (s3Grants): this file runs a publish, a rejected upload, a
 * batch of uploads and a backfill, and predictions from S3; the pipeline
 * tests check every request of their own runs the same way.
 */
const BUCKET = 'perm';
const FACE = readFileSync('models/face-detection/1/model.tflite');
const PHOTO = readFileSync('test/fixtures/people/astronaut.jpg');

let s3: LocalS3;

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  s3 = await startS3([BUCKET]);
  const cacheDir = () => mkdtempSync(join(tmpdir(), 'tfls-perm-cache-'));
  const repository = { MODEL_REPOSITORY: `s3://${BUCKET}/models`, TFLITE_NUM_THREADS: '1' };

  await s3.put(BUCKET, 'uploads/face.json', JSON.stringify({ task: 'face-detection' }));
  const etag = await s3.put(BUCKET, 'uploads/face.tflite', FACE);
  const ingest = createIngestHandler(loadIngestConfig(repository), ingestIsolation);
  const event = s3Event(BUCKET, [{ key: 'uploads/face.tflite', size: FACE.length, etag, versionId: 'v-upload-1' }]);
  const published = (await asFunction('ingest', () => ingest(event as never, localContext('ingest')))) as IngestResult;
  expect(published.outcomes).toEqual([{ status: 'published', name: 'face', version: 1 }]);
  // A rejected upload gives its claim back: the claim and its marker under models/face/.uploads/ are deleted.
  const junk = await s3.put(BUCKET, 'uploads/face.tflite', PHOTO);
  const rejection = s3Event(BUCKET, [
    { key: 'uploads/face.tflite', size: PHOTO.length, etag: junk, versionId: 'v-upload-2' },
  ]);
  const rejected = (await asFunction('ingest', () =>
    ingest(rejection as never, localContext('ingest')),
  )) as IngestResult;
  expect(rejected.outcomes[0]).toMatchObject({ status: 'rejected', stage: 'format' });

  const photo = await s3.put(BUCKET, 'inputs/face/photo.jpg', PHOTO);
  const body = JSON.stringify({
    inputs: [{ name: 'input', shape: [1, 128, 128, 3], datatype: 'FP32', data: new Array(128 * 128 * 3).fill(0) }],
  });
  const request = await s3.put(BUCKET, 'inputs/face/request.json', body);
  await s3.put(BUCKET, 'inputs/archive/old.jpg', PHOTO);
  await asFunction('batch', async () => {
    const handler = createBatchHandler(loadBatchConfig({ ...repository, MODEL_CACHE_DIR: cacheDir() }));
    const event = s3Event(BUCKET, [
      { key: 'inputs/face/photo.jpg', size: PHOTO.length, etag: photo, versionId: 'v-photo-1' },
      { key: 'inputs/face/request.json', size: body.length, etag: request, versionId: 'v-request-1' },
      // Deleted before the event arrived: a 404, skipped, not retried.
      { key: 'inputs/face/gone.jpg', size: 10, etag: 'ffff', versionId: 'v-gone-1' },
    ]);
    const result = (await handler(event as never, localContext('batch'))) as BatchInvocationResult;
    expect(result.outcomes.map((o) => o.status)).toEqual(['ok', 'ok', 'skipped']);
    // A backfill: S3 Batch Operations tasks over objects already there, one by version id, one gone.
    const job = batchOperationsEvent(
      BUCKET,
      [
        { key: 'inputs/archive/old.jpg', versionId: 'v-old-1' },
        { key: 'inputs/archive/old.jpg' },
        { key: 'inputs/archive/gone.jpg' },
      ],
      { userArguments: { model: 'face' } },
    );
    const answered = (await handler(job as never, localContext('batch'))) as BatchOperationsResponse;
    expect(answered.results.map((r) => r.resultCode)).toEqual(['Succeeded', 'Succeeded', 'PermanentFailure']);
  });

  await asFunction('predict', async () => {
    const service = createPredictService(loadServerConfig({ ...repository, MODEL_CACHE_DIR: cacheDir() }));
    const answer = await service.serve({
      method: 'POST',
      path: '/v1/models/face:predict',
      headers: { 'content-type': 'image/jpeg' },
      body: PHOTO,
      contentType: 'image/jpeg',
      requestId: 'perm',
    });
    expect(answer.statusCode).toBe(200);
    expect(
      (
        await service.serve({
          method: 'GET',
          path: '/v2/models/nothing',
          headers: {},
          body: Buffer.alloc(0),
          contentType: '',
          requestId: 'perm',
        })
      ).statusCode,
    ).toBe(404);
  });
}, 120_000);
afterAll(() => s3.close());

describe('IAM derived from the S3 requests each function sends', () => {
  it.each(['predict', 'ingest', 'batch'] as const)('%s is granted every request its code made', async (name) => {
    expect(s3Calls(name).length).toBeGreaterThan(2);
    expect(ungranted(s3Calls(name), await roleStatements(name))).toEqual([]);
  });

  it('the notifications carry version ids, and ingest and batch read by them', () => {
    for (const name of ['ingest', 'batch'] as const)
      expect(s3Calls(name).some((call) => call.method === 'GET' && call.query.has('versionId'))).toBe(true);
  });

  it('the check fails when a grant is missing: without DeleteObject on models/*/.uploads/*, the rejected upload is reported', async () => {
    const statements = await roleStatements('ingest');
    const withoutMarkers = statements.map((statement) =>
      statement.actions.includes('s3:DeleteObject')
        ? { ...statement, resources: statement.resources.filter((r) => r !== 'models/*/.uploads/*') }
        : statement,
    );
    expect(withoutMarkers).not.toEqual(statements);
    expect(ungranted(s3Calls('ingest'), withoutMarkers)).toEqual([
      's3:DeleteObject {"key":"models/face/.uploads/v-upload-2.json"} (for DELETE models/face/.uploads/v-upload-2.json)',
    ]);
  });
});
