import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ObjectStore } from '../../src/aws/objectStore.js';
import { createIngestHandler, type IngestResult } from '../../src/pipeline/ingest/createIngestHandler.js';
import { loadIngestConfig } from '../../src/pipeline/ingest/ingestConfig.js';
import { localContext } from '../../src/server/toApiGatewayEvent.js';
import { BuiltinOperator } from '../../src/tflite/generated/schema_generated.js';
import { readModel } from '../../src/tflite/readModel.js';
import { writeModel } from '../../src/tflite/writeModel.js';
import { ingestIsolation } from '../helpers/ingestIsolation.js';
import { mediapipe } from '../helpers/models.js';
import { mutateModel, optionsOf } from '../helpers/mutate.js';
import { type LocalS3, startS3 } from '../helpers/s3.js';
import { s3Event } from '../helpers/s3Events.js';
import { asFunction, itSentOnlyGrantedRequests } from '../helpers/s3Grants.js';
import { call, startServer, type TestServer } from '../helpers/server.js';
import { graphModel, whileModel } from '../helpers/tinyModels.js';

// biome-ignore lint/suspicious/noExplicitAny: report.json is arbitrary JSON; the assertions check its shape.
type Report = Record<string, any>;

const FACE = new Uint8Array(readFileSync('models/face-detection/1/model.tflite'));
const PHOTO = readFileSync('test/fixtures/people/astronaut.jpg');

let s3: LocalS3;
let store: ObjectStore;
let bucket: string;
let bucketNumber = 0;

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  s3 = await startS3(Array.from({ length: 16 }, (_, i) => `ingest-${i}`));
});
afterAll(() => s3.close());
// A fresh bucket per test: versions start at 1.
beforeEach(() => {
  bucket = `ingest-${bucketNumber++}`;
  store = new ObjectStore(s3.client, bucket);
});

const ingestHandler = (env: Record<string, string> = {}) =>
  createIngestHandler(
    loadIngestConfig({ MODEL_REPOSITORY: `s3://${bucket}/models`, TFLITE_NUM_THREADS: '1', ...env }),
    ingestIsolation,
  );

/** Puts an object and returns the notification S3 would send for it. */
const upload = async (key: string, body: Uint8Array | string) => {
  const etag = await s3.put(bucket, key, body);
  return s3Event(bucket, [{ key, size: typeof body === 'string' ? Buffer.byteLength(body) : body.length, etag }]);
};

const invoke = async (handler: ReturnType<typeof ingestHandler>, event: unknown): Promise<IngestResult> =>
  (await asFunction('ingest', () => handler(event as never, localContext('test')))) as IngestResult;

const versions = async (name: string): Promise<number[]> =>
  (await store.list(`models/${name}/`))
    .map((key) => /^models\/[^/]+\/(\d+)\/model\.tflite$/.exec(key)?.[1])
    .filter((v): v is string => v !== undefined)
    .map(Number)
    .sort((a, b) => a - b);

const predict = (server: TestServer, name: string) =>
  call(`${server.url}/v1/models/${name}:predict`, {
    method: 'POST',
    headers: { 'content-type': 'image/jpeg' },
    body: PHOTO,
  });

