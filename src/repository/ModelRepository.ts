import { readFile } from 'node:fs/promises';
import { loadModel } from '../engine/loadModel.js';
import type { LoadOptions } from '../engine/types.js';
import { ModelUnavailableError, NotFoundError, type TflsError } from '../errors.js';
import { resolveManifest } from '../manifest/resolveManifest.js';
import { checkModelName } from './names.js';
import type { Lease, ModelSource, ServedModel } from './types.js';

interface RepositoryLogger {
  info(message: string, extra: Record<string, unknown>): void;
  warn(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}

interface RepositoryOptions {
  readonly source: ModelSource;
  /** Budget for loaded models, counted as the sum of their model.tflite sizes. */
  readonly cacheBytes: number;
  /** How old a model's version listing may get before a request triggers a new look. */
  readonly refreshMs: number;
  readonly load?: LoadOptions;
  readonly logger?: RepositoryLogger;
  /** Called after each successful load (metrics). */
  readonly onLoaded?: (served: ServedModel) => void;
}

interface VersionStatus {
  readonly version: number;
  readonly state: 'AVAILABLE' | 'LOADING' | 'END';
  readonly error?: string;
}

interface CacheEntry {
  readonly key: string;
  readonly name: string;
  readonly version: number;
  /** The served model, once loaded; replaced when its model.json is read again. */
  promise: Promise<ServedModel>;
  served?: ServedModel;
  /** Identity of the model.json the served settings came from. */
  manifestTag?: string;
  refs: number;
  lastUsed: number;
  /** Evicted or superseded: disposed once the last lease is released. */
  dropped: boolean;
}

interface ModelState {
  /** Versions in the source, ascending, as of checkedAt. */
  versions: number[];
  checkedAt: number;
  /** The version requests without a version get. */
  latest?: number;
  checking?: Promise<void>;
}

const quiet: RepositoryLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const keyOf = (name: string, version: number): string => `${name}@${version}`;
const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Loaded models by name and version, for one process.
 *
 * - A request without a version gets the highest version that loads.
 * - Every `refreshMs` a request triggers a look for newer versions in the
 *   background; a newer one is loaded and then swapped in atomically.
 *   Requests holding the old version finish on it, and it is disposed when
 *   the last lease is released. A version that fails to load is logged and
 *   the current one keeps serving.
 * - Loaded models are evicted least-recently-used past `cacheBytes`.
 */
class ModelRepository {
  readonly #options: RepositoryOptions;
  readonly #logger: RepositoryLogger;
  readonly #entries = new Map<string, CacheEntry>();
  readonly #models = new Map<string, ModelState>();
  readonly #discovering = new Map<string, Promise<ModelState>>();
  readonly #failures = new Map<string, { error: Error; at: number }>();
  /** Names found missing, and when: a flood of requests for unknown models lists the source once per refresh. */
  readonly #missing = new Map<string, number>();
  #usedBytes = 0;
  #ready = false;
  #preloaded: readonly string[] = [];

  public constructor(options: RepositoryOptions) {
    this.#options = options;
    this.#logger = options.logger ?? quiet;
  }

  public get source(): ModelSource {
    return this.#options.source;
  }

  /**
   * Ready to serve: preload has run, every preloaded model has a version
   * serving, and the repository can be read. Otherwise why not.
   */
  public async readiness(): Promise<{ ready: boolean; reason?: string }> {
    if (!this.#ready) return { ready: false, reason: 'the models to preload are still loading' };
    const down = this.#preloaded.filter((name) => this.#models.get(name)?.latest === undefined);
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
    if (version !== undefined && !state.versions.includes(version) && !this.#entries.has(keyOf(name, version))) {
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
    const versions = version === undefined ? state.versions : [version];
    if (version !== undefined && !state.versions.includes(version))
      throw new NotFoundError(`model ${JSON.stringify(name)} has no version ${version}`);
    return versions.map((v) => {
      const entry = this.#entries.get(keyOf(name, v));
      const failure = this.#failures.get(keyOf(name, v));
      if (entry?.served) return { version: v, state: 'AVAILABLE' };
      if (entry) return { version: v, state: 'LOADING' };
      if (failure) return { version: v, state: 'END', error: failure.error.message };
      return { version: v, state: v === state.latest ? 'AVAILABLE' : 'END' };
    });
  }

  /**
   * Every model in the source and the state of the version a request would
   * get (the KServe / Triton repository index): one listing of the source,
   * then each model's versions.
   */
  public async index(): Promise<{ name: string; version?: number; state: VersionStatus['state']; reason?: string }[]> {
    const rows: { name: string; version?: number; state: VersionStatus['state']; reason?: string }[] = [];
    for (const name of await this.#options.source.listModels()) {
      const statuses = await this.status(name).catch((error: Error) => [
        { state: 'END' as const, error: error.message },
      ]);
      const current =
        statuses.filter((s) => s.state === 'AVAILABLE').at(-1) ??
        statuses.filter((s) => s.state === 'LOADING').at(-1) ??
        statuses.at(-1);
      rows.push({
        name,
        ...(current && 'version' in current && { version: current.version }),
        state: current?.state ?? 'END',
        ...(current?.error && { reason: current.error }),
      });
    }
    return rows;
  }

  /** Disposes every loaded model. */
  public dispose(): void {
    for (const entry of this.#entries.values()) this.#drop(entry);
    this.#models.clear();
  }

  async #state(name: string): Promise<ModelState> {
    const state = this.#models.get(name);
    if (!state) return this.#discover(name);
    if (Date.now() - state.checkedAt >= this.#options.refreshMs && !state.checking) {
      state.checking = this.#check(name, state).finally(() => {
        state.checking = undefined;
      });
    }
    return state;
  }

