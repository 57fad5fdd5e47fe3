import { mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalModelSource } from '../../src/repository/LocalModelSource.js';
import { ModelRepository } from '../../src/repository/ModelRepository.js';
import { mutateModel, optionsOf } from '../helpers/mutate.js';
import { addVersion } from '../helpers/repository.js';
import { call, startServer } from '../helpers/server.js';
import { quantizedAddModel, whileModel } from '../helpers/tinyModels.js';

const FACE = 'models/face-detection/1/model.tflite';
const repositories: ModelRepository[] = [];
afterEach(() => {
  for (const repository of repositories.splice(0)) repository.dispose();
});

const open = (root: string, cacheBytes = 1024 * 1024 * 1024) => {
  const repository = new ModelRepository({
    source: new LocalModelSource(root),
    cacheBytes,
    refreshMs: 0,
    load: { threads: 1 },
  });
  repositories.push(repository);
  return repository;
};

const servedVersion = async (repository: ModelRepository, name: string): Promise<number> => {
  const lease = await repository.acquire(name);
  lease.release();
  return lease.served.version;
};

describe('a repository operators change under the server', () => {
  it('deleting the served version (a rollback) serves the best remaining one, warm or evicted', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tfls-rollback-'));
    addVersion(root, 'face', 1, FACE, { task: 'face-detection' });
    addVersion(root, 'face', 2, FACE, { task: 'face-detection' });
    addVersion(root, 'other', 1, FACE, { task: 'face-detection' });
    const warm = open(root);
    // A budget below one model: loading another model evicts the served version, which must then load again.
    const cold = open(root, 1);
    expect(await servedVersion(warm, 'face')).toBe(2);
    expect(await servedVersion(cold, 'face')).toBe(2);
    expect(await servedVersion(cold, 'other')).toBe(1);
    rmSync(join(root, 'face', '2'), { recursive: true });
    // Evicted: its reload fails, and the request itself is served by version 1.
    expect(await servedVersion(cold, 'face')).toBe(1);
    // Requests during the refresh the deletion triggers may still get the warm copy; once it is done, version 1 serves.
    for (let i = 0; i < 100 && (await servedVersion(warm, 'face')) === 2; i++) await sleep(10);
    for (let i = 0; i < 3; i++) {
      expect(await servedVersion(warm, 'face')).toBe(1);
      expect(await servedVersion(cold, 'face')).toBe(1);
    }
    expect(await warm.status('face')).toEqual([{ version: 1, state: 'AVAILABLE' }]);
    rmSync(join(root, 'face'), { recursive: true });
    rmSync(join(root, 'other'), { recursive: true });
    for (let i = 0; i < 100 && (await servedVersion(warm, 'face').catch(() => 0)) === 1; i++) await sleep(10);
    await expect(warm.acquire('face')).rejects.toThrow(/^model "face" not found$/);
  });

  it('a model.tflite that lands before its model.json serves with the model.json once it lands, and with each change', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tfls-late-json-'));
    addVersion(root, 'face', 1, FACE);
    const repository = open(root);
    const settings = async () => {
      const lease = await repository.acquire('face');
      lease.release();
      return {
        task: lease.served.manifest.task,
        from: lease.served.manifestSource,
        maxPixels: lease.served.manifest.maxPixels,
      };
    };
    expect(await settings()).toMatchObject({ from: 'defaults' });
    writeFileSync(join(root, 'face', '1', 'model.json'), JSON.stringify({ task: 'face-detection' }));
    // The look for changes runs beside requests (MODEL_REFRESH_SECONDS, 0 here).
    let now = await settings();
    for (let i = 0; i < 100 && now.from === 'defaults'; i++, await sleep(10)) now = await settings();
    expect(now).toMatchObject({ task: 'face-detection', from: 'model.json' });
    writeFileSync(
      join(root, 'face', '1', 'model.json'),
      JSON.stringify({ task: 'face-detection', maxPixels: 1_000_000 }),
    );
    for (let i = 0; i < 100 && now.maxPixels !== 1_000_000; i++, await sleep(10)) now = await settings();
    expect(now.maxPixels).toBe(1_000_000);
    // A model.json that does not fit the model is not taken: the version keeps the settings it has.
    writeFileSync(join(root, 'face', '1', 'model.json'), JSON.stringify({ task: 'no-such-task' }));
    for (let i = 0; i < 20; i++, await sleep(10))
      expect(await settings()).toMatchObject({ task: 'face-detection', maxPixels: 1_000_000 });
  });

  it('a model file that links outside the repository is refused, and no error shows a server path or file bytes', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tfls-links-'));
    const outside = mkdtempSync(join(tmpdir(), 'tfls-outside-'));
    writeFileSync(join(outside, 'secret.txt'), 'root:x:0:0:secret-bytes');
    addVersion(root, 'face', 1, FACE, { task: 'face-detection' });
    const leak = join(root, 'leak', '1');
    addVersion(root, 'leak', 1, FACE);
    rmSync(join(leak, 'model.tflite'));
    symlinkSync(join(outside, 'secret.txt'), join(leak, 'model.tflite'));
    addVersion(root, 'labels', 1, FACE, { task: 'classification', labels: 'labels.txt' });
    symlinkSync(join(outside, 'secret.txt'), join(root, 'labels', '1', 'labels.txt'));
    // A link that stays inside is fine.
    addVersion(root, 'alias', 1, FACE, { task: 'face-detection' });
    rmSync(join(root, 'alias', '1', 'model.tflite'));
    symlinkSync(join(root, 'face', '1', 'model.tflite'), join(root, 'alias', '1', 'model.tflite'));
    utimesSync(root, new Date(), new Date());

    const server = await startServer({ MODEL_REPOSITORY: root });
    try {
      const answers = await Promise.all(
        ['leak', 'labels', 'nobody'].map((name) => call(`${server.url}/v2/models/${name}`, { method: 'GET' })),
      );
      expect(answers.map((a) => a.status)).toEqual([503, 503, 404]);
      expect(answers[0]!.body.error).toMatch(/leak\/1\/model\.tflite links outside the model repository/);
      expect(answers[1]!.body.error).toMatch(/labels\/1\/labels\.txt links outside the model repository/);
      for (const answer of answers) {
        expect(answer.body.error).not.toContain(tmpdir());
        expect(answer.body.error).not.toContain('secret');
        expect(answer.body.error).not.toContain('root:x');
      }
      expect((await call(`${server.url}/v2/models/alias/ready`, { method: 'GET' })).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('models that would kill the engine are refused with their reasons, hot-swapped or not; the process lives and the good version answers', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tfls-killers-'));
    const face = new Uint8Array(readFileSync(FACE));
    addVersion(root, 'face', 1, FACE, { task: 'face-detection' });
    const server = await startServer({ MODEL_REPOSITORY: root, MODEL_REFRESH_SECONDS: '0', TFLITE_NUM_THREADS: '2' });
    const photo = readFileSync('test/fixtures/people/astronaut.jpg');
    const predict = () =>
      call(`${server.url}/v1/models/face:predict`, {
        method: 'POST',
        body: photo,
        headers: { 'content-type': 'image/jpeg' },
      });
    try {
      expect((await predict()).status).toBe(200);
      // Hot-swapped in as version 2: the probe's padding of 2, which crashed the server on its second request.
      const padding = mutateModel(face, (model) => {
        optionsOf(model, 2).padding = 2;
      });
      addVersion(root, 'face', 2, padding, { task: 'face-detection' });
      for (let i = 0; i < 5; i++) {
        const answer = await predict();
        expect(answer.status).toBe(200);
        expect(answer.headers.get('x-model-version')).toBe('1');
      }
      const refused = await call(`${server.url}/v2/models/face/versions/2`, { method: 'GET' });
      expect(refused.status).toBe(503);
      expect(refused.body.error).toMatch(/CONV_2D\) has padding 2, which is not one of SAME, VALID/);
      addVersion(root, 'loop', 1, whileModel(1, 0));
      addVersion(root, 'scale', 1, quantizedAddModel(1e38));
      addVersion(root, 'ratio', 1, quantizedAddModel(1e5));
      const reasons = {
        loop: /\(WHILE\) calls subgraph 0 \(bodySubgraphIndex\): a cycle, 0 → 0/,
        scale: /tensor "x" has quantization scale 1e\+38/,
        ratio: /\(ADD\) adds an input of scale 100000 into an output of scale 0\.04/,
      };
      for (const [name, reason] of Object.entries(reasons)) {
        const answer = await call(`${server.url}/v2/models/${name}`, { method: 'GET' });
        expect(answer.status).toBe(503);
        expect(answer.body.error).toMatch(reason);
      }
      expect((await call(`${server.url}/v2/health/live`, { method: 'GET' })).body).toEqual({ live: true });
      expect((await predict()).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('a model whose run never ends', () => {
  it('is refused after INFERENCE_TIMEOUT_SECONDS with the reason, holding one engine thread; every other model answers', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tfls-endless-'));
    // Valid in every field: a WHILE whose body adds 0, so x < 10 holds for ever.
    addVersion(root, 'loop', 1, whileModel(1, 2, 0));
    addVersion(root, 'face', 1, FACE, { task: 'face-detection' });
    const server = await startServer({ MODEL_REPOSITORY: root, INFERENCE_TIMEOUT_SECONDS: '0.5' });
    const infer = (model: string) =>
      call(`${server.url}/v2/models/${model}/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [0] }] }),
      });
    const photo = () =>
      call(`${server.url}/v1/models/face:predict`, {
        method: 'POST',
        headers: { 'content-type': 'image/jpeg' },
        body: new Uint8Array(readFileSync('test/fixtures/people/astronaut.jpg')),
      });
    try {
      const first = await infer('loop');
      expect(first.status).toBe(503);
      expect(first.body.error).toBe(
        'model "loop" version 1 did not answer within 0.5 s (INFERENCE_TIMEOUT_SECONDS) and is refused until a new version replaces it',
      );
      // Refused at once from then on: no request gives it another thread.
      const again = await infer('loop');
      expect(again.status).toBe(503);
      expect(again.body.error).toBe(first.body.error);
      expect((await call(`${server.url}/v2/models/loop/ready`)).status).toBe(503);
      // The libuv pool (4 threads) lost one to the loop: images decode and models run on the others.
      const answers = await Promise.all(Array.from({ length: 6 }, photo));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
      expect((await call(`${server.url}/v2/health/live`)).status).toBe(200);
    } finally {
      await server.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
