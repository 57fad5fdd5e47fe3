import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addVersion } from '../helpers/repository.js';
import { call, startServer, type TestServer } from '../helpers/server.js';
import { fullyConnectedModel } from '../helpers/tinyModels.js';

const V1 = fullyConnectedModel(
  [
    [1, 0],
    [0, 1],
  ],
  [0, 0],
); // y = x
const V2 = fullyConnectedModel(
  [
    [2, 0],
    [0, 2],
  ],
  [0, 0],
); // y = 2x

let root: string;
let server: TestServer;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tfls-swap-'));
  addVersion(root, 'doubler', 1, V1);
  server = await startServer({ MODEL_REPOSITORY: root, MODEL_REFRESH_SECONDS: '0.2', PRELOAD_MODELS: 'doubler' });
});
afterAll(() => server.close());

describe('a new version while clients call', () => {
  it('8 concurrent clients see no failure, and the new version answers afterwards', async () => {
    const results: { version: string; y: number; at: number }[] = [];
    const failures: string[] = [];
    let stop = false;
    const client = async () => {
      while (!stop) {
        const response = await call(`${server.url}/v2/models/doubler/infer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP32', data: [3, 4] }] }),
        });
        if (response.status !== 200) failures.push(`${response.status} ${JSON.stringify(response.body)}`);
        else
          results.push({ version: response.body.model_version, y: response.body.outputs[0].data[0], at: Date.now() });
      }
    };
    const clients = Array.from({ length: 8 }, client);
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Publish version 2 the way a deployment does: complete, then visible at once.
    const staging = join(root, '.staging-2');
    mkdirSync(staging);
    writeFileSync(join(staging, 'model.tflite'), V2);
    renameSync(staging, join(root, 'doubler', '2'));
    const published = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    stop = true;
    await Promise.all(clients);

    expect(failures).toEqual([]);
    expect(results.filter((r) => r.at < published).every((r) => r.version === '1' && r.y === 3)).toBe(true);
    // Each answer is consistent: version 1 doubles nothing, version 2 doubles.
    expect(results.every((r) => (r.version === '1' ? r.y === 3 : r.version === '2' && r.y === 6))).toBe(true);
    const tail = results.slice(-50);
    expect(tail.length).toBe(50);
    expect(tail.every((r) => r.version === '2')).toBe(true);
    expect(results.length).toBeGreaterThan(200);
  });
});