  /** First sight of a model: list its versions and load the highest that loads. */
  #discover(name: string): Promise<ModelState> {
    // The location stays out of the message: callers need not know where the server keeps its models.
    const notFound = () => new NotFoundError(`model ${JSON.stringify(name)} not found`);
    const missingSince = this.#missing.get(name);
    if (missingSince !== undefined && Date.now() - missingSince < this.#options.refreshMs)
      return Promise.reject(notFound());
    let discovering = this.#discovering.get(name);
    if (!discovering) {
      discovering = (async () => {
        const versions = await this.#options.source.listVersions(name);
        if (versions.length === 0) {
          if (this.#missing.size > 10_000) this.#missing.clear();
          this.#missing.set(name, Date.now());
          throw notFound();
        }
        this.#missing.delete(name);
        const state: ModelState = { versions, checkedAt: Date.now() };
        for (const version of [...versions].reverse()) {
          try {
            (await this.#lease(name, version)).release();
            state.latest = version;
            break;
          } catch {
            // Logged by #load; an older version may still serve.
          }
        }
        this.#models.set(name, state);
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
  async #check(name: string, state: ModelState): Promise<void> {
    try {
      state.versions = await this.#options.source.listVersions(name);
    } catch (error) {
      this.#logger.warn('listing model versions failed; serving what is loaded', { model: name, error: reason(error) });
      return;
    } finally {
      state.checkedAt = Date.now();
    }
    for (const entry of [...this.#entries.values()])
      if (entry.name === name && !state.versions.includes(entry.version)) this.#drop(entry);
    await this.#rereadManifests(name);
    for (const key of [...this.#failures.keys()])
      if (key.startsWith(`${name}@`) && !state.versions.includes(Number(key.slice(name.length + 1))))
        this.#failures.delete(key);
    const previous = state.latest;
    const kept = previous !== undefined && state.versions.includes(previous) ? previous : undefined;
    // Newest first, down to (not including) the version that still serves.
    const candidates = state.versions.filter((v) => kept === undefined || v > kept).reverse();
    let chosen = kept;
    for (const version of candidates) {
      const failure = this.#failures.get(keyOf(name, version));
      if (failure && Date.now() - failure.at < this.#options.refreshMs) continue;
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
      if (state.versions.length === 0) this.#models.delete(name);
      return;
    }
    this.#logger.info('new model version serving', { model: name, version: chosen, previous });
    if (previous !== undefined) {
      const old = this.#entries.get(keyOf(name, previous));
      if (old) this.#drop(old);
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
    for (const entry of [...this.#entries.values()]) {
      const served = entry.served;
      if (entry.name !== name || !served || entry.dropped) continue;
      const tag = await source.manifestTag(name, entry.version).catch(() => entry.manifestTag);
      if (tag === entry.manifestTag) continue;
      const where = { model: name, version: entry.version };
      try {
        const files = await source.fetchManifest(name, entry.version);
        const next: ServedModel = {
          ...served,
          manifest: await resolveManifest(files.manifest, served.model, files.readFile),
          manifestSource: files.manifest === undefined ? 'defaults' : 'model.json',
        };
        if (entry.dropped) continue;
        entry.served = next;
        entry.promise = Promise.resolve(next);
        entry.manifestTag = files.manifestTag;
        this.#logger.info('model settings read again: its model.json changed', where);
      } catch (error) {
        // Not tried again until it changes once more.
        entry.manifestTag = tag;
        this.#logger.error('model.json changed but cannot be used; the version keeps its settings', {
          ...where,
          error: reason(error),
        });
      }
    }
  }

  async #lease(name: string, version: number): Promise<Lease> {
    const key = keyOf(name, version);
    let entry = this.#entries.get(key);
    if (!entry) {
      const failure = this.#failures.get(key);
      if (failure && Date.now() - failure.at < this.#options.refreshMs) throw failure.error;
      entry = this.#load(name, version);
    }
    entry.refs++;
    entry.lastUsed = Date.now();
    let served: ServedModel;
    try {
      served = await entry.promise;
    } catch (error) {
      entry.refs--;
      throw error;
    }
    const held = entry;
    let released = false;
    return {
      served,
      release: () => {
        if (released) return;
        released = true;
        held.refs--;
        if (held.dropped && held.refs === 0) served.model.dispose();
      },
    };
  }

  #load(name: string, version: number): CacheEntry {
    const key = keyOf(name, version);
    const started = Date.now();
    let manifestTag: string | undefined;
    const loading = (async (): Promise<ServedModel> => {
      const files = await this.#options.source.fetchVersion(name, version);
      manifestTag = files.manifestTag;
      const data = await readFile(files.modelPath).catch((error: NodeJS.ErrnoException) => {
        throw new Error(`cannot read ${name}/${version}/model.tflite: ${error.code ?? 'unreadable'}`);
      });
      const bytes = data.length;
      const model = await loadModel(new Uint8Array(data.buffer, data.byteOffset, data.length), this.#options.load);
      try {
        const manifest = await resolveManifest(files.manifest, model, files.readFile);
        return {
          name,
          version,
          model,
          inputs: model.inputs,
          outputs: model.outputs,
          manifest,
          manifestSource: files.manifest === undefined ? 'defaults' : 'model.json',
          bytes,
          loadMs: Date.now() - started,
        };
      } catch (error) {
        model.dispose();
        throw error;
      }
    })();
    const promise = loading.then(
      (served) => {
        entry.served = served;
        entry.manifestTag = manifestTag;
        this.#failures.delete(key);
        this.#usedBytes += served.bytes;
        this.#logger.info('model loaded', {
          model: name,
          version,
          engine: served.model.engine,
          delegate: served.model.delegate,
          threads: served.model.threads,
          loadMs: served.loadMs,
          ...(served.model.fallbackReason && { fallbackReason: served.model.fallbackReason }),
          ...(served.model.delegateReason && { delegateReason: served.model.delegateReason }),
        });
        this.#options.onLoaded?.(served);
        this.#evict(entry);
        return served;
      },
      (error: unknown) => {
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
        const typed = new ModelUnavailableError(
          `model ${JSON.stringify(name)} version ${version} failed to load: ${reason(error)}`,
          { cause: error },
        );
        this.#failures.set(key, { error: typed, at: Date.now() });
        this.#logger.error('model failed to load', { model: name, version, error: reason(error) });
        throw typed;
      },
    );
    // A background load nobody awaits must not be an unhandled rejection.
    promise.catch(() => undefined);
    const entry: CacheEntry = { key, name, version, promise, refs: 0, lastUsed: started, dropped: false };
    this.#entries.set(key, entry);
    return entry;
  }

  #unavailable(name: string, state: ModelState): TflsError {
    const failures = state.versions
      .map((v) => this.#failures.get(keyOf(name, v)))
      .filter((f) => f !== undefined)
      .map((f) => f.error.message);
    return new ModelUnavailableError(
      `no version of model ${JSON.stringify(name)} could be loaded${failures.length ? `: ${failures.join('; ')}` : ''}`,
    );
  }

  /** Drops least-recently-used models until the budget holds (never the one just loaded). */
  #evict(keep: CacheEntry): void {
    const loaded = [...this.#entries.values()]
      .filter((e) => e.served && e !== keep)
      .sort((a, b) => a.lastUsed - b.lastUsed);
    for (const entry of loaded) {
      if (this.#usedBytes <= this.#options.cacheBytes) break;
      this.#logger.info('model evicted', { model: entry.key, cacheBytes: this.#options.cacheBytes });
      this.#drop(entry);
    }
  }

  #drop(entry: CacheEntry): void {
    if (entry.dropped) return;
    entry.dropped = true;
    if (this.#entries.get(entry.key) === entry) this.#entries.delete(entry.key);
    if (entry.served) {
      this.#usedBytes -= entry.served.bytes;
      if (entry.refs === 0) entry.served.model.dispose();
    }
  }
}

export type { RepositoryLogger, RepositoryOptions, VersionStatus };
export { ModelRepository };
