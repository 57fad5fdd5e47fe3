import { loadModel } from '../engine/loadModel.js';
import { syntheticInputs } from '../engine/syntheticInputs.js';
import type { DelegateName, EngineName, LoadOptions } from '../engine/types.js';
import { ConfigError } from '../errors.js';
import { percentile, round, rssMb } from './stats.js';

interface BenchOptions extends LoadOptions {
  readonly runs?: number;
  readonly warmup?: number;
  readonly seed?: number;
}

/** The `tfls bench --json` object (a fixed contract). */
interface BenchResult {
  readonly engine: EngineName;
  readonly delegate: DelegateName;
  readonly threads: number;
  readonly runs: number;
  /** From before the model load to a loaded, allocated interpreter. */
  readonly initMs: number;
  readonly firstRunMs: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly minMs: number;
  readonly rssMb: number;
  /** Nodes the XNNPACK delegate runs, of all nodes in the graph (absent when the engine does not say: LiteRT.js). */
  readonly delegatedNodes?: number;
  readonly totalNodes: number;
  /** Why auto chose the engine, when it chose. */
  readonly engineReason?: string;
}

const positive = (value: number, name: string, min: number): number => {
  if (!Number.isInteger(value) || value < min)
    throw new ConfigError(`${name} must be an integer >= ${min}, got ${value}`);
  return value;
};

/**
 * Loads a model, runs it on deterministic inputs and reports latency. Runs
 * are synchronous so that the numbers are inference, not event-loop waits,
 * except on the ort engine, which only runs asynchronously (onnxruntime-node
 * runs it on the main thread after one event-loop turn).
 */
const benchmarkModel = async (source: string | Uint8Array, options: BenchOptions = {}): Promise<BenchResult> => {
  const runs = positive(options.runs ?? 100, 'runs', 1);
  const warmup = positive(options.warmup ?? 10, 'warmup', 0);
  const started = performance.now();
  const model = await loadModel(source, options);
  const initMs = performance.now() - started;
  try {
    const inputs = syntheticInputs(model.inputs, options.seed ?? 1);
    const run = model.engine === 'ort' ? () => model.runAsync(inputs) : () => model.run(inputs);
    let t = performance.now();
    await run();
    const firstRunMs = performance.now() - t;
    for (let i = 0; i < warmup; i++) await run();
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) {
      t = performance.now();
      await run();
      samples.push(performance.now() - t);
    }
    samples.sort((a, b) => a - b);
    return {
      engine: model.engine,
      delegate: model.delegate,
      threads: model.threads,
      runs,
      initMs: round(initMs),
      firstRunMs: round(firstRunMs),
      p50Ms: round(percentile(samples, 50)),
      p90Ms: round(percentile(samples, 90)),
      p99Ms: round(percentile(samples, 99)),
      minMs: round(samples[0]!),
      rssMb: rssMb(),
      delegatedNodes: model.delegatedNodes,
      totalNodes: model.nodes,
      ...(model.engineReason && { engineReason: model.engineReason }),
    };
  } finally {
    model.dispose();
  }
};

export type { BenchOptions, BenchResult };
export { benchmarkModel };
