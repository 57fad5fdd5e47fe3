import { AsyncLocalStorage } from 'node:async_hooks';
import { InvokeStoreBase } from '@aws/lambda-invoke-store';

/**
 * The store Lambda's runtime keeps each invocation's context in when one
 * environment runs invocations concurrently (Managed Instances), which
 * Powertools reads once AWS_LAMBDA_MAX_CONCURRENCY is set: installed here,
 * each local request runs in its own context, and its logs carry its own
 * request id, not that of whichever request set the shared logger's context
 * last. Installed over any store already there (the AWS SDK creates a
 * single-invocation one on its first request, which preload may have sent).
 */
class LocalInvocations extends InvokeStoreBase {
  readonly #contexts = new AsyncLocalStorage<Record<string | symbol, unknown>>();

  /** The store, installed once per process (every local server of the process shares it). */
  public static install(): LocalInvocations {
    const installed = globalThis.awslambda?.InvokeStore;
    if (installed instanceof LocalInvocations) return installed;
    const store = new LocalInvocations();
    process.env.AWS_LAMBDA_MAX_CONCURRENCY ??= '1000';
    globalThis.awslambda = Object.assign(globalThis.awslambda ?? {}, { InvokeStore: store });
    return store;
  }

  public getContext(): Record<string | symbol, unknown> | undefined {
    return this.#contexts.getStore();
  }

  public hasContext(): boolean {
    return this.#contexts.getStore() !== undefined;
  }

  public get<T = unknown>(key: string | symbol): T | undefined {
    return this.#contexts.getStore()?.[key] as T | undefined;
  }

  public set<T = unknown>(key: string | symbol, value: T): void {
    if (this.isProtectedKey(key)) throw new Error(`cannot change the invocation's ${String(key)}`);
    const context = this.#contexts.getStore();
    if (!context) throw new Error('no invocation is running');
    context[key] = value;
  }

  public run<T>(context: Record<string | symbol, unknown>, fn: () => T): T {
    return this.#contexts.run(context, fn);
  }
}

export { LocalInvocations };
