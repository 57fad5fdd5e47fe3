import { withRunDeadline } from '../engine/runDeadline.js';
import type { LoadOptions } from '../engine/types.js';
import { ModelUnavailableError, NotFoundError, type TflsError } from '../errors.js';
import { resolveManifest } from '../manifest/resolveManifest.js';
import { LoadFailures } from './loadFailures.js';
import { loadVersion } from './loadVersion.js';
import { type CacheEntry, type Loaded, ModelCache } from './modelCache.js';
import { checkModelName } from './names.js';
import { quietLogger, type RepositoryLogger } from './repositoryLogger.js';
import type { Lease, ModelSource, ServedModel } from './types.js';
import { type ModelVersions, VersionIndex } from './versionIndex.js';

interface RepositoryOptions {
  readonly source: ModelSource;
  /** Budget for loaded models: the memory each load took, as measured (never less than its file). */
  readonly cacheBytes: number;
  /** How old a model's version listing may get before a request triggers a new look. */
  readonly refreshMs: number;
  readonly load?: LoadOptions;
  /** A run that has not answered after this marks its version failed (503) until a new version; default none. */
  readonly runTimeoutMs?: number;
  readonly logger?: RepositoryLogger;
  /** Called after each successful load (metrics). */
  readonly onLoaded?: (served: ServedModel) => void;
  readonly clock?: () => number;
}

interface VersionStatus {
  readonly version: number;
  /**
   * AVAILABLE: loaded, or the version a request gets; LOADING; END: failed
   * or superseded; UNLOADED: in the source, loaded at its first request.
   */
  readonly state: 'AVAILABLE' | 'LOADING' | 'END' | 'UNLOADED';
  readonly error?: string;
}

interface IndexRow {
  readonly name: string;
  readonly version?: number;
  readonly state: VersionStatus['state'];
  readonly reason?: string;
}

const keyOf = (name: string, version: number): string => `${name}@${version}`;
const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Loaded models by name and version, for one process: the version index
 * (what the source holds, listed again every `refreshMs`), the cache (loaded
 * versions, leases, a memory budget) and the record of failures, joined.
 *
 * - A request without a version gets the highest version that loads.
 * - Every `refreshMs` a request triggers a look for newer versions in the
 *   background; a newer one is loaded and then swapped in atomically.
 *   Requests holding the old version finish on it, and it is disposed when
 *   the last lease is released. A version that fails to load is logged and
 *   the current one keeps serving.
 * - Loaded models are evicted least-recently-used past `cacheBytes`, counted
 *   as the memory each load took.
 * - A version whose run overran `runTimeoutMs` is refused until it leaves
 *   the source.
 */
class ModelRepository {
  readonly #options: RepositoryOptions;
  readonly #logger: RepositoryLogger;
  readonly #clock: () => number;
  readonly #index: VersionIndex;
  readonly #cache: ModelCache;
  readonly #failures: LoadFailures;
  readonly #discovering = new Map<string, Promise<ModelVersions>>();
  readonly #checking = new Map<string, Promise<void>>();
  /** Identity of the model.json each loaded version's settings came from. */
  readonly #manifestTags = new Map<string, string | undefined>();
  #ready = false;
  #preloaded: readonly string[] = [];

  public constructor(options: RepositoryOptions) {
    this.#options = options;
    this.#logger = options.logger ?? quietLogger;
    this.#clock = options.clock ?? Date.now;
    this.#index = new VersionIndex(options.source, options.refreshMs, this.#logger, this.#clock);
    this.#cache = new ModelCache(options.cacheBytes, this.#logger, this.#clock);
    this.#failures = new LoadFailures(options.refreshMs, this.#clock);
  }

  public get source(): ModelSource {
    return this.#options.source;
  }

  /** What the loaded models take, as the cache budget counts it. */
  public get usedBytes(): number {
    return this.#cache.usedBytes;
  }

