import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRepository } from '../helpers/repository.js';
import { call, startServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ MODEL_REPOSITORY: makeRepository() });
});
afterAll(() => server.close());

const json = (value: unknown) => ({
  method: 'POST',
  body: JSON.stringify(value),
  headers: { 'content-type': 'application/json' },
});
const raw = (body: Buffer | string, type: string) => ({ method: 'POST', body, headers: { 'content-type': type } });
const tinyPng = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } })
  .png()
  .toBuffer();

describe('error matrix: one shape, {"error": ...}, the right status', () => {
  const cases: [string, string, RequestInit | undefined, number, RegExp][] = [
    ['malformed JSON', '/v2/models/linear/infer', raw('{"inputs": [', 'application/json'), 400, /not valid JSON/],
    ['an empty body', '/v1/models/linear:predict', raw('', 'application/json'), 400, /body is empty/],
    [
      'a wrong dtype',
      '/v2/models/linear/infer',
      json({ inputs: [{ name: 'x', shape: [1, 2], datatype: 'INT32', data: [1, 2] }] }),
      400,
      /input "x" expects datatype FP32, got INT32/,
    ],
    [
      'a wrong shape',
      '/v2/models/linear/infer',
      json({ inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] }),
      400,
      /expects shape \[1,2\] \(any batch size\), got \[1,3\]/,
    ],
    [
      'data that does not fill the shape',
      '/v2/models/linear/infer',
      json({ inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP32', data: [1] }] }),
      400,
      /needs 2 values, data has 1/,
    ],
    [
      'a non-number element',
      '/v2/models/linear/infer',
      json({ inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP32', data: [1, 'two'] }] }),
      400,
      /element 1 is string/,
    ],
    [
      'instances and inputs together',
      '/v1/models/linear:predict',
      json({ instances: [[1, 2]], inputs: [[1, 2]] }),
      400,
      /either "instances".*or "inputs"/,
    ],
    [
      'ragged instances',
      '/v1/models/linear:predict',
      json({ instances: [[1, 2], [3]] }),
      400,
      /shape \[1\], instance 0 has \[2\]/,
    ],
    ['an invalid model name', '/v2/models/bad%20name/infer', json({}), 400, /invalid model name "bad name"/],
    ['a dot-dot model name', '/v1/models/%2e%2e:predict', json({}), 400, /invalid model name "\.\."/],
    ['an invalid version', '/v2/models/linear/versions/0/infer', json({}), 400, /invalid model version "0"/],
    [
      'an image for a model without image input',
      '/v1/models/linear:predict',
      raw(tinyPng, 'image/png'),
      400,
      /not an image tensor/,
    ],
    [
      'an undecodable image',
      '/v1/models/face-detection:predict',
      raw(Buffer.from('not an image at all'), 'image/png'),
      400,
      /cannot be decoded/,
    ],
    [
      'an SVG image',
      '/v1/models/face-detection:predict',
      json({
        instances: [
          { b64: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>').toString('base64') },
        ],
      }),
      400,
      /unsupported image format svg/,
    ],
    [
      'too many images',
      '/v1/models/face-detection:predict',
      json({ instances: Array.from({ length: 17 }, () => ({ b64: tinyPng.toString('base64') })) }),
      400,
      /17 images in one request; the limit is 16/,
    ],
    ['an unknown model', '/v2/models/ghost/infer', json({}), 404, /model "ghost" not found/],
    [
      'an unknown version',
      '/v1/models/linear/versions/7:predict',
      json({ instances: [[1, 2]] }),
      404,
      /model "linear" has no version 7/,
    ],
    ['an unknown route', '/v3/anything', undefined, 404, /no route for GET \/v3\/anything/],
    [
      'a wrong method',
      '/v2/models/linear/infer',
      undefined,
      405,
      /GET is not allowed on \/v2\/models\/linear\/infer; use POST/,
    ],
    [
      'an unsupported image type',
      '/v1/models/face-detection:predict',
      raw('BM....', 'image/bmp'),
      415,
      /unsupported image type image\/bmp/,
    ],
    [
      'an image sent to /infer',
      '/v2/models/face-detection/infer',
      raw('....', 'image/png'),
      415,
      /images go to \/v1\/models\/<name>:predict/,
    ],
    [
      'text that is not JSON, whatever its type says',
      '/v1/models/face-detection:predict',
      raw('hello', 'text/plain'),
      400,
      /not valid JSON/,
    ],
    [
      'an unknown Content-Encoding',
      '/v1/models/linear:predict',
      { method: 'POST', body: 'x', headers: { 'content-type': 'application/json', 'content-encoding': 'br' } },
      415,
      /unsupported Content-Encoding "br"/,
    ],
    [
      'a model that fails to load',
      '/v1/models/broken:predict',
      json({ instances: [[1]] }),
      503,
      /model "broken" version 1 failed to load: .*not a TFLite model/,
    ],
  ];

  it.each(cases)('%s → %i', async (_case, path, init, status, message) => {
    const response = await call(`${server.url}${path}`, init);
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(Object.keys(response.body)).toEqual(['error']);
    expect(response.body.error).toMatch(message);
  });

  it('a body over 6 MB → 413', async () => {
    const response = await call(
      `${server.url}/v2/models/linear/infer`,
      json({ padding: 'x'.repeat(6.5 * 1024 * 1024) }),
    );
    expect(response.status).toBe(413);
    expect(response.body.error).toMatch(/over the limit of 6291456/);
  });

  it('an image over the pixel limit → 413', async () => {
    const huge = await sharp({ create: { width: 8000, height: 6000, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    const response = await call(`${server.url}/v1/models/face-detection:predict`, raw(huge, 'image/png'));
    expect(response.status).toBe(413);
    expect(response.body.error).toMatch(/8000x6000 pixels, over the limit of 40000000/);
  });

  it('the server still answers after all of them', async () => {
    const photo = readFileSync('test/fixtures/images/astronaut.png');
    const response = await call(`${server.url}/v1/models/face-detection:predict`, raw(photo, 'image/png'));
    expect(response.status).toBe(200);
    expect(response.body.predictions[0].detections).toHaveLength(1);
  });
});
