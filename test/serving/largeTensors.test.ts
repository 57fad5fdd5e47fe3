import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_BODY_BYTES } from '../../src/http/request.js';
import { BuiltinOperator } from '../../src/tflite/generated/schema_generated.js';
import { addVersion } from '../helpers/repository.js';
import { call, startServer, type TestServer } from '../helpers/server.js';
import { floatBytes, singleOpModel } from '../helpers/tinyModels.js';

// y = x + 1 on images of the sizes people send: MobileNet's 224 and DeepLab's 513.
const SIZES = [224, 513] as const;
const plusOne = (size: number) =>
  singleOpModel(BuiltinOperator.ADD, [
    { name: 'x', shape: [1, size, size, 3] },
    { name: 'one', shape: [1], data: floatBytes([1]) },
    { name: 'y', shape: [1, size, size, 3] },
  ]);

let server: TestServer;
beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'tfls-large-'));
  for (const size of SIZES) addVersion(root, `plus-one-${size}`, 1, plusOne(size));
  server = await startServer({ MODEL_REPOSITORY: root });
});
afterAll(() => server.close());

/** An image-sized tensor of small integers (short JSON), row-major. */
const flat = (size: number): number[] => Array.from({ length: size * size * 3 }, (_, i) => i % 251);
/** The same values nested [size][size][3], built by loops (no spread). */
const nested = (size: number): number[][][] => {
  const values = flat(size);
  const rows: number[][][] = [];
  for (let y = 0; y < size; y++) {
    const row: number[][] = [];
    for (let x = 0; x < size; x++) {
      const at = (y * size + x) * 3;
      row.push([values[at]!, values[at + 1]!, values[at + 2]!]);
    }
    rows.push(row);
  }
  return rows;
};

const post = (path: string, body: string | Uint8Array, headers: Record<string, string> = {}) =>
  call(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

/** Every element of a nested answer, checked as x + 1 without flattening it into one array. */
const checkNested = (answer: unknown, size: number): void => {
  const values = flat(size);
  const rows = answer as number[][][];
  expect(rows).toHaveLength(size);
  let bad = 0;
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++)
      for (let c = 0; c < 3; c++) if (rows[y]![x]![c] !== values[(y * size + x) * 3 + c]! + 1) bad++;
  expect(bad).toBe(0);
};

describe.each(SIZES)('a %ix%ix3 tensor, in and out', (size) => {
  const model = `plus-one-${size}`;

  it('TF Serving row format (one nested instance)', async () => {
    const { status, body } = await post(`/v1/models/${model}:predict`, JSON.stringify({ instances: [nested(size)] }));
    expect(body.error ?? status).toBe(200);
    expect(body.predictions).toHaveLength(1);
    checkNested(body.predictions[0], size);
  });

  it('TF Serving columnar format (flat values reshaped by the input)', async () => {
    const { status, body } = await post(
      `/v1/models/${model}:predict`,
      JSON.stringify({ inputs: { x: [nested(size)] } }),
    );
    expect(body.error ?? status).toBe(200);
    checkNested(body.outputs[0], size);
  });

  it('KServe v2 JSON, flat data', async () => {
    const request = { inputs: [{ name: 'x', shape: [1, size, size, 3], datatype: 'FP32', data: flat(size) }] };
    const { status, body } = await post(`/v2/models/${model}/infer`, JSON.stringify(request));
    expect(body.error ?? status).toBe(200);
    const [output] = body.outputs;
    expect(output.shape).toEqual([1, size, size, 3]);
    expect(output.data).toHaveLength(size * size * 3);
    const values = flat(size);
    let bad = 0;
    for (let i = 0; i < values.length; i++) if (output.data[i] !== values[i]! + 1) bad++;
    expect(bad).toBe(0);
  });

  it('KServe v2 binary extension, both ways', async () => {
    const header = Buffer.from(
      JSON.stringify({
        inputs: [
          {
            name: 'x',
            shape: [1, size, size, 3],
            datatype: 'FP32',
            parameters: { binary_data_size: size * size * 12 },
          },
        ],
        parameters: { binary_data_output: true },
      }),
    );
    const tensor = Float32Array.from(flat(size));
    const response = await post(`/v2/models/${model}/infer`, Buffer.concat([header, Buffer.from(tensor.buffer)]), {
      'content-type': 'application/octet-stream',
      'inference-header-content-length': String(header.length),
    });
    expect(response.status).toBe(200);
    const length = Number(response.headers.get('inference-header-content-length'));
    const answer = new Float32Array(response.raw.buffer.slice(response.raw.byteOffset + length));
    expect(answer).toHaveLength(tensor.length);
    let bad = 0;
    for (let i = 0; i < tensor.length; i++) if (answer[i] !== tensor[i]! + 1) bad++;
    expect(bad).toBe(0);
  });
});

describe('the largest body the limit allows', () => {
  it(`a KServe request of exactly ${DEFAULT_MAX_BODY_BYTES} bytes is answered; one byte more is a 413`, async () => {
    const request = JSON.stringify({
      inputs: [{ name: 'x', shape: [1, 513, 513, 3], datatype: 'FP32', data: flat(513) }],
    });
    expect(request.length).toBeLessThan(DEFAULT_MAX_BODY_BYTES);
    // Trailing whitespace is valid JSON: the body is the request padded to the limit.
    const atLimit = request + ' '.repeat(DEFAULT_MAX_BODY_BYTES - request.length);
    const ok = await post('/v2/models/plus-one-513/infer', atLimit);
    expect(ok.body.error ?? ok.status).toBe(200);
    expect(ok.body.outputs[0].data).toHaveLength(513 * 513 * 3);
    const over = await post('/v2/models/plus-one-513/infer', `${atLimit} `);
    expect(over.status).toBe(413);
    expect(over.body.error).toMatch(/bytes/);
    // And the next request still works.
    const again = await post(
      '/v2/models/plus-one-224/infer',
      JSON.stringify({ inputs: [{ name: 'x', shape: [1, 224, 224, 3], datatype: 'FP32', data: flat(224) }] }),
    );
    expect(again.status).toBe(200);
  });
});
