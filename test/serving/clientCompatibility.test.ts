import { readFileSync } from 'node:fs';
import { deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRepository } from '../helpers/repository.js';
import { call, startServer, type TestServer } from '../helpers/server.js';

/**
 * Request forms as each client's documentation writes them: TF Serving's REST
 * API document (tensorflow_serving/g3doc/api_rest.md, sent with curl -d, so
 * as application/x-www-form-urlencoded), Triton's HTTP client (gzip/deflate
 * request compression, the binary tensor extension) and KServe's Python SDK
 * (which reads an error body only under exactly application/json).
 */
let server: TestServer;
beforeAll(async () => {
  server = await startServer({ MODEL_REPOSITORY: makeRepository() });
});
afterAll(() => server.close());

const PHOTO = readFileSync('test/fixtures/images/astronaut.png');
const FORM = 'application/x-www-form-urlencoded';
const curl = (path: string, body: string) =>
  call(`${server.url}${path}`, { method: 'POST', body, headers: { 'content-type': FORM } });

// linear: y = x·Wᵀ + b, W = [[1,2],[3,4],[5,6]], b = [0.5, 0, -0.5].
const y = ([a, b]: number[]) => [a! + 2 * b! + 0.5, 3 * a! + 4 * b!, 5 * a! + 6 * b! - 0.5];

describe('TF Serving REST API document, as curl -d sends it', () => {
  it('row format: a list of instances, and named instances', async () => {
    const rows = await curl('/v1/models/linear:predict', '{"instances": [[1.0, 2.0], [3.0, 4.0]]}');
    expect(rows.status).toBe(200);
    expect(rows.body).toEqual({ predictions: [y([1, 2]), y([3, 4])] });
    const named = await curl('/v1/models/linear:predict', '{"instances": [{"x": [1.0, 2.0]}, {"x": [3.0, 4.0]}]}');
    expect(named.body).toEqual({ predictions: [y([1, 2]), y([3, 4])] });
  });

  it('columnar format, by name and as a single tensor', async () => {
    const byName = await curl('/v1/models/linear:predict', '{"inputs": {"x": [[1.0, 2.0], [3.0, 4.0]]}}');
    expect(byName.body).toEqual({ outputs: [y([1, 2]), y([3, 4])] });
    const single = await curl('/v1/models/linear:predict', '{"inputs": [[1.0, 2.0]]}');
    expect(single.body).toEqual({ outputs: [y([1, 2])] });
  });

  it('signature_name: serving_default is taken, another is refused', async () => {
    const named = await curl(
      '/v1/models/linear:predict',
      '{"signature_name": "serving_default", "instances": [[1, 2]]}',
    );
    expect(named.status).toBe(200);
    const bogus = await curl('/v1/models/linear:predict', '{"signature_name": "bogus", "instances": [[1, 2]]}');
    expect(bogus.status).toBe(400);
    expect(bogus.body.error).toMatch(/signature_name "bogus" is not a signature of this model/);
  });

  it('NaN, Infinity and -Infinity as the document allows', async () => {
    const { status } = await curl('/v1/models/linear:predict', '{"instances": [[NaN, 1], [Infinity, -Infinity]]}');
    expect(status).toBe(200);
  });

  it('{"b64": ...} in instances and in columnar inputs', async () => {
    const b64 = PHOTO.toString('base64');
    const rows = await curl('/v1/models/face-detection:predict', JSON.stringify({ instances: [{ b64 }] }));
    const columns = await curl('/v1/models/face-detection:predict', JSON.stringify({ inputs: { b64 } }));
    const named = await curl('/v1/models/face-detection:predict', JSON.stringify({ inputs: { input: [{ b64 }] } }));
    for (const answer of [rows, columns, named]) {
      expect(answer.status).toBe(200);
      expect(answer.body.predictions[0].detections).toHaveLength(1);
    }
  });

  it('status and metadata, with a batch dimension of -1', async () => {
    const status = await call(`${server.url}/v1/models/linear`);
    expect(status.body.model_version_status[0]).toMatchObject({ version: '1', state: 'AVAILABLE' });
    const metadata = await call(`${server.url}/v1/models/linear/metadata`);
    const x = metadata.body.metadata.signature_def.signature_def.serving_default.inputs.x;
    expect(x.tensor_shape.dim.map((d: { size: string }) => d.size)).toEqual(['-1', '2']);
  });
});

describe("Triton's HTTP client", () => {
  const request = { inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP32', data: [1, 2] }] };

  it.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
  ] as const)('request_compression_algorithm=%s: the body is inflated before it is read', async (encoding, squeeze) => {
    const { status, body, headers } = await call(`${server.url}/v2/models/linear/infer`, {
      method: 'POST',
      body: squeeze(Buffer.from(JSON.stringify(request))),
      headers: { 'content-type': 'application/json', 'content-encoding': encoding },
    });
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('application/json');
    expect(body.outputs[0].data).toEqual(y([1, 2]));
  });

  it('the binary tensor extension, compressed', async () => {
    const header = Buffer.from(
      JSON.stringify({
        inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP32', parameters: { binary_data_size: 8 } }],
        outputs: [{ name: 'y', parameters: { binary_data: true } }],
      }),
    );
    const { status, raw, headers } = await call(`${server.url}/v2/models/linear/infer`, {
      method: 'POST',
      body: gzipSync(Buffer.concat([header, Buffer.from(Float32Array.of(1, 2).buffer)])),
      headers: {
        'content-type': 'application/octet-stream',
        'content-encoding': 'gzip',
        'inference-header-content-length': String(header.length),
      },
    });
    expect(status).toBe(200);
    const length = Number(headers.get('inference-header-content-length'));
    const values = new Float32Array(raw.buffer.slice(raw.byteOffset + length, raw.byteOffset + raw.length));
    expect(Array.from(values)).toEqual(y([1, 2]).map(Math.fround));
  });

  it('a gzip bomb stops at the body limit: 413, not an out-of-memory', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(200_000);
    const { status, body } = await call(`${server.url}/v2/models/linear/infer`, {
      method: 'POST',
      body: bomb,
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    });
    expect(status).toBe(413);
    expect(body.error).toMatch(/inflates to over the limit of 6291456 bytes/);
  });
});

describe("KServe's Python SDK", () => {
  it('errors come as {"error"} under exactly application/json, which the SDK requires to read them', async () => {
    const { status, headers, body } = await call(`${server.url}/v2/models/linear/infer`, {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] }),
      headers: { 'content-type': 'application/json' },
    });
    expect(status).toBe(400);
    expect(headers.get('content-type')).toBe('application/json');
    expect(typeof body.error).toBe('string');
  });
});
