import type { RepositoryLogger } from './repositoryLogger.js';
import type { Lease, ServedModel } from './types.js';

/** A loaded version and the memory it took. */
interface Loaded {
  readonly served: ServedModel;
  /** What the cache budget counts: the memory the load took (never less than the file). */
  readonly occupiedBytes: number;
}

interface CacheEntry {
  readonly key: string;
  readonly name: string;
  readonly version: number;
  /** The served model, once loaded; replaced when its settings are read again. */
  promise: Promise<ServedModel>;
  loaded?: Loaded;
  refs: number;
  lastUsed: number;
  /** Evicted or superseded: disposed once the last lease is released. */
  dropped: boolean;
}

/**
 * Loaded versions by name@version: one load per version at a time, leases
 * that keep a version alive while a request uses it, and a memory budget
 * (what each load took, as measured) kept by evicting the least recently
 * used. An evicted or superseded version leaves the cache at once and is
 * disposed when its last lease is released.
 */
class ModelCache {
  readonly #entries = new Map<string, CacheEntry>();
  #usedBytes = 0;

  public constructor(
    private readonly budgetBytes: number,
    private readonly logger: RepositoryLogger,
    private readonly clock: () => number = Date.now,
  ) {}

  /** What the loaded versions took, as counted against the budget. */
  public get usedBytes(): number {
    return this.#usedBytes;
  }

  public entry(key: string): CacheEntry | undefined {
    return this.#entries.get(key);
  }

  /** The versions loaded now (of `name`, when given). */
  public loaded(name?: string): CacheEntry[] {
    return [...this.#entries.values()].filter((e) => e.loaded && (name === undefined || e.name === name));
  }

  /**
   * The entry for a version, loading it with `load` when the cache has none:
   * concurrent callers share the one load. A failed load leaves the cache.
   */
  public ensure(name: string, version: number, load: () => Promise<Loaded>): CacheEntry {
    const key = `${name}@${version}`;
    const existing = this.#entries.get(key);
    if (existing) return existing;
    const entry: CacheEntry = {
      key,
      name,
      version,
      promise: Promise.resolve() as unknown as Promise<ServedModel>,
      refs: 0,
      lastUsed: this.clock(),
      dropped: false,
    };
    entry.promise = load().then(
      (loaded) => {
        if (entry.dropped) {
          // Dropped while it loaded (its version left the source): nobody may use it.
          loaded.served.model.dispose();
          throw new Error(`model ${JSON.stringify(name)} version ${version} was removed while it loaded`);
        }
        entry.loaded = loaded;
        this.#usedBytes += loaded.occupiedBytes;
        this.#evict(entry);
        return loaded.served;
      },
      (error: unknown) => {
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
        throw error;
      },
    );
    // A background load nobody awaits must not be an unhandled rejection.
    entry.promise.catch(() => undefined);
    this.#entries.set(key, entry);
    return entry;
  }

  /** Holds the entry's model for a request; release() when done. Rejects when its load fails. */
  public async lease(entry: CacheEntry): Promise<Lease> {
    entry.refs++;
    entry.lastUsed = this.clock();
    let served: ServedModel;
    try {
      served = await entry.promise;
    } catch (error) {
      entry.refs--;
      throw error;
    }
    let released = false;
    return {
      served,
      release: () => {
        if (released) return;
        released = true;
        entry.refs--;
        if (entry.dropped && entry.refs === 0) served.model.dispose();
      },
    };
  }

  /** New settings for a loaded version (its model.json changed); the model stays. */
  public update(entry: CacheEntry, served: ServedModel): void {
    if (!entry.loaded || entry.dropped) return;
    entry.loaded = { ...entry.loaded, served };
    entry.promise = Promise.resolve(served);
  }

  /** Takes a version out: it is disposed now, or when its last lease is released. */
  public drop(entry: CacheEntry): void {
    if (entry.dropped) return;
    entry.dropped = true;
    if (this.#entries.get(entry.key) === entry) this.#entries.delete(entry.key);
    if (entry.loaded) {
      this.#usedBytes -= entry.loaded.occupiedBytes;
      if (entry.refs === 0) entry.loaded.served.model.dispose();
    }
  }

  public dropAll(): void {
    for (const entry of [...this.#entries.values()]) this.drop(entry);
  }

  /** Drops least-recently-used versions until the budget holds (never the one just loaded). */
  #evict(keep: CacheEntry): void {
    const candidates = this.loaded()
      .filter((e) => e !== keep)
      .sort((a, b) => a.lastUsed - b.lastUsed);
    for (const entry of candidates) {
      if (this.#usedBytes <= this.budgetBytes) break;
      this.logger.info('model evicted', {
        model: entry.key,
        occupiedMb: Math.round(entry.loaded!.occupiedBytes / 2 ** 20),
        cacheMb: Math.round(this.budgetBytes / 2 ** 20),
      });
      this.drop(entry);
    }
  }
}

export type { CacheEntry, Loaded };
export { ModelCache };
