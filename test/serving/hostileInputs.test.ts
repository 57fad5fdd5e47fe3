import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServerConfig } from '../../src/config/serverConfig.js';
import { runCli } from '../helpers/cli.js';
import { addVersion, makeRepository } from '../helpers/repository.js';
import { call, startServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ MODEL_REPOSITORY: makeRepository() });
});
afterAll(() => server.close());

/** A raw JSON body: the point is the tokens JSON.stringify would never write. */
const infer = (model: string, text: string) =>
  call(`${server.url}/v2/models/${model}/infer`, {
    method: 'POST',
    body: text,
    headers: { 'content-type': 'application/json' },
  });

describe('numbers that do not fit', () => {
  it('a literal beyond a double (1e999) and a float32 overflow (3.5e38) are 400s, not nulls', async () => {
    const huge = await infer('linear', '{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1e999,1]}]}');
    expect(huge.status).toBe(400);
    expect(huge.body.error).toMatch(/element 0 is a number too large for any tensor type/);
    const over = await infer('linear', '{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[3.5e38,1]}]}');
    expect(over.status).toBe(400);
    expect(over.body.error).toMatch(/element 0 is 3\.5e\+38, beyond the range of float32/);
  });

  it('the NaN and Infinity tokens TF Serving allows are taken for floats, outside strings only', async () => {
    const tokens = await call(`${server.url}/v1/models/linear:predict`, {
      method: 'POST',
      body: '{"instances": [[Infinity, 1], [-Infinity, NaN]], "note": "NaN in a string stays a string"}',
      headers: { 'content-type': 'application/json' },
    });
    // y = x·Wᵀ + b with W = [[1,2],[3,4],[5,6]]: an infinite input gives infinite (here non-finite) outputs.
    expect(tokens.status).toBe(200);
    expect(tokens.body.predictions).toHaveLength(2);
    const ints = await call(`${server.url}/v2/models/linear/infer`, {
      method: 'POST',
      body: '{"inputs":[{"name":"x","shape":[1,2],"datatype":"INT32","data":[NaN,1]}]}',
      headers: { 'content-type': 'application/json' },
    });
    expect(ints.status).toBe(400);
  });
});

describe('no request sees another one', () => {
  it("a batch of 700 leaves nothing in the next caller's error message", async () => {
    const rows = Array.from({ length: 700 }, (_, i) => [i, 1]);
    const batched = await call(`${server.url}/v1/models/linear:predict`, {
      method: 'POST',
      body: JSON.stringify({ instances: rows }),
      headers: { 'content-type': 'application/json' },
    });
    expect(batched.status).toBe(200);
    expect(batched.body.predictions).toHaveLength(700);
    const wrong = await infer('linear', '{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}');
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toMatch(/expects shape \[1,2\] \(any batch size\), got \[1,3\]/);
    const metadata = await call(`${server.url}/v2/models/linear`);
    expect(metadata.body.inputs[0].shape[1]).toBe(2);
    expect(metadata.body.inputs[0].shape[0]).not.toBe(700);
  });
});

describe('readiness and configuration', () => {
  it('/v2/health/ready is 503 with the reason while a preloaded model does not serve, or the repository is missing', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tfls-ready-'));
    addVersion(root, 'face-detection', 1, 'models/face-detection/1/model.tflite', { task: 'face-detection' });
    const cases: [Record<string, string>, number, RegExp | undefined][] = [
      [{ MODEL_REPOSITORY: root, PRELOAD_MODELS: 'face-detection' }, 200, undefined],
      [
        { MODEL_REPOSITORY: root, PRELOAD_MODELS: 'face-detection,nobody' },
        503,
        /preloaded models not serving: "nobody"/,
      ],
      [{ MODEL_REPOSITORY: join(root, 'missing') }, 503, /model repository directory does not exist/],
    ];
    for (const [env, status, reason] of cases) {
      const probe = await startServer(env);
      try {
        const ready = await call(`${probe.url}/v2/health/ready`);
        expect(ready.status).toBe(status);
        expect(ready.body.ready).toBe(status === 200);
        if (reason) expect(ready.body.reason).toMatch(reason);
        expect(ready.body.reason ?? '').not.toContain(root);
      } finally {
        await probe.close();
      }
    }
  });

  it('MODEL_REPOSITORY with another URL scheme is refused, not taken for a folder', () => {
    expect(() => loadServerConfig({ MODEL_REPOSITORY: 'https://example.com/models' })).toThrow(
      /MODEL_REPOSITORY must be a directory or s3:\/\/bucket\/prefix, got "https:\/\/example.com\/models"/,
    );
  });

  it('PORT=abc is named in the error', async () => {
    const previous = process.env.PORT;
    process.env.PORT = 'abc';
    try {
      const { code, stderr } = await runCli('serve');
      expect(code).not.toBe(0);
      expect(stderr).toMatch(/environment variable PORT must be an integer in \[0, 65535\], got "abc"/);
    } finally {
      if (previous === undefined) delete process.env.PORT;
      else process.env.PORT = previous;
    }
  });
});