  /**
   * Ready to serve: preload has run, every preloaded model has a version
   * serving, and the repository can be read. Otherwise why not.
   */
  public async readiness(): Promise<{ ready: boolean; reason?: string }> {
    if (!this.#ready) return { ready: false, reason: 'the models to preload are still loading' };
    const down = this.#preloaded.filter((name) => this.#index.known(name)?.latest === undefined);
    if (down.length > 0)
      return { ready: false, reason: `preloaded models not serving: ${down.map((n) => JSON.stringify(n)).join(', ')}` };
    const unreachable = await this.#options.source.unreachable();
    return unreachable ? { ready: false, reason: unreachable } : { ready: true };
  }

  /** Loads the latest version of each model; failures are logged, not thrown (readiness() reports them). */
  public async preload(names: readonly string[]): Promise<void> {
    this.#preloaded = [...names];
    for (const name of names) {
      try {
        (await this.acquire(name)).release();
      } catch (error) {
        this.#logger.error('preload failed', { model: name, error: reason(error) });
      }
    }
    this.#ready = true;
  }

  /** The model for a request; release the lease when the request is done. */
  public async acquire(name: string, version?: number): Promise<Lease> {
    checkModelName(name);
    const state = await this.#state(name);
    const wanted = version ?? state.latest;
    if (wanted === undefined) throw this.#unavailable(name, state);
    if (version !== undefined && !state.versions.includes(version) && !this.#cache.entry(keyOf(name, version))) {
      // The listing may predate the version: look again before saying no.
      await this.#check(name, state);
      if (!state.versions.includes(version))
        throw new NotFoundError(`model ${JSON.stringify(name)} has no version ${version}`);
    }
    try {
      return await this.#lease(name, wanted);
    } catch (error) {
      if (version !== undefined) throw error;
      // The served version may have been deleted since the last listing: look again and serve what remains.
      await this.#check(name, state);
      if (state.latest === undefined || state.latest === wanted) throw error;
      return this.#lease(name, state.latest);
    }
  }

  /** The versions of a model in the source, and what this process knows of them. */
  public async status(name: string, version?: number): Promise<VersionStatus[]> {
    checkModelName(name);
    const state = await this.#state(name);
    if (version !== undefined && !state.versions.includes(version))
      throw new NotFoundError(`model ${JSON.stringify(name)} has no version ${version}`);
    return (version === undefined ? state.versions : [version]).map((v) => this.#versionStatus(name, v, state.latest));
  }

  /**
   * Every model in the source and the state of the version a request would
   * get (the KServe / Triton repository index), without loading anything: a
   * model not loaded yet is listed UNLOADED with its highest version, and
   * loads at its first request.
   */
  public async index(): Promise<IndexRow[]> {
    const rows: IndexRow[] = [];
    for (const name of await this.#options.source.listModels()) {
      const known = this.#index.known(name);
      if (!known) {
        const versions = await this.#options.source.listVersions(name).catch(() => []);
        rows.push({
          name,
          ...(versions.length > 0 && { version: versions.at(-1)! }),
          state: 'UNLOADED',
          reason: 'not loaded yet: it loads at its first request',
        });
        continue;
      }
      const statuses = known.versions.map((v) => this.#versionStatus(name, v, known.latest));
      const current =
        statuses.filter((s) => s.state === 'AVAILABLE').at(-1) ??
        statuses.filter((s) => s.state === 'LOADING').at(-1) ??
        statuses.at(-1);
      rows.push({
        name,
        ...(current && { version: current.version }),
        state: current?.state ?? 'END',
        ...(current?.error && { reason: current.error }),
      });
    }
    return rows;
  }

  /**
   * Looks for new versions of a model now, as a request does once its listing
   * is older than `refreshMs`, and resolves when a newer version (if any) has
   * been loaded and swapped in.
   */
  public async refresh(name: string): Promise<void> {
    checkModelName(name);
    const state = this.#index.known(name);
    if (!state) {
      await this.#discover(name);
      return;
    }
    await (this.#checking.get(name) ?? this.#check(name, state));
  }

  /** Disposes every loaded model. */
  public dispose(): void {
    this.#cache.dropAll();
    this.#index.clear();
  }

  #versionStatus(name: string, version: number, latest: number | undefined): VersionStatus {
    const entry = this.#cache.entry(keyOf(name, version));
    const failure = this.#failures.get(keyOf(name, version));
    if (entry?.loaded) return { version, state: 'AVAILABLE' };
    if (entry) return { version, state: 'LOADING' };
    if (failure) return { version, state: 'END', error: failure.error.message };
    return { version, state: version === latest ? 'AVAILABLE' : 'END' };
  }

  async #state(name: string): Promise<ModelVersions> {
    const state = this.#index.known(name);
    if (!state) return this.#discover(name);
    if (this.#index.due(state) && !this.#checking.has(name)) {
      const checking = this.#check(name, state).finally(() => this.#checking.delete(name));
      this.#checking.set(name, checking);
    }
    return state;
  }

  /** First sight of a model: list its versions and load the highest that loads. */
  #discover(name: string): Promise<ModelVersions> {
    let discovering = this.#discovering.get(name);
    if (!discovering) {
      discovering = (async () => {
        const state = await this.#index.discover(name);
        for (const version of [...state.versions].reverse()) {
          try {
            (await this.#lease(name, version)).release();
            state.latest = version;
            break;
          } catch {
            // Logged by #load; an older version may still serve.
          }
        }
        this.#index.remember(name, state);
        return state;
      })().finally(() => this.#discovering.delete(name));
      this.#discovering.set(name, discovering);
    }
    return discovering;
  }

  /**
   * Lists the versions again. A newer one is loaded and swapped in; when the
   * served one has disappeared (a rollback by deletion), the best that
   * remains and loads serves instead; versions gone from the source are
   * dropped, whoever asked for them.
   */
  async #check(name: string, state: ModelVersions): Promise<void> {
    if (!(await this.#index.relist(name, state))) return;
    for (const entry of this.#cache.loaded(name)) if (!state.versions.includes(entry.version)) this.#cache.drop(entry);
    for (const key of [...this.#manifestTags.keys()])
      if (key.startsWith(`${name}@`) && !this.#cache.entry(key)) this.#manifestTags.delete(key);
    await this.#rereadManifests(name);
    this.#failures.keepOnly(name, state.versions);
    const previous = state.latest;
    const kept = previous !== undefined && state.versions.includes(previous) ? previous : undefined;
    const keptRefused = kept !== undefined && this.#failures.get(keyOf(name, kept))?.permanent;
    // Newest first, down to (not including) the version that still serves.
    const candidates = state.versions.filter((v) => kept === undefined || keptRefused || v > kept).reverse();
    let chosen = keptRefused ? undefined : kept;
    for (const version of candidates) {
      if (this.#failures.blocking(keyOf(name, version))) continue;
      try {
        (await this.#lease(name, version)).release();
        chosen = version;
        break;
      } catch {
        // Logged by #load; an older version may still serve.
      }
    }
    if (chosen === previous) return;
    state.latest = chosen;
    if (chosen === undefined) {
      this.#logger.error('no version of the model serves any more', { model: name, previous });
      if (state.versions.length === 0) this.#index.forget(name);
      return;
    }
    this.#logger.info('new model version serving', { model: name, version: chosen, previous });
    if (previous !== undefined) {
      const old = this.#cache.entry(keyOf(name, previous));
      if (old) this.#cache.drop(old);
    }
  }

  /**
   * A loaded version whose model.json appeared, changed or went since it was
   * read serves with the settings it now gives (the model stays loaded): an
   * upload that lands model.tflite before model.json is not served with the
   * defaults for as long as it exists. A model.json that no longer fits the
   * model is logged, and the version keeps the settings it had.
   */
  async #rereadManifests(name: string): Promise<void> {
    const { source } = this.#options;
    for (const entry of this.#cache.loaded(name)) {
      const known = this.#manifestTags.get(entry.key);
      const tag = await source.manifestTag(name, entry.version).catch(() => known);
      if (tag === known) continue;
      const where = { model: name, version: entry.version };
      const served = entry.loaded!.served;
      try {
        const files = await source.fetchManifest(name, entry.version);
        this.#cache.update(entry, {
          ...served,
          manifest: await resolveManifest(files.manifest, served.model, files.readFile),
          manifestSource: files.manifest === undefined ? 'defaults' : 'model.json',
        });
        this.#manifestTags.set(entry.key, files.manifestTag);
        this.#logger.info('model settings read again: its model.json changed', where);
      } catch (error) {
        // Not tried again until it changes once more.
        this.#manifestTags.set(entry.key, tag);
        this.#logger.error('model.json changed but cannot be used; the version keeps its settings', {
          ...where,
          error: reason(error),
        });
      }
    }
  }

  async #lease(name: string, version: number): Promise<Lease> {
    const key = keyOf(name, version);
    let entry = this.#cache.entry(key);
    if (!entry) {
      const blocking = this.#failures.blocking(key);
      if (blocking) throw blocking;
      entry = this.#cache.ensure(name, version, () => this.#load(name, version));
    }
    return this.#cache.lease(entry);
  }

  async #load(name: string, version: number): Promise<Loaded> {
    const key = keyOf(name, version);
    let loaded: Awaited<ReturnType<typeof loadVersion>>;
    try {
      loaded = await loadVersion(this.#options.source, name, version, this.#options.load ?? {}, this.#clock);
    } catch (error) {
      const typed = new ModelUnavailableError(
        `model ${JSON.stringify(name)} version ${version} failed to load: ${reason(error)}`,
        { cause: error },
      );
      this.#failures.record(key, typed);
      this.#logger.error('model failed to load', { model: name, version, error: reason(error) });
      throw typed;
    }
    this.#failures.clear(key);
    this.#manifestTags.set(key, loaded.manifestTag);
    const { served } = loaded;
    const timeoutMs = this.#options.runTimeoutMs;
    const guarded =
      timeoutMs === undefined
        ? served
        : {
            ...served,
            model: withRunDeadline(
              served.model,
              timeoutMs,
              `model ${JSON.stringify(name)} version ${version}`,
              (error) => this.#refuse(name, version, error),
            ),
          };
    this.#logger.info('model loaded', {
      model: name,
      version,
      engine: served.model.engine,
      delegate: served.model.delegate,
      threads: served.model.threads,
      loadMs: served.loadMs,
      occupiedMb: Math.round(loaded.occupiedBytes / 2 ** 20),
      ...(served.model.engineReason && { engineReason: served.model.engineReason }),
      ...(served.model.delegateReason && { delegateReason: served.model.delegateReason }),
    });
    this.#options.onLoaded?.(guarded);
    return { served: guarded, occupiedBytes: loaded.occupiedBytes };
  }

  /**
   * A version whose run overran its deadline: refused (503 with the reason)
   * until it leaves the source, so that the next requests do not each hold
   * another engine thread on it. With the one interpreter of a model, it holds
   * one thread (TFLITE_INTERPRETERS: that many) for as long as the run lasts.
   */
  #refuse(name: string, version: number, error: ModelUnavailableError): void {
    const key = keyOf(name, version);
    if (this.#failures.get(key)?.permanent) return;
    this.#failures.record(key, error, true);
    this.#logger.error('model refused: a run overran its deadline', { model: name, version, error: error.message });
    const entry: CacheEntry | undefined = this.#cache.entry(key);
    if (entry) this.#cache.drop(entry);
    const state = this.#index.known(name);
    if (state?.latest === version) state.latest = undefined;
  }

  #unavailable(name: string, state: ModelVersions): TflsError {
    // A version refused for overrunning its deadline says so itself.
    const refused = state.versions.map((v) => this.#failures.get(keyOf(name, v))).findLast((f) => f?.permanent);
    if (refused) return refused.error as TflsError;
    const failures = state.versions
      .map((v) => this.#failures.get(keyOf(name, v)))
      .filter((f) => f !== undefined)
      .map((f) => f.error.message);
    return new ModelUnavailableError(
      `no version of model ${JSON.stringify(name)} could be loaded${failures.length ? `: ${failures.join('; ')}` : ''}`,
    );
  }
}

export type { RepositoryLogger } from './repositoryLogger.js';
export type { IndexRow, RepositoryOptions, VersionStatus };
export { ModelRepository };
