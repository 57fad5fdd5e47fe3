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
    // Counted, not timed: the clients call until every one of them has seen the new version answer
    // 10 times in a row after it was published (or 5,000 calls in all, which would fail below).
    const results: { version: string; y: number; afterPublish: boolean }[] = [];
    const failures: string[] = [];
    let published = false;
    const client = async () => {
      let newInARow = 0;
      while (newInARow < 10 && results.length + failures.length < 5000) {
        const afterPublish = published;
        const response = await call(`${server.url}/v2/models/doubler/infer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP32', data: [3, 4] }] }),
        });
        if (response.status !== 200) {
          failures.push(`${response.status} ${JSON.stringify(response.body)}`);
          continue;
        }
        const version = response.body.model_version as string;
        results.push({ version, y: response.body.outputs[0].data[0], afterPublish });
        newInARow = afterPublish && version === '2' ? newInARow + 1 : 0;
      }
    };
    const clients = Array.from({ length: 8 }, client);
    // Publish version 2 once the clients have had 100 answers, the way a deployment does: complete, then visible at once.
    while (results.length < 100) await new Promise((resolve) => setImmediate(resolve));
    const staging = join(root, '.staging-2');
    mkdirSync(staging);
    writeFileSync(join(staging, 'model.tflite'), V2);
    renameSync(staging, join(root, 'doubler', '2'));
    published = true;
    await Promise.all(clients);

    expect(failures).toEqual([]);
    expect(results.filter((r) => !r.afterPublish).every((r) => r.version === '1' && r.y === 3)).toBe(true);
    // Each answer is consistent: version 1 doubles nothing, version 2 doubles.
    expect(results.every((r) => (r.version === '1' ? r.y === 3 : r.version === '2' && r.y === 6))).toBe(true);
    expect(results.length).toBeLessThan(5000);
    // Once version 2 answered, version 1 never did again.
    const firstNew = results.findIndex((r) => r.version === '2');
    expect(firstNew).toBeGreaterThan(0);
    expect(results.slice(firstNew).filter((r) => r.version === '1').length).toBeLessThanOrEqual(8);
  });
});
