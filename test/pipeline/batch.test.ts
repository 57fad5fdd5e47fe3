import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ObjectStore } from '../../src/aws/objectStore.js';
import { loadModel } from '../../src/engine/loadModel.js';
import { syntheticInputs } from '../../src/engine/syntheticInputs.js';
import { loadBatchConfig } from '../../src/pipeline/batch/batchConfig.js';
import { type BatchInvocationResult, createBatchHandler } from '../../src/pipeline/batch/createBatchHandler.js';
import { localContext } from '../../src/server/toApiGatewayEvent.js';
import { BATCH_PHOTOS, type BatchBucket, startBatchBucket } from '../helpers/batchBucket.js';
import { kserveRequest } from '../helpers/kserveRequest.js';
import { mediapipe } from '../helpers/models.js';
import type { LocalS3 } from '../helpers/s3.js';
import { type ObjectFacts, s3Event, sqsEvent } from '../helpers/s3Events.js';
import { asFunction, itSentOnlyGrantedRequests } from '../helpers/s3Grants.js';

const BUCKET = 'batch-data';
const PHOTOS = BATCH_PHOTOS;

let s3: LocalS3;
let store: ObjectStore;
let bucket: BatchBucket;

const put = async (key: string, body: Uint8Array | string): Promise<ObjectFacts> => ({
  key,
  size: typeof body === 'string' ? Buffer.byteLength(body) : body.length,
  etag: await s3.put(BUCKET, key, body),
});

const invoke = (event: unknown): Promise<BatchInvocationResult> => bucket.invoke<BatchInvocationResult>(event);

beforeAll(async () => {
  bucket = await startBatchBucket(BUCKET);
  ({ s3, store } = bucket);
});
afterAll(() => s3.close());

