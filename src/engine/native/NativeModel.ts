import { asBytes, type TypedArray } from '../../dtypes.js';
import { ModelBusyError, ModelDisposedError, toError, UnsupportedError } from '../../errors.js';
import { checkBatch, itemOf, itemStacker } from '../batching.js';
import { prepareInputs } from '../prepareInputs.js';
import { toTensor, toTensorInfo } from '../tensorInfo.js';
import type { DelegateName, Inputs, Model, RunOptions, Tensor, TensorInfo } from '../types.js';
import type { RawNativeModel, RawOutput } from './binding.js';
import { type RefusedNode, refusalNote } from './refusedNodes.js';

interface NativeModelOptions {
  /** Why this model must not be resized, when it must not. */
  readonly resizeBlocker?: string;
  /** Names a refusal the addon reports (the operator's name from the file). */
  readonly nameRefusal: (raw: { node: number; reason: string }) => RefusedNode;
  /** Refusals an earlier interpreter of the same model found, whose words are kept. */
  readonly inherited?: readonly RefusedNode[];
}

/**
 * A model on the native TFLite runtime (C API + XNNPACK). Inputs are checked
 * here, so the addon only copies bytes; async runs are queued so that one
 * interpreter never runs twice at once.
 *
 * `inputs` and `outputs` are always the shapes the model declares: a batched
 * request resizes the interpreter for its own run, and nothing of it shows
 * to the next caller. A model whose graph does not follow a new batch (its
 * outputs keep their size) runs such batches one item at a time.
 */
class NativeModel implements Model {
  public readonly engine = 'native';
  public readonly delegate: DelegateName;
  public readonly delegateReason?: string;
  public readonly threads: number;
  public readonly nodes: number;
  public readonly interpreters = 1;
  public engineReason?: string;
  public readonly delegatedNodes: number;
  /**
   * XNNPACK started but refused this graph, even without the nodes it
   * refuses one by one (TFLite 2.9 drops the whole delegate when one node
   * fails), as opposed to being off by option or on a CPU it cannot start
   * on: a fact about the model, which `auto` weighs.
   */
  public readonly delegateRefusedGraph: boolean;
  /**
   * Nodes kept from XNNPACK on TFLite's built-in kernels because XNNPACK
   * refused them, while it runs the rest (partial delegation); empty when it
   * took all it supports, or none. `delegateReason` says the same in words.
   */
  public readonly refusedNodes: readonly RefusedNode[];
  readonly #inputs: readonly TensorInfo[];
  readonly #outputs: readonly TensorInfo[];
  /** The interpreter's current batch and output shapes. */
  #batch: number;
  #currentOutputs: readonly TensorInfo[];
  /** Batches the graph was found not to follow. */
  readonly #unbatchable = new Set<number>();
  #native: RawNativeModel;
  #queue: Promise<unknown> = Promise.resolve();
  #pending = 0;
  #disposed = false;
  readonly #resizeBlocker: string | undefined;

  public constructor(native: RawNativeModel, options: NativeModelOptions) {
    this.#native = native;
    this.#resizeBlocker = options.resizeBlocker;
    const info = native.info();
    this.delegate = info.delegate;
    const inherited = new Map(options.inherited?.map((refused) => [refused.node, refused]));
    this.refusedNodes =
      info.delegate === 'xnnpack'
        ? info.refusedNodes.map((raw) => inherited.get(raw.node) ?? options.nameRefusal(raw))
        : [];
    if (info.delegate === 'none') this.delegateReason = info.delegateReason;
    else if (this.refusedNodes.length > 0) this.delegateReason = refusalNote(this.refusedNodes);
    // The addon's wording for a delegate that was created and then failed to apply (interpreter.cc).
    this.delegateRefusedGraph =
      info.delegate === 'none' && (info.delegateReason ?? '').startsWith('XNNPACK delegate could not be applied');
    this.threads = info.threads;
    this.nodes = info.nodes;
    this.delegatedNodes = info.delegatedNodes;
    try {
      this.#inputs = info.inputs.map((raw) => toTensorInfo(raw, 'input'));
      this.#outputs = info.outputs.map((raw) => toTensorInfo(raw, 'output'));
    } catch (error) {
      native.dispose();
      throw error;
    }
    this.#currentOutputs = this.#outputs;
    this.#batch = this.#declaredBatch;
  }

  public get inputs(): readonly TensorInfo[] {
    return this.#inputs;
  }

  public get outputs(): readonly TensorInfo[] {
    return this.#outputs;
  }

  public get disposed(): boolean {
    return this.#disposed;
  }

