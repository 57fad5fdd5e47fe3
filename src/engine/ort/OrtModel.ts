import type * as OrtModule from 'onnxruntime-node';
import type { TypedArray } from '../../dtypes.js';
import { InferenceError, ModelDisposedError, UnsupportedError } from '../../errors.js';
import { checkBatch, itemOf, itemStacker } from '../batching.js';
import { prepareInputs } from '../prepareInputs.js';
import type { Inputs, Model, RunOptions, Tensor, TensorInfo } from '../types.js';
import { createSession, getOrt, type Ort, type Session } from './ortRuntime.js';

/** What OrtModel needs of a translation: the ONNX bytes and its graph's names in TFLite's order. */
interface OrtGraph {
  readonly onnx: Uint8Array;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** TFLite operators the graph holds, all translated. */
  readonly operators: number;
}

// A session dropped without dispose() is released when its model is collected.
const finalizer = new FinalizationRegistry<Session>((session) => {
  session.release().catch(() => undefined);
});

/**
 * A TFLite model translated to ONNX (src/onnx) on ONNX Runtime's CPU
 * provider. Inputs and outputs are TFLite's (names, dtypes, NHWC shapes,
 * quantization), so nothing above the engine changes. onnxruntime-node only
 * runs asynchronously: `run` throws, `runAsync` works, queued one at a time.
 * The graph has the declared shapes, so another batch size runs item by item.
 */
class OrtModel implements Model {
  public readonly engine = 'ort';
  public readonly delegate = 'none';
  public readonly delegateReason = 'ONNX Runtime runs the translated graph on its own CPU kernels (no TFLite delegate)';
  public readonly interpreters = 1;
  public engineReason?: string;
  public readonly nodes: number;
  public readonly delegatedNodes: number;
  readonly #ort: Ort;
  readonly #session: Session;
  readonly #graph: OrtGraph;
  #queue: Promise<unknown> = Promise.resolve();
  #disposed = false;

  private constructor(
    ort: Ort,
    session: Session,
    graph: OrtGraph,
    public readonly inputs: readonly TensorInfo[],
    public readonly outputs: readonly TensorInfo[],
    public readonly threads: number,
  ) {
    this.#ort = ort;
    this.#session = session;
    this.#graph = graph;
    this.nodes = graph.operators;
    this.delegatedNodes = graph.operators;
    finalizer.register(this, session, this);
  }

  public static async create(
    graph: OrtGraph,
    inputs: readonly TensorInfo[],
    outputs: readonly TensorInfo[],
    threads: number,
  ): Promise<OrtModel> {
    const ort = await getOrt();
    const session = await createSession(graph.onnx, threads);
    return new OrtModel(ort, session, graph, inputs, outputs, threads);
  }

  public get disposed(): boolean {
    return this.#disposed;
  }

  public run(inputs: Inputs): Tensor[];
  public run<T>(inputs: Inputs, options: { readonly consume: (outputs: Tensor[]) => T }): T;
  public run(): never {
    if (this.#disposed) throw new ModelDisposedError();
    throw new UnsupportedError(
      'the ort engine runs asynchronously only (onnxruntime-node has no synchronous run): use runAsync',
    );
  }

  public runAsync(inputs: Inputs): Promise<Tensor[]>;
  public runAsync<T>(inputs: Inputs, options: RunOptions<T>): Promise<T>;
  public runAsync<T>(inputs: Inputs, options?: RunOptions<T>): Promise<Tensor[] | T> {
    let arrays: TypedArray[];
    let batch: number | undefined;
    try {
      if (this.#disposed) throw new ModelDisposedError();
      const prepared = prepareInputs(this.inputs, inputs);
      // Copied now: a caller that reuses its buffer must not change a queued run.
      arrays = prepared.arrays.map((array) => array.slice());
      batch = prepared.batch;
      if (batch !== undefined && this.inputs.some((info) => info.shape[0] !== 1))
        throw new UnsupportedError(
          `the ort engine runs other batch sizes item by item, which needs a declared batch of 1 (the model declares ${this.inputs[0]?.shape[0]})`,
        );
    } catch (error) {
      return Promise.reject(error);
    }
    const run = this.#queue.then(async () => {
      if (this.#disposed) throw new ModelDisposedError();
      let outputs: Tensor[];
      if (batch === undefined) outputs = await this.#runOne(arrays);
      else {
        const stacker = itemStacker(batch);
        for (let i = 0; i < batch; i++) stacker.add(i, await this.#runOne(arrays.map((a) => itemOf(a, batch, i))));
        outputs = stacker.done();
      }
      return options ? await options.consume(outputs) : outputs;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #runOne(arrays: readonly TypedArray[]): Promise<Tensor[]> {
    const feeds: Record<string, OrtModule.Tensor> = {};
    arrays.forEach((array, i) => {
      const info = this.inputs[i]!;
      // onnxruntime spells every dtype here as this project does (float16 as raw halves too).
      feeds[this.#graph.inputNames[i]!] = new this.#ort.Tensor(info.dtype, array as never, [...info.shape]);
    });
    let results: Record<string, OrtModule.Tensor>;
    try {
      results = await this.#session.run(feeds);
    } catch (error) {
      throw new InferenceError(`ONNX Runtime failed to run the model: ${(error as Error).message}`, { cause: error });
    }
    return this.outputs.map((info, i) => ({
      name: info.name,
      dtype: info.dtype,
      shape: [...info.shape],
      data: results[this.#graph.outputNames[i]!]!.data as TypedArray,
    }));
  }

  /** Nothing to size: the translated graph keeps the declared shapes, and another batch runs item by item. */
  public resizeBatch(batch: number): void {
    if (this.#disposed) throw new ModelDisposedError();
    checkBatch(batch);
  }

  /** Releases the session once the runs already queued are done; idempotent. */
  public dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    finalizer.unregister(this);
    const session = this.#session;
    this.#queue.finally(() => session.release()).catch(() => undefined);
  }
}

export type { OrtGraph };
export { OrtModel };
