import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRepository } from '../helpers/repository.js';
import { call, startServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ MODEL_REPOSITORY: makeRepository(), PRELOAD_MODELS: 'face-detection,linear' });
});
afterAll(() => server.close());

const post = (path: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  call(`${server.url}${path}`, {
    method: 'POST',
    body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
    headers,
  });

// linear: y = x·Wᵀ + b with W = [[1,2],[3,4],[5,6]], b = [0.5, 0, -0.5].
const Y = (x: [number, number]) => [x[0] + 2 * x[1] + 0.5, 3 * x[0] + 4 * x[1], 5 * x[0] + 6 * x[1] - 0.5];

describe('KServe v2 server routes', () => {
  it('GET /v2/health/live and /v2/health/ready', async () => {
    expect((await call(`${server.url}/v2/health/live`)).body).toEqual({ live: true });
    expect(await call(`${server.url}/v2/health/ready`)).toMatchObject({ status: 200, body: { ready: true } });
  });

  it('GET /v2 describes the server and its extensions', async () => {
    expect((await call(`${server.url}/v2`)).body).toMatchObject({
      name: 'tflite-serverless',
      extensions: ['binary_tensor_data', 'model_repository'],
    });
  });

  it('GET /v2/models/{name}[/versions/{v}] gives the metadata, with engine, delegate and threads', async () => {
    for (const path of ['/v2/models/linear', '/v2/models/linear/versions/1']) {
      const { status, body } = await call(`${server.url}${path}`);
      expect(status).toBe(200);
      expect(body).toEqual({
        name: 'linear',
        versions: ['1'],
        platform: 'tensorflow_lite',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }],
        outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 3] }],
        parameters: {
          version: '1',
          engine: 'native',
          delegate: 'xnnpack',
          threads: 1,
          interpreters: expect.any(Number),
          delegatedNodes: 1,
          totalNodes: 1,
          engineReason: 'native: XNNPACK runs 1 of 1 nodes natively',
          task: 'raw',
          settings: 'defaults',
          settingsFrom: { task: 'default', labels: 'default', input: 'default' },
          input: { resize: 'stretch', range: [0, 1], channels: 'rgb', color: 'rgb' },
        },
      });
    }
    // A model.json's settings, labels and skeleton reach clients too.
    const colours = (await call(`${server.url}/v2/models/colours`)).body.parameters;
    expect(colours).toMatchObject({
      task: 'classification',
      settings: 'model.json',
      settingsFrom: { task: 'model.json', labels: 'model.json', input: 'model.json' },
      labels: 3,
    });
    expect(colours.input).toMatchObject({ resize: 'stretch', range: [0, 1] });
  });

  it('POST /v2/repository/index lists every model with the state of the version a request gets', async () => {
    // A version that failed to load says so (before any request it is listed as available, as TF Serving does).
    await call(`${server.url}/v2/models/broken/ready`);
    const { status, body } = await post('/v2/repository/index', '');
    expect(status).toBe(200);
    expect(body.map((m: { name: string }) => m.name)).toEqual([
      'broken',
      'colours',
      'face-detection',
      'hands',
      'linear',
      'selfie',
    ]);
    expect(body).toContainEqual({ name: 'linear', version: '1', state: 'AVAILABLE' });
    const broken = body.find((m: { name: string }) => m.name === 'broken');
    expect(broken).toMatchObject({ version: '1', state: 'END' });
    expect(broken.reason).toMatch(/not a TFLite model|malformed/);
    const ready = (await post('/v2/repository/index', { ready: true })).body.map((m: { name: string }) => m.name);
    expect(ready).not.toContain('broken');
    expect(ready).toContain('linear');
    expect(await post('/v2/repository/index', { ready: 'yes' })).toMatchObject({
      status: 400,
      body: { error: '"ready" must be true or false' },
    });
    expect(await post('/v2/repository/index', [1])).toMatchObject({ status: 400 });
  });

  it('GET .../ready says ready, or why not', async () => {
    expect(await call(`${server.url}/v2/models/linear/ready`)).toMatchObject({
      status: 200,
      body: { name: 'linear', ready: true },
    });
    expect(await call(`${server.url}/v2/models/linear/versions/1/ready`)).toMatchObject({ status: 200 });
    const broken = await call(`${server.url}/v2/models/broken/ready`);
    expect(broken).toMatchObject({ status: 503, body: { name: 'broken', ready: false } });
    expect(broken.body.error).toMatch(/not a TFLite model|malformed/);
    expect(await call(`${server.url}/v2/models/ghost/ready`)).toMatchObject({ status: 404, body: { ready: false } });
  });

  it('POST /v2/models/{name}/infer with JSON tensors, a batch of two, and an id', async () => {
    const { status, body, headers } = await post('/v2/models/linear/infer', {
      id: 'abc',
      inputs: [{ name: 'x', shape: [2, 2], datatype: 'FP32', data: [1, 2, 3, 4] }],
    });
    expect(status).toBe(200);
    expect(headers.get('x-model-version')).toBe('1');
    expect(body).toEqual({
      model_name: 'linear',
      model_version: '1',
      id: 'abc',
      outputs: [{ name: 'y', shape: [2, 3], datatype: 'FP32', data: [...Y([1, 2]), ...Y([3, 4])] }],
    });
  });

  it('POST .../versions/1/infer with the binary tensor extension, both ways', async () => {
    const header = Buffer.from(
      JSON.stringify({
        inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP32', parameters: { binary_data_size: 8 } }],
        parameters: { binary_data_output: true },
      }),
    );
    const body = Buffer.concat([header, Buffer.from(Float32Array.of(1, 1).buffer)]);
    const response = await post('/v2/models/linear/versions/1/infer', body, {
      'content-type': 'application/octet-stream',
      'inference-header-content-length': String(header.length),
    });
    expect(response.body?.error ?? response.status).toBe(200);
    const length = Number(response.headers.get('inference-header-content-length'));
    const json = JSON.parse(response.raw.subarray(0, length).toString());
    expect(json.outputs).toEqual([
      { name: 'y', shape: [1, 3], datatype: 'FP32', parameters: { binary_data_size: 12 } },
    ]);
    const values = new Float32Array(
      response.raw.buffer.slice(response.raw.byteOffset + length, response.raw.byteOffset + length + 12),
    );
    expect(Array.from(values)).toEqual(Y([1, 1]));
  });
});

