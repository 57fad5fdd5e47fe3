import { describe, expect, it } from 'vitest';
import { ModelCache } from '../../src/repository/modelCache.js';
import { quietLogger } from '../../src/repository/repositoryLogger.js';
import { deferred, servedStub } from '../support/servedStub.js';

const MB = 2 ** 20;
const loaded = (name: string, version: number, mb: number) => {
  const stub = servedStub(name, version);
  return { stub, load: () => Promise.resolve({ served: stub.served, occupiedBytes: mb * MB }) };
};

describe('Class: ModelCache', () => {
  describe('Method: ensure', () => {
    it('shares one load between the callers that ask while it runs', async () => {
      // Prepare
      const cache = new ModelCache(100 * MB, quietLogger);
      const gate = deferred<{ served: ReturnType<typeof servedStub>['served']; occupiedBytes: number }>();
      let loads = 0;
      const load = () => {
        loads++;
        return gate.promise;
      };
      // Act
      const first = cache.ensure('a', 1, load);
      const second = cache.ensure('a', 1, load);
      gate.resolve({ served: servedStub('a', 1).served, occupiedBytes: MB });
      await first.promise;
      // Assess
      expect(second).toBe(first);
      expect(loads).toBe(1);
      expect(cache.usedBytes).toBe(MB);
    });

    it('forgets a load that failed, so that the next ask loads again', async () => {
      const cache = new ModelCache(100 * MB, quietLogger);
      const failing = cache.ensure('a', 1, () => Promise.reject(new Error('bad file')));
      await expect(cache.lease(failing)).rejects.toThrow('bad file');
      expect(cache.entry('a@1')).toBeUndefined();
      expect(cache.usedBytes).toBe(0);
    });
  });

  describe('Method: lease', () => {
    it('a version dropped while leased serves its lease to the end, then is disposed once', async () => {
      const cache = new ModelCache(100 * MB, quietLogger);
      const { stub, load } = loaded('a', 1, 10);
      const entry = cache.ensure('a', 1, load);
      const lease = await cache.lease(entry);
      // Act: a newer version swaps in while a request holds this one.
      cache.drop(entry);
      // Assess
      expect(stub.disposals()).toBe(0);
      expect(lease.served.model.disposed).toBe(false);
      expect(cache.usedBytes).toBe(0);
      lease.release();
      lease.release();
      expect(stub.disposals()).toBe(1);
    });

    it('a version dropped while it loads is disposed when the load ends, and its waiters hear why', async () => {
      const cache = new ModelCache(100 * MB, quietLogger);
      const stub = servedStub('a', 1);
      const gate = deferred<{ served: typeof stub.served; occupiedBytes: number }>();
      const entry = cache.ensure('a', 1, () => gate.promise);
      const waiting = cache.lease(entry);
      cache.drop(entry);
      gate.resolve({ served: stub.served, occupiedBytes: MB });
      await expect(waiting).rejects.toThrow(/removed while it loaded/);
      expect(stub.disposals()).toBe(1);
      expect(cache.usedBytes).toBe(0);
    });
  });

  describe('Method: eviction', () => {
    it('evicts the least recently used past the budget, and a leased one only once released', async () => {
      // Prepare: a clock the test moves, three models of 40 MB in 100 MB.
      let now = 0;
      const cache = new ModelCache(100 * MB, quietLogger, () => now);
      const a = loaded('a', 1, 40);
      const b = loaded('b', 1, 40);
      const c = loaded('c', 1, 40);
      const leaseA = await cache.lease(cache.ensure('a', 1, a.load));
      now = 1;
      (await cache.lease(cache.ensure('b', 1, b.load))).release();
      now = 2;
      // Act: c does not fit; a is the least recently used, and leased.
      (await cache.lease(cache.ensure('c', 1, c.load))).release();
      // Assess
      expect(cache.entry('a@1')).toBeUndefined();
      expect(a.stub.disposals()).toBe(0);
      expect(cache.usedBytes).toBe(80 * MB);
      leaseA.release();
      expect(a.stub.disposals()).toBe(1);
      expect(b.stub.disposals()).toBe(0);
    });

    it('never evicts the version just loaded, even alone over the budget', async () => {
      const cache = new ModelCache(10 * MB, quietLogger);
      const big = loaded('big', 1, 50);
      const lease = await cache.lease(cache.ensure('big', 1, big.load));
      expect(cache.entry('big@1')).toBeDefined();
      expect(cache.usedBytes).toBe(50 * MB);
      lease.release();
      expect(big.stub.disposals()).toBe(0);
    });
  });
});
