import { asBytes, type TypedArray } from '../../dtypes.js';
import {
  InferenceError,
  ModelDisposedError,
  ModelLoadError,
  ModelUnavailableError,
  oneLine,
  TflsError,
  UnsupportedError,
} from '../../errors.js';
import { graphLoops } from '../../tflite/graphLoops.js';
import { type FileTensor, ioTensors, signatureNames } from '../../tflite/ioTensors.js';
import { type ModelFile, openModel } from '../../tflite/openModel.js';
import { checkBatch, itemOf, itemStacker } from '../batching.js';
import { prepareInputs } from '../prepareInputs.js';
import { zeroInputs } from '../syntheticInputs.js';
import { toTensor, toTensorInfo } from '../tensorInfo.js';
import type { Inputs, Model, RunOptions, Tensor, TensorInfo } from '../types.js';
import { discardLiteRt, getLiteRt, liteRtGeneration, type Runtime, takeRecentLog } from './litertRuntime.js';

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

/** One model's objects inside one runtime instance. */
interface Handles {
  readonly wasm: LiteRtWasm;
  readonly environment: unknown;
  readonly model: WasmModelHandle;
  readonly compiled: CompiledModelHandle;
  readonly pointer: number;
  readonly generation: number;
}

/** Frees a model's objects, unless their runtime was discarded (calling into it could trap again). */
const release = ({ wasm, model, compiled, pointer, generation }: Handles): void => {
  if (generation !== liteRtGeneration()) return;
  try {
    compiled.delete();
    model.delete();
    wasm._free(pointer);
  } catch {
    // A runtime that fails to free is faulty: the next load gets a fresh one.
    discardLiteRt(generation);
  }
};

// WASM memory is invisible to the GC: a model dropped without dispose() is
// released when its wrapper is collected. release() never throws: an
// exception in a finalizer would end the process.
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

/** A model loaded into a runtime: LiteRT.js keeps reading its bytes from the copy at `pointer`. */
const open = async (runtime: Runtime, bytes: Uint8Array): Promise<Handles> => {
  const wasm = runtime.litert.liteRtWasm as unknown as LiteRtWasm;
  const environment = runtime.litert.getDefaultEnvironment();
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
    return {
      wasm,
      environment: environment.liteRtEnvironment,
      model,
      compiled,
      pointer,
      generation: runtime.generation,
    };
  } catch (error) {
    try {
      model?.delete();
      wasm._free(pointer);
    } catch {
      // Freed with the runtime, which the caller discards.
    }
    throw error;
  }
};

/** Where each of the file's tensors sits in LiteRT.js's signature, which orders and names them its own way. */
const signatureOrder = (tensors: readonly FileTensor[], litertNames: readonly string[], file: ModelFile): number[] => {
  const signature = signatureNames(file);
  return tensors.map((tensor, i) => {
    const at = litertNames.indexOf(signature.get(tensor.index) ?? tensor.name);
    return at >= 0 ? at : i;
  });
};

/**
 * An output with no shape in the file: one its op shapes while it runs
 * (TFLite_Detection_PostProcess's four, a RESHAPE to a shape computed at run
 * time). LiteRT.js sizes its output buffers before the first run: it answers
 * TFLite_Detection_PostProcess once and then fails every later run (leaving
 * its runtime damaged), and answers a RESHAPE's output as one zero. A true
 * scalar output looks the same in the file; such models are left to native.
 */
const runtimeShapedOutput = (outputs: readonly FileTensor[]): FileTensor | undefined =>
  outputs.find((output) => output.shape.length === 0);

interface WasmLoadOptions {
  /** The file, opened and validated (opened here otherwise). */
  readonly file?: ModelFile;
  /** Why `auto` chose this engine over the native one. */
  readonly fallbackReason?: string;
}

/**
 * A model on LiteRT.js (TFLite compiled to WebAssembly, XNNPACK inside). It
 * runs ops the native 2.9 runtime lacks, such as MediaPipe's
 * Convolution2DTransposeBias, and quantized uint8 graphs with XNNPACK; one
 * thread; no batch resize.
 *
 * Tensors are described from the file (names, order and quantization as the
 * native engine reports them), since LiteRT.js reports no quantization and
 * orders tensors by its signature. LiteRT.js never recovers from a fault (a
 * trap, or an error thrown from inside it): the model that faulted is
 * refused from then on, the runtime is discarded, and the other models
 * reload themselves into a fresh one at their next asynchronous run.
 */