describe('TensorFlow Serving routes', () => {
  it('GET /v1/models/{name} gives model_version_status', async () => {
    expect((await call(`${server.url}/v1/models/linear`)).body).toEqual({
      model_version_status: [{ version: '1', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } }],
    });
    const broken = await call(`${server.url}/v1/models/broken/versions/1`);
    expect(broken.body.model_version_status[0]).toMatchObject({
      version: '1',
      state: 'END',
      status: { error_code: 'UNKNOWN' },
    });
  });

  it('GET /v1/models/{name}/metadata gives the serving_default signature', async () => {
    const { body } = await call(`${server.url}/v1/models/linear/versions/1/metadata`);
    expect(body.model_spec).toEqual({ name: 'linear', signature_name: '', version: '1' });
    expect(body.metadata.signature_def.signature_def.serving_default.inputs.x).toEqual({
      dtype: 'DT_FLOAT',
      tensor_shape: {
        dim: [
          { size: '-1', name: '' },
          { size: '2', name: '' },
        ],
        unknown_rank: false,
      },
      name: 'x',
    });
  });

  it(':predict with instances (row format) answers predictions', async () => {
    const { body } = await post('/v1/models/linear:predict', {
      instances: [
        [1, 2],
        [3, 4],
      ],
    });
    expect(body).toEqual({ predictions: [Y([1, 2]), Y([3, 4])] });
    const named = await post('/v1/models/linear:predict', { instances: [{ x: [1, 2] }] });
    expect(named.body).toEqual({ predictions: [Y([1, 2])] });
  });

  it(':predict with inputs (columnar format) answers outputs', async () => {
    expect((await post('/v1/models/linear/versions/1:predict', { inputs: [[1, 2]] })).body).toEqual({
      outputs: [Y([1, 2])],
    });
    expect((await post('/v1/models/linear:predict', { inputs: { x: [[0, 1]] } })).body).toEqual({
      outputs: [Y([0, 1])],
    });
  });

  it(':predict with tensors on an image model answers its raw outputs', async () => {
    const { status, body } = await post('/v1/models/face-detection:predict', {
      inputs: [Array.from({ length: 128 }, () => Array.from({ length: 128 }, () => [0, 0, 0]))],
    });
    expect(status).toBe(200);
    expect(Object.keys(body.outputs).sort()).toEqual(['classificators', 'regressors']);
    expect(body.outputs.regressors[0]).toHaveLength(896);
  });
});
