import { NotFoundError } from '../errors.js';
import type { RepositoryLogger } from './repositoryLogger.js';
import type { ModelSource } from './types.js';

/** What the index knows of one model. */
interface ModelVersions {
  /** Versions in the source, ascending, as of checkedAt. */
  versions: number[];
  checkedAt: number;
  /** The version requests without a version get (chosen by the repository: the highest that loads). */
  latest?: number;
}

/** How many unknown names are remembered before the memory of them starts over. */
const MISSING_LIMIT = 10_000;

/**
 * The versions each model has in the source, listed at first sight and
 * again when a listing is older than `refreshMs`. Names found missing are
 * remembered for `refreshMs`, so that a flood of requests for unknown
 * models lists the source once per refresh, not once per request.
 */
class VersionIndex {
  readonly #models = new Map<string, ModelVersions>();
  readonly #missing = new Map<string, number>();

  public constructor(
    private readonly source: ModelSource,
    private readonly refreshMs: number,
    private readonly logger: RepositoryLogger,
    private readonly clock: () => number = Date.now,
  ) {}

  public known(name: string): ModelVersions | undefined {
    return this.#models.get(name);
  }

  /** Whether the model's listing is old enough to look again. */
  public due(state: ModelVersions): boolean {
    return this.clock() - state.checkedAt >= this.refreshMs;
  }

  /**
   * First sight of a model: its versions, listed. NotFoundError when it has
   * none (the location stays out of the message: callers need not know where
   * the server keeps its models).
   */
  public async discover(name: string): Promise<ModelVersions> {
    const notFound = () => new NotFoundError(`model ${JSON.stringify(name)} not found`);
    const missingSince = this.#missing.get(name);
    if (missingSince !== undefined && this.clock() - missingSince < this.refreshMs) throw notFound();
    const versions = await this.source.listVersions(name);
    if (versions.length === 0) {
      if (this.#missing.size > MISSING_LIMIT) this.#missing.clear();
      this.#missing.set(name, this.clock());
      throw notFound();
    }
    this.#missing.delete(name);
    return { versions, checkedAt: this.clock() };
  }

  /** Keeps a discovered model (once its serving version is chosen). */
  public remember(name: string, state: ModelVersions): void {
    this.#models.set(name, state);
  }

  /** Lists the model's versions again; false (and the old list kept) when the source cannot be read. */
  public async relist(name: string, state: ModelVersions): Promise<boolean> {
    try {
      state.versions = await this.source.listVersions(name);
      return true;
    } catch (error) {
      this.logger.warn('listing model versions failed; serving what is loaded', {
        model: name,
        error: error instanceof Error ? error.message : String(error),
      });
      return false;
    } finally {
      state.checkedAt = this.clock();
    }
  }

  public forget(name: string): void {
    this.#models.delete(name);
  }

  public clear(): void {
    this.#models.clear();
  }
}

export type { ModelVersions };
export { VersionIndex };
