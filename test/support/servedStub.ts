import type { Model } from '../../src/engine/types.js';
import type { ServedModel } from '../../src/repository/types.js';

/** A served model whose engine only counts how often it was disposed: what the cache's unit tests watch. */
interface StubModel {
  readonly served: ServedModel;
  disposals(): number;
}

const servedStub = (name: string, version: number): StubModel => {
  let disposed = 0;
  const model = {
    engine: 'native',
    delegate: 'none',
    threads: 1,
    nodes: 0,
    interpreters: 1,
    inputs: [],
    outputs: [],
    get disposed() {
      return disposed > 0;
    },
    dispose: () => {
      disposed++;
    },
  } as unknown as Model;
  const served = { name, version, model, inputs: [], outputs: [], bytes: 1 } as unknown as ServedModel;
  return { served, disposals: () => disposed };
};

/** A promise and the functions that settle it: a load that finishes when the test says so. */
const deferred = <T>() => {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((done, fail) => {
    resolve = done;
    reject = fail;
  });
  return { promise, resolve, reject };
};

export { deferred, servedStub };
