import type { LiteRt } from '@litertjs/core';
import { asBytes, type TypedArray } from '../../dtypes.js';
import { InferenceError, ModelDisposedError, ModelLoadError, oneLine, UnsupportedError } from '../../errors.js';
import { checkBatch, itemOf, itemStacker } from '../batching.js';
import { prepareInputs } from '../prepareInputs.js';
import { zeroInputs } from '../syntheticInputs.js';
import { toTensor, toTensorInfo } from '../tensorInfo.js';
import type { Inputs, Model, RunOptions, Tensor, TensorInfo } from '../types.js';
import { getLiteRt, takeRecentLog } from './litertRuntime.js';

/**
 * The slice of LiteRT.js's Embind API used here. The high-level CompiledModel
 * only exchanges float32, int32 and uint8 and only runs asynchronously; the
 * tensor buffers below take every element type and run synchronously.
 */
interface Deletable {
  delete(): void;
}
interface EmVector<T> extends Deletable {
  size(): number;
  get(index: number): T;
}
interface Layout extends Deletable {
  dimensions(): EmVector<number>;
}
interface RankedTensorType extends Deletable {
  elementType(): { value: number };
  layout(): Layout;
  bytes(): number;
}
interface TensorBuffer extends Deletable {
  lock(mode: unknown): number;
  unlock(): void;
  packedSize(): number;
}
interface WasmModelHandle extends Deletable {
  getSignature(index: number): Deletable & { inputNames(): EmVector<string>; outputNames(): EmVector<string> };
  getInputTensorType(signature: number, index: number): RankedTensorType;
  getOutputTensorType(signature: number, index: number): RankedTensorType;
}
interface CompiledModelHandle extends Deletable {
  run(signature: number, inputs: TensorBuffer[]): TensorBuffer[] | Promise<TensorBuffer[]>;
}
interface LiteRtWasm {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(pointer: number): void;
  loadModel(environment: unknown, pointer: number, size: number): WasmModelHandle;
  compileModel(
    environment: unknown,
    model: WasmModelHandle,
    options: object,
  ): CompiledModelHandle | Promise<CompiledModelHandle>;
  LiteRtTensorBuffer: {
    createManaged(environment: unknown, type: unknown, tensorType: RankedTensorType, size: number): TensorBuffer;
  };
  LiteRtTensorBufferType: { HOST_MEMORY: unknown };
  LiteRtTensorBufferLockMode: { READ: unknown; WRITE: unknown };
}

const SIGNATURE = 0;

interface Handles {
  readonly wasm: LiteRtWasm;
  readonly model: WasmModelHandle;
  readonly compiled: CompiledModelHandle;
  readonly pointer: number;
}

const release = ({ wasm, model, compiled, pointer }: Handles): void => {
  compiled.delete();
  model.delete();
  wasm._free(pointer);
};

// WASM memory is invisible to the GC: a model dropped without dispose() is
// released when its wrapper is collected.
const finalizer = new FinalizationRegistry<Handles>(release);

const describeType = (type: RankedTensorType): { type: number; shape: number[] } => {
  const layout = type.layout();
  const dims = layout.dimensions();
  const shape = Array.from({ length: dims.size() }, (_, i) => dims.get(i));
  dims.delete();
  layout.delete();
  return { type: type.elementType().value, shape };
};

const names = (vector: EmVector<string>): string[] => {
  const out = Array.from({ length: vector.size() }, (_, i) => vector.get(i));
  vector.delete();
  return out;
};

const PREPARE_FAILED = /failed to allocate tensors|failed to prepare|unresolved custom op/i;

const failure = (error: unknown): string => {
  const log = takeRecentLog();
  const message =
    error instanceof Error ? error.message : typeof error === 'number' ? 'the runtime aborted' : String(error);
  return oneLine(log ? `${message} (${log})` : message);
};

