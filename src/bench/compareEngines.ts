import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { EngineChoice, EngineName } from '../engine/types.js';
import { ConfigError } from '../errors.js';
import { packageRoot } from '../paths.js';
import type { BenchResult } from './benchmarkModel.js';

const run = promisify(execFile);

/** One engine's numbers over the rounds: medians, each round a fresh process. */
interface EngineRow {
  readonly engine: EngineChoice;
  /** The engine that served (auto's choice). */
  readonly served?: EngineName;
  readonly engineReason?: string;
  readonly initMs?: number;
  readonly p50Ms?: number;
  readonly minMs?: number;
  /** Why the engine could not load the model. */
  readonly error?: string;
}

interface EngineComparison {
  readonly rounds: number;
  readonly engines: readonly EngineRow[];
  /** auto's init over the init of the engine it chose, each on its own: what the rule costs at load. */
  readonly autoInitRatio?: number;
}

interface CompareOptions {
  readonly rounds: number;
  readonly runs: number;
  readonly warmup: number;
  readonly threads?: number;
}

const ENGINES: readonly EngineChoice[] = ['auto', 'native', 'wasm', 'ort'];

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)]! * 100) / 100;
};

/**
 * `tfls bench --engine all`: the timed comparison `auto` does not make.
 * Each engine runs in a fresh process (so that no engine's runtime is
 * already loaded when another's init is timed), the engines interleaved
 * round by round (so that a busy machine weighs on all of them alike).
 */
const compareEngines = async (model: string, options: CompareOptions): Promise<EngineComparison> => {
  const root = packageRoot();
  if (!root)
    throw new ConfigError('the tflite-serverless package (its bin/tfls.js) cannot be found to start the engines in');
  const cli = join(root, 'bin', 'tfls.js');
  const results = new Map<EngineChoice, BenchResult[]>(ENGINES.map((engine) => [engine, []]));
  const errors = new Map<EngineChoice, string>();
  for (let round = 0; round < options.rounds; round++) {
    for (const engine of ENGINES) {
      if (errors.has(engine)) continue;
      const args = [cli, 'bench', model, '--engine', engine, '--json'];
      args.push('--runs', String(options.runs), '--warmup', String(options.warmup));
      if (options.threads !== undefined) args.push('--threads', String(options.threads));
      try {
        const { stdout } = await run(process.execPath, args, { maxBuffer: 1 << 20 });
        results.get(engine)!.push(JSON.parse(stdout) as BenchResult);
      } catch (error) {
        const stderr = (error as { stderr?: string }).stderr?.trim();
        errors.set(engine, stderr?.replace(/^tfls bench: /, '') || (error as Error).message);
      }
    }
  }
  const rows = ENGINES.map((engine): EngineRow => {
    const runs = results.get(engine)!;
    if (runs.length === 0) return { engine, error: errors.get(engine) ?? 'no result' };
    return {
      engine,
      served: runs[0]!.engine,
      ...(runs[0]!.engineReason && { engineReason: runs[0]!.engineReason }),
      initMs: median(runs.map((r) => r.initMs)),
      p50Ms: median(runs.map((r) => r.p50Ms)),
      minMs: median(runs.map((r) => r.minMs)),
    };
  });
  const auto = rows[0]!;
  const chosen = rows.find((row) => row.engine === auto.served);
  const ratio = auto.initMs !== undefined && chosen?.initMs ? auto.initMs / chosen.initMs : undefined;
  return {
    rounds: options.rounds,
    engines: rows,
    ...(ratio !== undefined && { autoInitRatio: Math.round(ratio * 100) / 100 }),
  };
};

export type { EngineComparison, EngineRow };
export { compareEngines };
