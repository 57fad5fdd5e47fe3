import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ModelUnavailableError } from '../../src/errors.js';
import { LocalModelSource } from '../../src/repository/LocalModelSource.js';
import { ModelRepository } from '../../src/repository/ModelRepository.js';
import type { ModelSource } from '../../src/repository/types.js';
import { addVersion } from '../helpers/repository.js';
import { fullyConnectedModel, whileModel } from '../helpers/tinyModels.js';

// y = k·x: the answer says which version ran.
const scaling = (k: number) =>
  fullyConnectedModel(
    [
      [k, 0],
      [0, k],
    ],
    [0, 0],
  );

const answer = async (repository: ModelRepository, name: string): Promise<{ version: number; y: number }> => {
  const lease = await repository.acquire(name);
  try {
    const [y] = await lease.served.model.runAsync([Float32Array.from([3, 4])]);
    return { version: lease.served.version, y: (y!.data as Float32Array)[0]! };
  } finally {
    lease.release();
  }
};

/** The local source, whose listings can be made to fail: S3 unreachable for a while. */
const flakySource = (root: string): ModelSource & { failing: boolean } => {
  const local = new LocalModelSource(root);
  const source = {
    failing: false,
    location: local.location,
    listModels: () => local.listModels(),
    unreachable: () => local.unreachable(),
    listVersions: (name: string) =>
      source.failing ? Promise.reject(new Error('the source cannot be listed now')) : local.listVersions(name),
    fetchVersion: (name: string, version: number) => local.fetchVersion(name, version),
    fetchManifest: (name: string, version: number) => local.fetchManifest(name, version),
    manifestTag: (name: string, version: number) => local.manifestTag(name, version),
  };
  return source;
};

let root: string;
let now: number;
const logged: string[] = [];
const logger = {
  info: () => undefined,
  warn: (message: string) => void logged.push(message),
  error: (message: string) => void logged.push(message),
};
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'tfls-repository-'));
  now = 0;
  logged.length = 0;
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const repositoryOver = (source: ModelSource, options: { runTimeoutMs?: number; cacheBytes?: number } = {}) =>
  new ModelRepository({
    source,
    cacheBytes: options.cacheBytes ?? 2 ** 30,
    refreshMs: 1000,
    load: { threads: 1 },
    logger,
    clock: () => now,
    ...(options.runTimeoutMs !== undefined && { runTimeoutMs: options.runTimeoutMs }),
  });

describe('Class: ModelRepository', () => {
  it('swaps a new version in while a request holds the old one: the old answers to the end, then goes', async () => {
    // Prepare
    addVersion(root, 'm', 1, scaling(1));
    const repository = repositoryOver(new LocalModelSource(root));
    const held = await repository.acquire('m');
    // Act
    addVersion(root, 'm', 2, scaling(2));
    now = 1000;
    await repository.refresh('m');
    // Assess: the new version serves; the held one still runs, and is disposed at release.
    expect(await answer(repository, 'm')).toEqual({ version: 2, y: 6 });
    const [y] = await held.served.model.runAsync([Float32Array.from([3, 4])]);
    expect((y!.data as Float32Array)[0]).toBe(3);
    expect(held.served.model.disposed).toBe(false);
    held.release();
    expect(held.served.model.disposed).toBe(true);
    repository.dispose();
  });

  it('keeps serving what is loaded when the source cannot be listed, and finds the new version once it can', async () => {
    addVersion(root, 'm', 1, scaling(1));
    const source = flakySource(root);
    const repository = repositoryOver(source);
    expect(await answer(repository, 'm')).toEqual({ version: 1, y: 3 });
    addVersion(root, 'm', 2, scaling(2));
    source.failing = true;
    now = 1000;
    await repository.refresh('m');
    expect(await answer(repository, 'm')).toEqual({ version: 1, y: 3 });
    expect(logged).toContain('listing model versions failed; serving what is loaded');
    source.failing = false;
    now = 2000;
    await repository.refresh('m');
    expect(await answer(repository, 'm')).toEqual({ version: 2, y: 6 });
    repository.dispose();
  });

  it('lists every model without loading one, and counts what loads take against the budget', async () => {
    for (const name of ['a', 'b', 'c']) addVersion(root, name, 1, scaling(1));
    const repository = repositoryOver(new LocalModelSource(root));
    expect(await repository.index()).toEqual(
      ['a', 'b', 'c'].map((name) => ({
        name,
        version: 1,
        state: 'UNLOADED',
        reason: 'not loaded yet: it loads at its first request',
      })),
    );
    expect(repository.usedBytes).toBe(0);
    await answer(repository, 'b');
    // Never less than the file; a load grows the process by more than that.
    expect(repository.usedBytes).toBeGreaterThanOrEqual(scaling(1).length);
    expect((await repository.index()).find((row) => row.name === 'b')).toEqual({
      name: 'b',
      version: 1,
      state: 'AVAILABLE',
    });
    repository.dispose();
  });

  it('refuses a version whose run overran its deadline, until a new version replaces it; the others answer', async () => {
    // A loop that never ends: its run holds an engine thread for good; the repository must not give it another.
    addVersion(root, 'loop', 1, whileModel(1, 2, 0));
    addVersion(root, 'm', 1, scaling(1));
    const repository = repositoryOver(new LocalModelSource(root), { runTimeoutMs: 300 });
    const lease = await repository.acquire('loop');
    const stuck = lease.served.model.runAsync([Float32Array.from([0])]);
    await expect(stuck).rejects.toThrow(
      'model "loop" version 1 did not answer within 0.3 s (INFERENCE_TIMEOUT_SECONDS) and is refused until a new version replaces it',
    );
    lease.release();
    const refused = repository.acquire('loop');
    await expect(refused).rejects.toBeInstanceOf(ModelUnavailableError);
    await expect(refused).rejects.toThrow(/did not answer within 0\.3 s/);
    expect(await repository.status('loop')).toEqual([
      { version: 1, state: 'END', error: expect.stringMatching(/did not answer within 0\.3 s/) },
    ]);
    expect(await answer(repository, 'm')).toEqual({ version: 1, y: 3 });
    // A new version is served, the refused one never again.
    addVersion(root, 'loop', 2, scaling(2));
    now = 1000;
    await repository.refresh('loop');
    expect(await answer(repository, 'loop')).toEqual({ version: 2, y: 6 });
    repository.dispose();
  });
});