class WasmModel implements Model {
  public readonly engine = 'wasm';
  public readonly delegate = 'xnnpack';
  public readonly threads = 1;
  /** Operators in the main subgraph; LiteRT.js does not tell how many XNNPACK took. */
  public readonly nodes: number;
  public readonly interpreters = 1;
  public engineReason?: string;
  public readonly fallbackReason?: string;
  public readonly inputs: readonly TensorInfo[];
  public readonly outputs: readonly TensorInfo[];
  /** The file, kept to load it again into a runtime that replaced a faulted one. */
  readonly #bytes: Uint8Array;
  readonly #inputOrder: readonly number[];
  readonly #outputOrder: readonly number[];
  #handles: Handles;
  #fault: string | undefined;
  #disposed = false;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(bytes: Uint8Array, file: ModelFile, handles: Handles, fallbackReason: string | undefined) {
    this.#bytes = bytes;
    this.#handles = handles;
    finalizer.register(this, handles, this);
    if (fallbackReason !== undefined) this.fallbackReason = fallbackReason;
    const io = ioTensors(file);
    this.nodes = file.root.subgraphs(0)?.operatorsLength() ?? 0;
    const signature = handles.model.getSignature(SIGNATURE);
    const inputNames = names(signature.inputNames());
    const outputNames = names(signature.outputNames());
    signature.delete();
    this.#inputOrder = signatureOrder(io.inputs, inputNames, file);
    this.#outputOrder = signatureOrder(io.outputs, outputNames, file);
    const info = (tensor: FileTensor, type: RankedTensorType, kind: 'input' | 'output'): TensorInfo => {
      const described = describeType(type);
      type.delete();
      return toTensorInfo({ name: tensor.name, ...described, quantization: tensor.quantization ?? undefined }, kind);
    };
    try {
      this.inputs = io.inputs.map((tensor, i) =>
        info(tensor, handles.model.getInputTensorType(SIGNATURE, this.#inputOrder[i]!), 'input'),
      );
      this.outputs = io.outputs.map((tensor, i) =>
        info(tensor, handles.model.getOutputTensorType(SIGNATURE, this.#outputOrder[i]!), 'output'),
      );
    } catch (error) {
      this.dispose();
      throw error;
    }
  }

  public static async load(bytes: Uint8Array, options: WasmLoadOptions = {}): Promise<WasmModel> {
    const file = options.file ?? openModel(bytes);
    const shaped = runtimeShapedOutput(ioTensors(file).outputs);
    if (shaped)
      throw new UnsupportedError(
        `LiteRT.js cannot run this model more than once: output ${JSON.stringify(shaped.name)} is shaped by ${shaped.producer ?? 'its op'} as it runs, and LiteRT.js sizes its output buffers before`,
      );
    const runtime = await getLiteRt();
    let handles: Handles;
    try {
      handles = await open(runtime, bytes);
    } catch (error) {
      discardLiteRt(runtime.generation);
      throw new ModelLoadError(`LiteRT.js could not load the model: ${failure(error)}`, { cause: error });
    }
    const loaded = new WasmModel(bytes, file, handles, options.fallbackReason);
    // LiteRT.js prepares the graph at the first run, and when that fails
    // (an unresolved custom op, XNNPACK refusing a node) it only logs it and
    // "runs" anyway, with garbage out. One run on zeros here turns that into
    // a load error. Not for a graph that loops: a run at load is a run on the
    // event loop, and a loop without end would never let go of it.
    if (graphLoops(file)) return loaded;
    try {
      loaded.run(zeroInputs(loaded.inputs));
    } catch (error) {
      loaded.dispose();
      throw new ModelLoadError(`LiteRT.js could not prepare the model: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return loaded;
  }

  public get disposed(): boolean {
    return this.#disposed;
  }

  public run(inputs: Inputs): Tensor[];
  public run<T>(inputs: Inputs, options: { readonly consume: (outputs: Tensor[]) => T }): T;
  public run<T>(inputs: Inputs, options?: { readonly consume: (outputs: Tensor[]) => T }): Tensor[] | T {
    this.#assertUsable();
    if (this.#handles.generation !== liteRtGeneration())
      throw new InferenceError(
        'the WASM runtime was replaced after another model faulted; this model reloads at its next asynchronous run',
      );
    const outputs = this.#run(inputs);
    return options ? options.consume(outputs) : outputs;
  }

  #assertUsable(): void {
    if (this.#disposed) throw new ModelDisposedError();
    if (this.#fault !== undefined)
      throw new ModelUnavailableError(`this model faulted the WASM runtime and is refused: ${this.#fault}`);
  }

  /** Loads the model again into the runtime that replaced the one it was on. */
  async #reload(): Promise<void> {
    const runtime = await getLiteRt();
    if (this.#handles.generation === runtime.generation) return;
    let handles: Handles;
    try {
      handles = await open(runtime, this.#bytes);
    } catch (error) {
      discardLiteRt(runtime.generation);
      throw new InferenceError(`LiteRT.js could not load the model again: ${failure(error)}`, { cause: error });
    }
    finalizer.unregister(this);
    this.#handles = handles;
    finalizer.register(this, handles, this);
  }

  #run(inputs: Inputs): Tensor[] {
    const prepared = prepareInputs(this.inputs, inputs);
    const batch = prepared.batch;
    if (batch === undefined) return this.#runOne(prepared.arrays);
    // LiteRT.js runs a model at its own shapes: a batch runs item by item.
    const stacker = itemStacker(batch);
    for (let i = 0; i < batch; i++) stacker.add(i, this.#runOne(prepared.arrays.map((a) => itemOf(a, batch, i))));
    return stacker.done();
  }

  #runOne(arrays: readonly TypedArray[]): Tensor[] {
    const { wasm, environment, model, compiled, generation } = this.#handles;
    const buffers: TensorBuffer[] = [];
    let outputs: TensorBuffer[] = [];
    let prepareLog: string | undefined;
    try {
      // LiteRT.js takes the inputs in its signature's order.
      const ordered: TypedArray[] = [];
      arrays.forEach((array, i) => {
        ordered[this.#inputOrder[i]!] = array;
      });
      ordered.forEach((array, index) => {
        const type = model.getInputTensorType(SIGNATURE, index);
        const buffer = wasm.LiteRtTensorBuffer.createManaged(
          environment,
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
      const result = compiled.run(SIGNATURE, buffers);
      if (result instanceof Promise) throw new UnsupportedError('this LiteRT.js build runs asynchronously only');
      outputs = result;
      const log = takeRecentLog();
      if (PREPARE_FAILED.test(log)) {
        prepareLog = log;
        throw new InferenceError(`the graph could not be prepared: ${log}`);
      }
      return this.outputs.map((info, i) => {
        const buffer = outputs[this.#outputOrder[i]!]!;
        const pointer = buffer.lock(wasm.LiteRtTensorBufferLockMode.READ);
        const bytes = wasm.HEAPU8.slice(pointer, pointer + buffer.packedSize());
        buffer.unlock();
        return toTensor(info, info.dtype, info.shape, bytes);
      });
    } catch (error) {
      if (error instanceof UnsupportedError) throw error;
      if (prepareLog !== undefined) throw error;
      if (!(error instanceof TflsError)) {
        // Thrown from inside the runtime: its state can no longer be trusted.
        this.#fault = failure(error);
        discardLiteRt(generation);
        throw new InferenceError(`LiteRT.js failed to run the model: ${this.#fault}`, { cause: error });
      }
      throw error;
    } finally {
      if (generation === liteRtGeneration()) for (const buffer of [...buffers, ...outputs]) buffer.delete();
    }
  }

  public runAsync(inputs: Inputs): Promise<Tensor[]>;
  public runAsync<T>(inputs: Inputs, options: RunOptions<T>): Promise<T>;
  public runAsync<T>(inputs: Inputs, options?: RunOptions<T>): Promise<Tensor[] | T> {
    // Checked and copied now: a caller that reuses its buffer must not change a queued run.
    let copied: Inputs;
    try {
      this.#assertUsable();
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
      this.#assertUsable();
      if (this.#handles.generation !== liteRtGeneration()) await this.#reload();
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

export type { WasmLoadOptions };
export { WasmModel };