  get #declaredBatch(): number {
    return this.#inputs[0]?.shape[0] ?? 1;
  }

  #assertOpen(): void {
    if (this.#disposed) throw new ModelDisposedError();
  }

  /** Checked inputs and the batch they ask for (the declared one when they do not say). */
  #prepare(inputs: Inputs): { arrays: readonly TypedArray[]; batch: number } {
    const prepared = prepareInputs(this.#inputs, inputs);
    return { arrays: prepared.arrays, batch: prepared.batch ?? this.#declaredBatch };
  }

  /** Sizes the interpreter for `batch`; false when the graph does not follow it (run item by item then). */
  #sizeFor(batch: number): boolean {
    if (batch === this.#batch) return true;
    if (this.#unbatchable.has(batch)) {
      this.#sizeFor(this.#declaredBatch);
      return false;
    }
    if (this.#resizeBlocker)
      throw new UnsupportedError(`this model cannot change its batch size: ${this.#resizeBlocker}`);
    try {
      this.#native.resizeInputs(this.#inputs.map((input) => [batch, ...input.shape.slice(1)]));
    } catch (error) {
      // Leave the model usable at the shapes it declares.
      this.#native.resizeInputs(this.#inputs.map((input) => [...input.shape]));
      this.#batch = this.#declaredBatch;
      this.#currentOutputs = this.#outputs;
      throw error;
    }
    const outputs = this.#native.info().outputs.map((raw) => toTensorInfo(raw, 'output'));
    const follows = outputs.every(
      (output, i) => output.shape[0] === (this.#outputs[i]!.shape[0]! / this.#declaredBatch) * batch,
    );
    this.#batch = batch;
    this.#currentOutputs = outputs;
    if (follows) return true;
    this.#unbatchable.add(batch);
    this.#sizeFor(this.#declaredBatch);
    return false;
  }

  #wrap(raw: RawOutput[]): Tensor[] {
    return raw.map((output, index) => {
      const info = this.#currentOutputs[index]!;
      return toTensor(info, info.dtype, output.shape, output.data);
    });
  }

  public run(inputs: Inputs): Tensor[];
  public run<T>(inputs: Inputs, options: { readonly consume: (outputs: Tensor[]) => T }): T;
  public run<T>(inputs: Inputs, options?: { readonly consume: (outputs: Tensor[]) => T }): Tensor[] | T {
    this.#assertOpen();
    if (this.#pending > 0) {
      throw new ModelBusyError(`${this.#pending} async run(s) are queued on this model; await them, or use runAsync`);
    }
    const { arrays, batch } = this.#prepare(inputs);
    let outputs: Tensor[];
    if (this.#sizeFor(batch)) {
      outputs = this.#wrap(this.#native.run(arrays.map(asBytes), options !== undefined));
    } else {
      const stacker = itemStacker(batch);
      for (let i = 0; i < batch; i++)
        stacker.add(
          i,
          this.#wrap(
            this.#native.run(
              arrays.map((a) => asBytes(itemOf(a, batch, i))),
              true,
            ),
          ),
        );
      outputs = stacker.done();
    }
    return options ? options.consume(outputs) : outputs;
  }

  public runAsync(inputs: Inputs): Promise<Tensor[]>;
  public runAsync<T>(inputs: Inputs, options: RunOptions<T>): Promise<T>;
  public runAsync<T>(inputs: Inputs, options?: RunOptions<T>): Promise<Tensor[] | T> {
    // Capture the caller's frames now (a native failure arrives from the thread pool), and format them
    // only if it does: formatting is what costs, with source maps on the first one parses the bundle's map.
    const caller = new Error();
    let prepared: { arrays: readonly Uint8Array[]; batch: number };
    try {
      const checked = this.#prepare(inputs);
      // Copied now: a caller that reuses its buffer must not change a queued run.
      prepared = { arrays: checked.arrays.map((a) => asBytes(a).slice()), batch: checked.batch };
    } catch (error) {
      return Promise.reject(error);
    }
    const native = async (arrays: readonly Uint8Array[], reuse: boolean): Promise<Tensor[]> => {
      try {
        return this.#wrap(await this.#native.runAsync([...arrays], reuse));
      } catch (error) {
        const typed = toError(error);
        const stack = caller.stack;
        if (stack) typed.stack = `${typed.name}: ${typed.message}\n${stack.split('\n').slice(1).join('\n')}`;
        throw typed;
      }
    };
    this.#pending++;
    const run = this.#queue
      .then(async () => {
        this.#assertOpen();
        const { arrays, batch } = prepared;
        let outputs: Tensor[];
        if (this.#sizeFor(batch)) outputs = await native(arrays, options !== undefined);
        else {
          const stacker = itemStacker(batch);
          for (let i = 0; i < batch; i++)
            stacker.add(
              i,
              await native(
                arrays.map((a) => itemOf(a, batch, i) as Uint8Array),
                true,
              ),
            );
          outputs = stacker.done();
        }
        // The queue holds until consume is done with the reused buffers; its own errors keep their stack.
        return options ? await options.consume(outputs) : outputs;
      })
      .finally(() => {
        this.#pending--;
      });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Sizes the interpreter for `batch` ahead of runs at it (a run sizes it anyway). */
  public resizeBatch(batch: number): void {
    this.#assertOpen();
    checkBatch(batch);
    this.#sizeFor(batch);
  }

  public dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#native.dispose();
  }
}

export { NativeModel };
