import { ModelBusyError, ModelDisposedError } from '../errors.js';
import type { DelegateName, EngineName, Inputs, Model, RunOptions, Tensor, TensorInfo } from './types.js';

interface Member {
  readonly model: Model;
  pending: number;
}

/**
 * Several interpreters of one model, so that one process serves concurrent
 * requests at once (Lambda Managed Instances, a local server under load)
 * instead of queueing them on one interpreter. Interpreters are created on
 * demand, when every existing one is busy, up to `size`; a run goes to an
 * idle one, else to the least loaded. Each keeps its own run queue, so what
 * a Model promises (inputs read at call time, one run at a time per
 * interpreter, dispose waiting for runs in flight) holds per interpreter.
 */
class ModelPool implements Model {
  readonly #members: Member[];
  readonly #create: () => Model;
  readonly #size: number;
  #disposed = false;

  public constructor(first: Model, create: () => Model, size: number) {
    this.#members = [{ model: first, pending: 0 }];
    this.#create = create;
    this.#size = size;
  }

  get #first(): Model {
    return this.#members[0]!.model;
  }

  public get engine(): EngineName {
    return this.#first.engine;
  }

  public get delegate(): DelegateName {
    return this.#first.delegate;
  }

  public get delegateReason(): string | undefined {
    return this.#first.delegateReason;
  }

  public get fallbackReason(): string | undefined {
    return this.#first.fallbackReason;
  }

  public get engineReason(): string | undefined {
    return this.#first.engineReason;
  }

  public get threads(): number {
    return this.#first.threads;
  }

  public get inputs(): readonly TensorInfo[] {
    return this.#first.inputs;
  }

  public get outputs(): readonly TensorInfo[] {
    return this.#first.outputs;
  }

  public get nodes(): number {
    return this.#first.nodes;
  }

  public get delegatedNodes(): number | undefined {
    return this.#first.delegatedNodes;
  }

  public get disposed(): boolean {
    return this.#disposed;
  }

  /** The most interpreters there may be. */
  public get interpreters(): number {
    return this.#size;
  }

  /** Interpreters created so far. */
  public get interpretersCreated(): number {
    return this.#members.length;
  }

  /** An idle interpreter (creating one if all are busy and there is room), else the least loaded. */
  #pick(): Member {
    if (this.#disposed) throw new ModelDisposedError();
    const idle = this.#members.find((m) => m.pending === 0);
    if (idle) return idle;
    if (this.#members.length < this.#size) {
      const member = { model: this.#create(), pending: 0 };
      this.#members.push(member);
      return member;
    }
    return this.#members.reduce((least, m) => (m.pending < least.pending ? m : least));
  }

  public run(inputs: Inputs): Tensor[];
  public run<T>(inputs: Inputs, options: { readonly consume: (outputs: Tensor[]) => T }): T;
  public run<T>(inputs: Inputs, options?: { readonly consume: (outputs: Tensor[]) => T }): Tensor[] | T {
    const member = this.#pick();
    if (member.pending > 0)
      throw new ModelBusyError(`all ${this.#members.length} interpreters have async runs queued; use runAsync`);
    return options ? member.model.run(inputs, options) : member.model.run(inputs);
  }

  public runAsync(inputs: Inputs): Promise<Tensor[]>;
  public runAsync<T>(inputs: Inputs, options: RunOptions<T>): Promise<T>;
  public runAsync<T>(inputs: Inputs, options?: RunOptions<T>): Promise<Tensor[] | T> {
    let member: Member;
    try {
      member = this.#pick();
    } catch (error) {
      return Promise.reject(error);
    }
    member.pending++;
    const run = options ? member.model.runAsync(inputs, options) : member.model.runAsync(inputs);
    return run.finally(() => {
      member.pending--;
    });
  }

  public resizeBatch(batch: number): void {
    for (const member of this.#members) member.model.resizeBatch(batch);
  }

  public dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const member of this.#members) member.model.dispose();
  }
}

export { ModelPool };
