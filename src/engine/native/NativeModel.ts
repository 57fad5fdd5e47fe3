import { asBytes } from '../../dtypes.js';
import { InputError, ModelBusyError, ModelDisposedError, toError, UnsupportedError } from '../../errors.js';
import { prepareInputs } from '../prepareInputs.js';
import { toTensor, toTensorInfo } from '../tensorInfo.js';
import type { DelegateName, Inputs, Model, RunOptions, Tensor, TensorInfo } from '../types.js';
import type { RawNativeModel, RawOutput } from './binding.js';

/**
 * A model on the native TFLite runtime (C API + XNNPACK). Inputs are checked
 * here, so the addon only copies bytes; async runs are queued so that one
 * interpreter never runs twice at once.
 */
class NativeModel implements Model {
  public readonly engine = 'native';
  public readonly delegate: DelegateName;
  public readonly delegateReason?: string;
  public readonly threads: number;
  public readonly nodes: number;
  public readonly delegatedNodes: number;
  #inputs: readonly TensorInfo[];
  #outputs: readonly TensorInfo[];
  #native: RawNativeModel;
  #queue: Promise<unknown> = Promise.resolve();
  #pending = 0;
  #disposed = false;
  readonly #resizeBlocker: string | undefined;

  /** `resizeBlocker`: why this model must not be resized, when it must not. */
  public constructor(native: RawNativeModel, resizeBlocker?: string) {
    this.#native = native;
    this.#resizeBlocker = resizeBlocker;
    const info = native.info();
    this.delegate = info.delegate;
    if (info.delegate === 'none') this.delegateReason = info.delegateReason;
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

  #assertOpen(): void {
    if (this.#disposed) throw new ModelDisposedError();
  }

  #bytes(inputs: Inputs): Uint8Array[] {
    const prepared = prepareInputs(this.#inputs, inputs);
    if (prepared.batch !== undefined) this.resizeBatch(prepared.batch);
    return prepared.arrays.map(asBytes);
  }

  #wrap(raw: RawOutput[]): Tensor[] {
    return raw.map((output, index) => {
      const info = this.#outputs[index]!;
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
    const outputs = this.#wrap(this.#native.run(this.#bytes(inputs), options !== undefined));
    return options ? options.consume(outputs) : outputs;
  }

  public runAsync(inputs: Inputs): Promise<Tensor[]>;
  public runAsync<T>(inputs: Inputs, options: RunOptions<T>): Promise<T>;
  public runAsync<T>(inputs: Inputs, options?: RunOptions<T>): Promise<Tensor[] | T> {
    // Capture the caller's stack now: the rejection arrives from the thread pool.
    const stack = new Error().stack;
    this.#pending++;
    const run = this.#queue
      .then(async () => {
        this.#assertOpen();
        const outputs = this.#wrap(await this.#native.runAsync(this.#bytes(inputs), options !== undefined));
        // The queue holds until consume is done with the reused buffers.
        return options ? await options.consume(outputs) : outputs;
      })
      .finally(() => {
        this.#pending--;
      });
    this.#queue = run.catch(() => undefined);
    return run.catch((error: unknown) => {
      const typed = toError(error);
      if (stack) typed.stack = `${typed.name}: ${typed.message}\n${stack.split('\n').slice(1).join('\n')}`;
      throw typed;
    });
  }

  public resizeBatch(batch: number): void {
    this.#assertOpen();
    if (!Number.isInteger(batch) || batch < 1) throw new InputError(`batch must be a positive integer, got ${batch}`);
    if (this.#inputs.every((input) => input.shape[0] === batch)) return;
    if (this.#resizeBlocker)
      throw new UnsupportedError(`this model cannot change its batch size: ${this.#resizeBlocker}`);
    try {
      this.#native.resizeInputs(this.#inputs.map((input) => [batch, ...input.shape.slice(1)]));
    } catch (error) {
      // Leave the model usable at the shapes it had.
      this.#native.resizeInputs(this.#inputs.map((input) => [...input.shape]));
      throw error;
    }
    const info = this.#native.info();
    this.#inputs = info.inputs.map((raw) => toTensorInfo(raw, 'input'));
    this.#outputs = info.outputs.map((raw) => toTensorInfo(raw, 'output'));
  }

  public dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#native.dispose();
  }
}

export { NativeModel };
