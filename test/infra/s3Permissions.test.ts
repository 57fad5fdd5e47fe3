import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServerConfig } from '../../src/config/serverConfig.js';
import { createPredictService } from '../../src/http/createPredictService.js';
import { loadBatchConfig } from '../../src/pipeline/batch/batchConfig.js';
import type { BatchOperationsResponse } from '../../src/pipeline/batch/batchOperations.js';
import { type BatchInvocationResult, createBatchHandler } from '../../src/pipeline/batch/createBatchHandler.js';
import { createIngestHandler, type IngestResult } from '../../src/pipeline/ingest/createIngestHandler.js';
import { loadIngestConfig } from '../../src/pipeline/ingest/ingestConfig.js';
import { localContext } from '../../src/server/toApiGatewayEvent.js';
import { type LocalS3, type S3Request, startS3 } from '../helpers/s3.js';
import { batchOperationsEvent, s3Event } from '../helpers/s3Events.js';
import { allows, fakeLayer, functionId, s3Statements, synthStack } from '../helpers/stack.js';

/**
 * The IAM each function needs, derived from the S3 requests its own code
 * sends (recorded by the S3 server while the real handlers run on versioned
 * notifications), checked against the grants the CDK app synthesizes. s3rver
 * does not enforce IAM, so without this a missing action only shows as
 * AccessDenied once deployed.
 */
const BUCKET = 'perm';
const FACE = readFileSync('models/face-detection/1/model.tflite');
const PHOTO = readFileSync('test/fixtures/people/astronaut.jpg');

/** What IAM checks for one request (https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations.html). */
const needed = (
  request: S3Request,
  status: number,
): { action: string; target: { key: string } | { listPrefix: string } }[] => {
  if (request.key === '') {
    if (request.method === 'GET' && request.query.get('list-type') === '2')
      return [{ action: 's3:ListBucket', target: { listPrefix: request.query.get('prefix') ?? '' } }];
    throw new Error(`an S3 bucket request this check does not know: ${request.method} ?${request.query}`);
  }
  const versioned = request.query.has('versionId');
  const key = { key: request.key };
  const needs: { action: string; target: { key: string } | { listPrefix: string } }[] = [];
  if (request.method === 'GET' || request.method === 'HEAD')
    needs.push({ action: versioned ? 's3:GetObjectVersion' : 's3:GetObject', target: key });
  else if (request.method === 'PUT') needs.push({ action: 's3:PutObject', target: key });
  else if (request.method === 'DELETE')
    needs.push({ action: versioned ? 's3:DeleteObjectVersion' : 's3:DeleteObject', target: key });
  else throw new Error(`an S3 object request this check does not know: ${request.method} ${request.key}`);
  // A read of a missing key is a 404 only with ListBucket over it; else S3 answers 403, which the code retries.
  if (status === 404) needs.push({ action: 's3:ListBucket', target: { listPrefix: request.key } });
  return needs;
};

let s3: LocalS3;
let template: Template;
const sent: Record<'predict' | 'ingest' | 'batch', { request: S3Request; status: number }[]> = {
  predict: [],
  ingest: [],
  batch: [],
};

/** Runs `work`, recording the S3 requests it makes under `name`. */
const recording = async (name: keyof typeof sent, work: () => Promise<void>): Promise<void> => {
  const from = s3.requests.length;
  await work();
  sent[name].push(...s3.requests.slice(from).map((request) => ({ request, status: request.status })));
};

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  s3 = await startS3([BUCKET]);
  template = synthStack(fakeLayer());
  const cacheDir = () => mkdtempSync(join(tmpdir(), 'tfls-perm-cache-'));
  const repository = { MODEL_REPOSITORY: `s3://${BUCKET}/models`, TFLITE_NUM_THREADS: '1' };

  await s3.put(BUCKET, 'uploads/face.json', JSON.stringify({ task: 'face-detection' }));
  const etag = await s3.put(BUCKET, 'uploads/face.tflite', FACE);
  await recording('ingest', async () => {
    const handler = createIngestHandler(loadIngestConfig(repository));
    const event = s3Event(BUCKET, [{ key: 'uploads/face.tflite', size: FACE.length, etag, versionId: 'v-upload-1' }]);
    const result = (await handler(event as never, localContext('ingest'))) as IngestResult;
    expect(result.outcomes).toEqual([{ status: 'published', name: 'face', version: 1 }]);
  });

  const photo = await s3.put(BUCKET, 'inputs/face/photo.jpg', PHOTO);
  const body = JSON.stringify({
    inputs: [{ name: 'input', shape: [1, 128, 128, 3], datatype: 'FP32', data: new Array(128 * 128 * 3).fill(0) }],
  });
  const request = await s3.put(BUCKET, 'inputs/face/request.json', body);
  await s3.put(BUCKET, 'inputs/archive/old.jpg', PHOTO);
  await recording('batch', async () => {
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

  await recording('predict', async () => {
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
  it.each([
    ['predict', /inference/],
    ['ingest', /publish uploaded/],
    ['batch', /batch/],
  ] as const)('%s is granted every request its code made', (name, description) => {
    const statements = s3Statements(template, functionId(template, description));
    expect(sent[name].length).toBeGreaterThan(2);
    const denied = sent[name]
      .flatMap(({ request, status }) => needed(request, status).map((need) => ({ ...need, request })))
      .filter((need) => !allows(statements, need.action, need.target))
      .map((need) => `${need.action} ${JSON.stringify(need.target)} (for ${need.request.method} ${need.request.key})`);
    expect([...new Set(denied)]).toEqual([]);
  });

  it('the notifications carry version ids, and ingest and batch read by them', () => {
    for (const name of ['ingest', 'batch'] as const)
      expect(sent[name].some(({ request }) => request.method === 'GET' && request.query.has('versionId'))).toBe(true);
  });
});
