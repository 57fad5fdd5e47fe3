/** A version that failed, and whether that is final. */
interface Failure {
  readonly error: Error;
  readonly at: number;
  /**
   * Refused until the version is gone from the source (a new version replaces
   * it): a run that overran its deadline, which another try would repeat,
   * holding another engine thread.
   */
  readonly permanent: boolean;
}

/**
 * Versions that failed to load or to run, by name@version: a load failure is
 * not tried again before `retryMs`; a permanent one while the version exists.
 */
class LoadFailures {
  readonly #failures = new Map<string, Failure>();

  public constructor(
    private readonly retryMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  public record(key: string, error: Error, permanent = false): void {
    this.#failures.set(key, { error, at: this.clock(), permanent });
  }

  public get(key: string): Failure | undefined {
    return this.#failures.get(key);
  }

  /** The failure that stops a load now, if any. */
  public blocking(key: string): Error | undefined {
    const failure = this.#failures.get(key);
    if (!failure) return undefined;
    return failure.permanent || this.clock() - failure.at < this.retryMs ? failure.error : undefined;
  }

  public clear(key: string): void {
    this.#failures.delete(key);
  }

  /** Forgets `name`'s versions that are no longer in the source. */
  public keepOnly(name: string, versions: readonly number[]): void {
    for (const key of [...this.#failures.keys()])
      if (key.startsWith(`${name}@`) && !versions.includes(Number(key.slice(name.length + 1))))
        this.#failures.delete(key);
  }
}

export type { Failure };
export { LoadFailures };