describe('ingest: publishing', () => {
  it('a good upload becomes version 1, the next version 2, and the predict handler swaps to it without a failed request', async () => {
    const handler = ingestHandler();
    await s3.put(bucket, 'uploads/face.json', JSON.stringify({ task: 'face-detection' }));
    const first = await invoke(handler, await upload('uploads/face.tflite', FACE));
    expect(first.outcomes).toEqual([{ status: 'published', name: 'face', version: 1 }]);
    expect(first.batchItemFailures).toEqual([]);
    expect(await store.getJson('models/face/1/model.json')).toEqual({ task: 'face-detection' });
    const report = (await store.getJson('models/face/1/report.json')) as Report;
    expect(report.checks).toMatchObject({
      format: 'ok',
      engine: 'native',
      delegate: 'xnnpack',
      smoke: { input: 'zeros', finiteOutputs: true },
    });
    expect(report.checks.inspect.operators.CONV_2D).toBeGreaterThan(0);
    expect(report.upload).toMatchObject({ key: 'uploads/face.tflite', bytes: FACE.length });

    const server = await startServer({
      MODEL_REPOSITORY: `s3://${bucket}/models`,
      MODEL_REFRESH_SECONDS: '0',
      MODEL_CACHE_DIR: mkdtempSync(join(tmpdir(), 'tfls-cache-')),
      PRELOAD_MODELS: 'face',
    });
    try {
      const before = await predict(server, 'face');
      expect(before.status).toBe(200);
      expect(before.headers.get('x-model-version')).toBe('1');
      // Requests keep flowing while version 2 is ingested and swapped in.
      let stop = false;
      const statuses: number[] = [];
      const traffic = (async () => {
        while (!stop) statuses.push((await predict(server, 'face')).status);
      })();
      const second = await invoke(handler, await upload('uploads/face.tflite', FACE));
      expect(second.outcomes).toEqual([{ status: 'published', name: 'face', version: 2 }]);
      let after = await predict(server, 'face');
      for (let i = 0; i < 50 && after.headers.get('x-model-version') !== '2'; i++)
        after = await predict(server, 'face');
      stop = true;
      await traffic;
      expect(after.headers.get('x-model-version')).toBe('2');
      expect(after.body.predictions[0].detections.length).toBe(1);
      expect(statuses.length).toBeGreaterThan(0);
      expect(statuses.every((s) => s === 200)).toBe(true);
    } finally {
      await server.close();
    }
    expect(await versions('face')).toEqual([1, 2]);
  });

  it('the same event delivered twice publishes once', async () => {
    const handler = ingestHandler();
    const event = await upload('uploads/face.tflite', FACE);
    expect((await invoke(handler, event)).outcomes[0]).toMatchObject({ status: 'published', version: 1 });
    expect((await invoke(handler, event)).outcomes[0]).toEqual({ status: 'duplicate', name: 'face', version: 1 });
    // Even concurrently.
    const again = await upload('uploads/face.tflite', FACE);
    const results = await Promise.all([invoke(handler, again), invoke(handler, again)]);
    expect(results.map((r) => r.outcomes[0]!.status).sort()).toEqual(['duplicate', 'published']);
    expect(await versions('face')).toEqual([1, 2]);
  });

  it('two uploads of one name at once get distinct versions, the later upload the higher one', async () => {
    const handler = ingestHandler();
    const etag = await s3.put(bucket, 'uploads/face.tflite', FACE);
    // Two PUTs of the same bytes: same ETag, distinct sequencers (the second is the later upload).
    const events = ['0062D5F1A0B3C4D500', '0062D5F1A0B3C4D501'].map((sequencer) =>
      s3Event(bucket, [{ key: 'uploads/face.tflite', size: FACE.length, etag, sequencer }]),
    );
    const [older, later] = await Promise.all(events.map((event) => invoke(handler, event)));
    const laterOutcome = later!.outcomes[0] as { status: string; version: number };
    expect(laterOutcome.status).toBe('published');
    // The older one either got the lower number, or lost the race to a later claim and is not published.
    const olderOutcome = older!.outcomes[0] as { status: string; version?: number };
    if (olderOutcome.status === 'published') expect(olderOutcome.version).toBeLessThan(laterOutcome.version);
    else expect(olderOutcome.status).toBe('skipped');
    expect((await versions('face')).at(-1)).toBe(laterOutcome.version);
  });

  it('versions follow upload order, not the order checks finish or events arrive', async () => {
    const handler = ingestHandler();
    const slowPolicy = JSON.stringify({ task: 'face-detection', compress: { mode: 'float16' } });
    await s3.put(bucket, 'uploads/face.json', slowPolicy);
    const etag = await s3.put(bucket, 'uploads/face.tflite', FACE);
    const event = (sequencer: string) =>
      s3Event(bucket, [{ key: 'uploads/face.tflite', size: FACE.length, etag, sequencer }]);
    // The older upload's event arrives first, and its checks (with compression) take longer than the newer one's.
    const older = invoke(handler, event('0062D5F1A0B3C4D510'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const newer = await invoke(handler, event('0062D5F1A0B3C4D511'));
    const olderResult = await older;
    expect((newer.outcomes[0] as { version: number }).version).toBeGreaterThan(
      (olderResult.outcomes[0] as { version: number }).version,
    );
    // An event that arrives after a later upload's has been claimed is refused, whatever its checks would say.
    const stale = await invoke(handler, event('0062D5F1A0B3C4D50F'));
    expect(stale.outcomes[0]).toMatchObject({
      status: 'skipped',
      reason: expect.stringMatching(/a later upload of uploads\/face\.tflite already has version \d+/),
    });
    expect(stale.batchItemFailures).toEqual([]);
  });

  it('an upload with an int8 policy and a calibration prefix publishes the compressed model with its report', async () => {
    for (const photo of ['apple.jpg', 'astronaut.png', 'camera.png', 'chelsea.png'])
      await s3.put(bucket, `calibration/faces/${photo}`, readFileSync(`test/fixtures/images/${photo}`));
    await s3.put(
      bucket,
      'uploads/face.json',
      JSON.stringify({
        task: 'face-detection',
        compress: { mode: 'int8', calibration: 'calibration/faces/', minOutputCosine: 0.95 },
      }),
    );
    const result = await invoke(ingestHandler(), await upload('uploads/face.tflite', FACE));
    expect(result.outcomes).toEqual([{ status: 'published', name: 'face', version: 1 }]);
    const published = (await store.get('models/face/1/model.tflite'))!.bytes;
    expect(readModel(published).model.subgraphs[0]!.tensors.some((t) => t.type === 9)).toBe(true); // INT8
    const report = (await store.getJson('models/face/1/report.json')) as Report;
    expect(report.compression).toMatchObject({ mode: 'int8', calibration: { samples: 4, method: 'minmax' } });
    // The guard holds the face detector's answers (every face found again, no box added), keeping the
    // layers it must in float16: smaller than the upload, by less where int8 alone would add a box.
    expect(report.compression).toMatchObject({ guard: { met: true, task: { floor: { boxIoU: 0.8 } } } });
    expect(published.length).toBeLessThan(FACE.length * (report.compression.guard.kept.length > 0 ? 0.85 : 0.75));
    expect(report.compressedChecks).toMatchObject({ format: 'ok', engine: 'native' });
    // The policy's own keys stay out of the published model.json.
    expect(await store.getJson('models/face/1/model.json')).toEqual({ task: 'face-detection' });
  });
});

describe('ingest: rejections', () => {
  const rejected = async (key: string, body: Uint8Array | string, env: Record<string, string> = {}) => {
    const result = await invoke(ingestHandler(env), await upload(key, body));
    expect(result.batchItemFailures).toEqual([]);
    return result.outcomes[0] as { status: string; stage: string; error: string };
  };

  it('corrupt, non-TFLite and unrunnable uploads write their error files; the serving version is untouched', async () => {
    await invoke(ingestHandler(), await upload('uploads/face.tflite', FACE));
    const selfie = readModel(new Uint8Array(readFileSync(mediapipe.selfieSegmentation)));
    for (const code of selfie.model.operatorCodes) if (code.customCode) code.customCode = 'NoSuchOp';
    const cases = [
      { body: FACE.subarray(0, FACE.length / 2), stage: 'format', message: /invalid TFLite model|truncated|outside/ },
      { body: PHOTO, stage: 'format', message: /not a TFLite model/ },
      { body: writeModel(selfie), stage: 'load', message: /no engine can run this model.*NoSuchOp/ },
      // One the native engine would die on (the hostile probe's padding of 2): refused before it loads.
      {
        body: mutateModel(FACE, (model) => {
          optionsOf(model, 2).padding = 2;
        }),
        stage: 'format',
        message: /\(CONV_2D\) has padding 2, which is not one of SAME, VALID/,
      },
    ];
    for (const { body, stage, message } of cases) {
      const outcome = await rejected('uploads/face.tflite', new Uint8Array(body));
      expect(outcome).toMatchObject({ status: 'rejected', stage });
      const error = (await store.getJson('uploads/face.error.json')) as {
        error: string;
        stage: string;
        details: object;
      };
      expect(error.stage).toBe(stage);
      expect(error.error).toMatch(message);
      expect(error.details).toMatchObject({ upload: 'uploads/face.tflite' });
    }
    expect(await versions('face')).toEqual([1]);
    expect(await store.exists('models/face/2/.claim')).toBe(false);
    // A good upload afterwards clears the error file.
    await invoke(ingestHandler(), await upload('uploads/face.tflite', FACE));
    expect(await versions('face')).toEqual([1, 2]);
    expect(await store.exists('uploads/face.error.json')).toBe(false);
  });

  it('a model.json that does not fit the model, a broken policy, and an oversized upload are rejected', async () => {
    await s3.put(bucket, 'uploads/face.json', JSON.stringify({ task: 'classification', output: 'no-such-output' }));
    expect(await rejected('uploads/face.tflite', FACE)).toMatchObject({
      stage: 'manifest',
      error: expect.stringMatching(/no-such-output/),
    });
    await s3.put(bucket, 'uploads/face.json', '{"task": ');
    expect(await rejected('uploads/face.tflite', FACE)).toMatchObject({
      stage: 'policy',
      error: expect.stringMatching(/not valid JSON/),
    });
    await s3.put(bucket, 'uploads/face.json', JSON.stringify({ task: 'face-detection', compress: { mode: 'int8' } }));
    expect(await rejected('uploads/face.tflite', FACE)).toMatchObject({
      stage: 'policy',
      error: expect.stringMatching(/calibration/),
    });
    await s3.put(
      bucket,
      'uploads/face.json',
      JSON.stringify({ task: 'face-detection', compress: { mode: 'int8', calibration: 'calibration/nothing-here/' } }),
    );
    expect(await rejected('uploads/face.tflite', FACE)).toMatchObject({
      stage: 'compress',
      error: expect.stringMatching(/no calibration inputs/),
    });
    // Outside the prefix the function may read: refused by name, not left to fail with AccessDenied.
    await s3.put(
      bucket,
      'uploads/face.json',
      JSON.stringify({ task: 'face-detection', compress: { mode: 'int8', calibration: 'elsewhere/' } }),
    );
    expect(await rejected('uploads/face.tflite', FACE)).toMatchObject({
      stage: 'policy',
      error: expect.stringMatching(/must be under calibration\/ \(CALIBRATION_PREFIX\)/),
    });
    expect(await rejected('uploads/big.tflite', FACE, { MAX_UPLOAD_MB: '0.1' })).toMatchObject({ stage: 'size' });
    expect(await versions('face')).toEqual([]);
    expect(await store.list('models/')).toEqual([]);
  });

  it('an upload deleted before its event is handled is skipped, and its claim given back', async () => {
    const event = await upload('uploads/face.tflite', FACE);
    await store.delete('uploads/face.tflite');
    const result = await invoke(ingestHandler(), event);
    expect(result.outcomes[0]).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/replaced/) });
    expect(await store.list('models/')).toEqual([]);
    // The next upload is version 1: nothing of the deleted one's claim is left.
    expect((await invoke(ingestHandler(), await upload('uploads/face.tflite', FACE))).outcomes[0]).toMatchObject({
      status: 'published',
      version: 1,
    });
  });

  it('a model whose checks never end, or take memory without bound, is rejected from its own process; the claim is given back', async () => {
    const handler = ingestHandler({ INGEST_CHECK_TIMEOUT_SECONDS: '3', INGEST_CHECK_MEMORY_MB: '400' });
    // A WHILE that never ends: valid in every field, so only running it tells.
    const endless = await invoke(handler, await upload('uploads/loop.tflite', whileModel(1, 2, 0)));
    expect(endless.outcomes).toEqual([
      {
        status: 'rejected',
        name: 'loop',
        stage: expect.any(String),
        error: expect.stringMatching(
          /^the model's checks did not finish within 3 s while (load|smoke); nothing was published$/,
        ),
      },
    ]);
    expect(await store.getJson('uploads/loop.error.json')).toMatchObject({
      details: { containment: 'timeout', upload: 'uploads/loop.tflite' },
    });
    // 800 MB of tensors: within the engine's 1 GiB budget, over this function's 400 MB for checks.
    const big = graphModel(
      [
        { name: 'x', shape: [1, 100_000_000] },
        { name: 'y', shape: [1, 100_000_000] },
      ],
      [{ op: BuiltinOperator.ADD, inputs: ['x', 'x'], output: 'y' }],
    );
    const hungry = await invoke(handler, await upload('uploads/big.tflite', big));
    expect(hungry.outcomes).toEqual([
      {
        status: 'rejected',
        name: 'big',
        stage: 'load',
        error: expect.stringMatching(/^the model's checks used over 400 MB while load; nothing was published$/),
      },
    ]);
    // This invocation lived to write both error files, nothing is published, and the claims are back:
    // the next good upload of the same name is version 1.
    expect(await versions('loop')).toEqual([]);
    await s3.put(bucket, 'uploads/loop.json', JSON.stringify({ task: 'face-detection' }));
    const good = await invoke(handler, await upload('uploads/loop.tflite', FACE));
    expect(good.outcomes).toEqual([{ status: 'published', name: 'loop', version: 1 }]);
    expect(await store.exists('uploads/loop.error.json')).toBe(false);
  });

  it('keys that are not uploads/<name>.tflite are skipped, including its own error files', async () => {
    const result = await invoke(ingestHandler(), await upload('uploads/face.error.json', '{}'));
    expect(result.outcomes[0]).toMatchObject({ status: 'skipped' });
    expect(await store.list('models/')).toEqual([]);
  });
});

itSentOnlyGrantedRequests('ingest', 100);