/**
 * A model on LiteRT.js (TFLite compiled to WebAssembly, XNNPACK inside). It
 * runs ops the native 2.9 runtime lacks, such as MediaPipe's
 * Convolution2DTransposeBias; one thread; no batch resize.
 */
class WasmModel implements Model {
  public readonly engine = 'wasm';
  public readonly delegate = 'xnnpack';
  public readonly threads = 1;
  public readonly nodes = 0;
  public readonly interpreters = 1;
  public engineReason?: string;
  public readonly delegatedNodes = 0;
  public readonly fallbackReason?: string;
  public readonly inputs: readonly TensorInfo[];
  public readonly outputs: readonly TensorInfo[];
  readonly #wasm: LiteRtWasm;
  readonly #environment: unknown;
  readonly #model: WasmModelHandle;
  readonly #compiled: CompiledModelHandle;
  readonly #handles: Handles;
  #disposed = false;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(
    litert: LiteRt,
    pointer: number,
    model: WasmModelHandle,
    compiled: CompiledModelHandle,
    fallbackReason: string | undefined,
  ) {
    this.#wasm = litert.liteRtWasm as unknown as LiteRtWasm;
    this.#environment = litert.getDefaultEnvironment().liteRtEnvironment;
    this.#model = model;
    this.#compiled = compiled;
    this.#handles = { wasm: this.#wasm, model, compiled, pointer };
    finalizer.register(this, this.#handles, this);
    if (fallbackReason !== undefined) this.fallbackReason = fallbackReason;
    const signature = model.getSignature(SIGNATURE);
    const inputNames = names(signature.inputNames());
    const outputNames = names(signature.outputNames());
    signature.delete();
    const info = (name: string, type: RankedTensorType, kind: 'input' | 'output'): TensorInfo => {
      const described = describeType(type);
      type.delete();
      return toTensorInfo({ name, ...described }, kind);
    };
    try {
      this.inputs = inputNames.map((name, i) => info(name, model.getInputTensorType(SIGNATURE, i), 'input'));
      this.outputs = outputNames.map((name, i) => info(name, model.getOutputTensorType(SIGNATURE, i), 'output'));
    } catch (error) {
      this.dispose();
      throw error;
    }
  }

  public static async load(bytes: Uint8Array, fallbackReason?: string): Promise<WasmModel> {
    const litert = await getLiteRt();
    const wasm = litert.liteRtWasm as unknown as LiteRtWasm;
    const environment = litert.getDefaultEnvironment();
    // LiteRT keeps reading the model from this copy for the model's whole life.
    const pointer = wasm._malloc(bytes.byteLength);
    wasm.HEAPU8.set(bytes, pointer);
    let model: WasmModelHandle | undefined;
    try {
      model = wasm.loadModel(environment.liteRtEnvironment, pointer, bytes.byteLength);
      const compiled = await wasm.compileModel(environment.liteRtEnvironment, model, {
        environment,
        accelerator: 'wasm',
        cpuOptions: { numThreads: 1 },
        gpuOptions: {},
        webNNOptions: {},
      });
      const loaded = new WasmModel(litert, pointer, model, compiled, fallbackReason);
      // LiteRT.js prepares the graph at the first run, and when that fails
      // (an unresolved custom op, say) it only logs it and "runs" anyway, with
      // garbage out. One run on zeros here turns that into a load error.
      try {
        loaded.run(zeroInputs(loaded.inputs));
      } catch (error) {
        loaded.dispose();
        throw new ModelLoadError(`LiteRT.js could not prepare the model: ${(error as Error).message}`, {
          cause: error,
        });
      }
      return loaded;
    } catch (error) {
      if (error instanceof UnsupportedError || error instanceof ModelLoadError) throw error;
      model?.delete();
      wasm._free(pointer);
      throw new ModelLoadError(`LiteRT.js could not load the model: ${failure(error)}`, { cause: error });
    }
  }

  public get disposed(): boolean {
    return this.#disposed;
  }

  public run(inputs: Inputs): Tensor[];
  public run<T>(inputs: Inputs, options: { readonly consume: (outputs: Tensor[]) => T }): T;
  public run<T>(inputs: Inputs, options?: { readonly consume: (outputs: Tensor[]) => T }): Tensor[] | T {
    const outputs = this.#run(inputs);
    return options ? options.consume(outputs) : outputs;
  }

  #run(inputs: Inputs): Tensor[] {
    if (this.#disposed) throw new ModelDisposedError();
    const prepared = prepareInputs(this.inputs, inputs);
    const batch = prepared.batch;
    if (batch === undefined) return this.#runOne(prepared.arrays);
    // LiteRT.js runs a model at its own shapes: a batch runs item by item.
    const stacker = itemStacker(batch);
    for (let i = 0; i < batch; i++) stacker.add(i, this.#runOne(prepared.arrays.map((a) => itemOf(a, batch, i))));
    return stacker.done();
  }

  #runOne(arrays: readonly TypedArray[]): Tensor[] {
    const wasm = this.#wasm;
    const buffers: TensorBuffer[] = [];
    let outputs: TensorBuffer[] = [];
    try {
      arrays.forEach((array, index) => {
        const type = this.#model.getInputTensorType(SIGNATURE, index);
        const buffer = wasm.LiteRtTensorBuffer.createManaged(
          this.#environment,
          wasm.LiteRtTensorBufferType.HOST_MEMORY,
          type,
          array.byteLength,
        );
        type.delete();
        buffers.push(buffer);
        const pointer = buffer.lock(wasm.LiteRtTensorBufferLockMode.WRITE);
        wasm.HEAPU8.set(asBytes(array), pointer);
        buffer.unlock();
      });
      takeRecentLog();
      const result = this.#compiled.run(SIGNATURE, buffers);
      if (result instanceof Promise) throw new UnsupportedError('this LiteRT.js build runs asynchronously only');
      outputs = result;
      const log = takeRecentLog();
      if (PREPARE_FAILED.test(log)) throw new Error(`the graph could not be prepared: ${log}`);
      return outputs.map((buffer, index) => {
        const info = this.outputs[index]!;
        const pointer = buffer.lock(wasm.LiteRtTensorBufferLockMode.READ);
        const bytes = wasm.HEAPU8.slice(pointer, pointer + buffer.packedSize());
        buffer.unlock();
        return toTensor(info, info.dtype, info.shape, bytes);
      });
    } catch (error) {
      if (error instanceof UnsupportedError) throw error;
      throw new InferenceError(`LiteRT.js failed to run the model: ${failure(error)}`, { cause: error });
    } finally {
      for (const buffer of [...buffers, ...outputs]) buffer.delete();
    }
  }

  public runAsync(inputs: Inputs): Promise<Tensor[]>;
  public runAsync<T>(inputs: Inputs, options: RunOptions<T>): Promise<T>;
  public runAsync<T>(inputs: Inputs, options?: RunOptions<T>): Promise<Tensor[] | T> {
    // Checked and copied now: a caller that reuses its buffer must not change a queued run.
    let copied: Inputs;
    try {
      const prepared = prepareInputs(this.inputs, inputs);
      copied = prepared.arrays.map((array, i) => ({
        data: array.slice(),
        shape: [prepared.batch ?? this.inputs[i]!.shape[0]!, ...this.inputs[i]!.shape.slice(1)],
      }));
    } catch (error) {
      return Promise.reject(error);
    }
    // WASM runs on the main thread; queueing keeps the Model contract (one run at a time, in order).
    const run = this.#queue.then(async () => {
      const outputs = this.#run(copied);
      return options ? await options.consume(outputs) : outputs;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Nothing to size: LiteRT.js keeps the model's own shapes, and runs a batch item by item. */
  public resizeBatch(batch: number): void {
    if (this.#disposed) throw new ModelDisposedError();
    checkBatch(batch);
  }

  public dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    finalizer.unregister(this);
    release(this.#handles);
  }
}

export { WasmModel };