describe('batch inference from inputs/', () => {
  it('50 images give 50 outputs; a broken one among them gives its error file and the rest succeed', async () => {
    const objects: ObjectFacts[] = [];
    for (let i = 0; i < 50; i++) {
      const photo = PHOTOS[i % PHOTOS.length]!;
      objects.push(
        await put(
          `inputs/face-detection/day 1/photo-${String(i).padStart(2, '0')}${photo.slice(-4)}`,
          readFileSync(photo),
        ),
      );
    }
    objects.splice(17, 0, await put('inputs/face-detection/day 1/broken.jpg', 'this is not a JPEG'));
    const result = await invoke(s3Event(BUCKET, objects));
    expect(result.batchItemFailures).toEqual([]);
    expect(result.outcomes.filter((o) => o.status === 'ok')).toHaveLength(50);
    const outputs = (await store.list('outputs/face-detection/day 1/')).sort();
    expect(outputs.filter((k) => !k.endsWith('.error.json'))).toHaveLength(50);
    const first = (await store.getJson('outputs/face-detection/day 1/photo-00.jpg.json')) as {
      model_name: string;
      model_version: string;
      predictions: { detections: { score: number }[] }[];
    };
    expect(first.model_name).toBe('face-detection');
    expect(first.model_version).toBe('1');
    expect(first.predictions[0]!.detections[0]!.score).toBeGreaterThan(0.9);
    const error = (await store.getJson('outputs/face-detection/day 1/broken.jpg.error.json')) as Record<
      string,
      unknown
    >;
    expect(error).toMatchObject({
      status: 400,
      input: 'inputs/face-detection/day 1/broken.jpg',
      model_name: 'face-detection',
    });
    expect(String(error.error)).toMatch(/image/i);
  });

  it('a KServe v2 request file gets the /infer answer; an unknown model and an unknown type get error files', async () => {
    const hand = await loadModel(mediapipe.handLandmarkFull, { threads: 1 });
    const [input] = syntheticInputs(hand.inputs, 5);
    const expected = hand.run([input!]);
    const request = kserveRequest(hand.inputs, [input!]);
    hand.dispose();
    const result = await invoke(
      s3Event(BUCKET, [
        await put('inputs/hands/request-1.json', JSON.stringify(request)),
        await put('inputs/nobody/photo.jpg', readFileSync(PHOTOS[0]!)),
        await put('inputs/hands/notes.txt', 'hello'),
      ]),
    );
    expect(result.outcomes.map((o) => o.status)).toEqual(['ok', 'error', 'error']);
    const answer = (await store.getJson('outputs/hands/request-1.json.json')) as {
      model_name: string;
      model_version: string;
      outputs: { name: string; data: number[] }[];
    };
    expect(answer.model_version).toBe('1');
    expect(answer.outputs.map((o) => o.name)).toEqual(expected.map((t) => t.name));
    const landmarks = expected[0]!.data as Float32Array;
    expect(Math.max(...answer.outputs[0]!.data.map((v, i) => Math.abs(v - landmarks[i]!)))).toBeLessThan(1e-3);
    expect(await store.getJson('outputs/nobody/photo.jpg.error.json')).toMatchObject({ status: 404 });
    expect(await store.getJson('outputs/hands/notes.txt.error.json')).toMatchObject({ status: 415 });
  });

  it('every input yields an output or an error file: binary_data_output, bad JSON and a malformed key fail no other record', async () => {
    const hand = await loadModel(mediapipe.handLandmarkFull, { threads: 1 });
    const [input] = syntheticInputs(hand.inputs, 7);
    const request = { ...kserveRequest(hand.inputs, [input!]), parameters: { binary_data_output: true } };
    hand.dispose();
    const binary = await put('inputs/hands/binary.json', JSON.stringify(request));
    const broken = await put('inputs/hands/broken.json', '{"inputs": [');
    const photo = await put('inputs/face-detection/mixed/photo.jpg', readFileSync(PHOTOS[0]!));
    const event = s3Event(BUCKET, [binary, broken, photo]);
    // A key S3 could not have sent: not valid percent-encoding.
    event.Records.push({
      ...event.Records[2]!,
      s3: {
        ...event.Records[2]!.s3,
        object: { ...event.Records[2]!.s3.object, key: 'inputs/face-detection/%E0%A4%A' },
      },
    });
    const result = await invoke(event);
    expect(result.outcomes.map((o) => o.status)).toEqual(['ok', 'error', 'ok']);
    const answer = (await store.getJson('outputs/hands/binary.json.json')) as { outputs: { data: number[] }[] };
    expect(answer.outputs[0]!.data.length).toBeGreaterThan(0);
    expect(await store.getJson('outputs/hands/broken.json.error.json')).toMatchObject({
      status: 400,
      error: expect.stringMatching(/not valid JSON/),
    });
    // Through SQS the message with the malformed key goes back (to the dead-letter queue), not lost.
    const viaSqs = await invoke(sqsEvent([s3Event(BUCKET, [photo]), JSON.stringify({ Records: [event.Records[3]] })]));
    expect(viaSqs.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
  });

  it('an invocation over two models records each latency under its own model', async () => {
    const hand = await loadModel(mediapipe.handLandmarkFull, { threads: 1 });
    const request = kserveRequest(hand.inputs, syntheticInputs(hand.inputs, 3));
    hand.dispose();
    const event = s3Event(BUCKET, [
      await put('inputs/face-detection/metrics/a.jpg', readFileSync(PHOTOS[0]!)),
      await put('inputs/hands/metrics/b.json', JSON.stringify(request)),
      await put('inputs/face-detection/metrics/c.jpg', readFileSync(PHOTOS[1]!)),
    ]);
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const measured = createBatchHandler(
        loadBatchConfig({
          MODEL_REPOSITORY: `s3://${BUCKET}/models`,
          MODEL_CACHE_DIR: mkdtempSync(join(tmpdir(), 'tfls-batch-cache-')),
          TFLITE_NUM_THREADS: '1',
        }),
      );
      await asFunction('batch', () => measured(event as never, localContext('test')));
    } finally {
      spy.mockRestore();
      process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    }
    const documents = written
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const latencies = documents.filter((d) => 'InferenceLatency' in d);
    expect(latencies.map((d) => [d.model, [d.InferenceLatency].flat().length]).sort()).toEqual([
      ['face-detection', 2],
      ['hands', 1],
    ]);
    expect(written.join('')).not.toMatch(/has already been added/);
  });

  it('a model that cannot load fails the invocation for a retry, after the other records are written', async () => {
    const good = await put('inputs/face-detection/retry/ok.jpg', readFileSync(PHOTOS[1]!));
    const bad = await put('inputs/broken/retry/photo.jpg', readFileSync(PHOTOS[1]!));
    await expect(invoke(s3Event(BUCKET, [bad, good]))).rejects.toThrow(/1 of 2 records failed: inputs\/broken/);
    expect(await store.exists('outputs/face-detection/retry/ok.jpg.json')).toBe(true);
    expect(await store.exists('outputs/broken/retry/photo.jpg.error.json')).toBe(false);
  });

  it('through SQS, failures are reported per message (partial batch response)', async () => {
    const good = s3Event(BUCKET, [await put('inputs/face-detection/sqs/ok.jpg', readFileSync(PHOTOS[0]!))]);
    const broken = s3Event(BUCKET, [await put('inputs/broken/sqs/photo.jpg', readFileSync(PHOTOS[0]!))]);
    const result = await invoke(sqsEvent([good, 'not json', broken]));
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }, { itemIdentifier: 'message-2' }]);
    expect(await store.exists('outputs/face-detection/sqs/ok.jpg.json')).toBe(true);
  });

  it('a redelivered event rewrites the same output: nothing duplicated', async () => {
    const event = s3Event(BUCKET, [await put('inputs/face-detection/again/a.jpg', readFileSync(PHOTOS[0]!))]);
    await invoke(event);
    await invoke(event);
    expect(await store.list('outputs/face-detection/again/')).toEqual(['outputs/face-detection/again/a.jpg.json']);
  });
});

itSentOnlyGrantedRequests('batch', 100);
