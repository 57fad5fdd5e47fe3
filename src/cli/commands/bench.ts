import { benchmarkModel } from '../../bench/benchmarkModel.js';
import { compareEngines, type EngineComparison } from '../../bench/compareEngines.js';
import { ENGINES } from '../../engine/loadModel.js';
import { type Command, choiceFlag, integerFlag, positionals, UsageError } from '../command.js';
import { json, ms, table } from '../format.js';

const CHOICES = [...ENGINES, 'all'] as const;

const comparisonTable = (comparison: EngineComparison): string =>
  table([
    ['engine', `init (median of ${comparison.rounds} processes), p50, min`],
    ...comparison.engines.map((row): [string, string] => [
      row.engine === 'auto' && row.served ? `auto (${row.served})` : row.engine,
      row.error
        ? `fails: ${row.error}`
        : `${ms(row.initMs!)}, ${ms(row.p50Ms!)}, ${ms(row.minMs!)}${row.engine === 'auto' && comparison.autoInitRatio !== undefined ? ` (init ${comparison.autoInitRatio}x ${row.served}'s own)` : ''}`,
    ]),
    ['auto chose', comparison.engines[0]?.engineReason ?? comparison.engines[0]?.error ?? ''],
  ]);

const bench: Command = {
  name: 'bench',
  summary: 'time a model on deterministic inputs',
  help: `Usage: tfls bench <model.tflite> [--engine auto|native|wasm|ort|all] [--threads N] [--runs N] [--warmup N] [--rounds N] [--json]

Loads the model, fills its inputs with deterministic data and times --runs
synchronous runs after --warmup untimed ones.

Options:
  --engine E     auto (default: the engine a fixed rule picks from what the model is), native, wasm,
                 or ort (translated to ONNX, served if it answers like TFLite);
                 all: each of them in fresh processes, interleaved over --rounds (default 3),
                 medians, and auto's init against its chosen engine's own
  --threads N    interpreter threads (default: TFLITE_NUM_THREADS, else the CPUs available)
  --runs N       timed runs (default 100)
  --warmup N     untimed runs first (default 10)
  --json         print {engine, delegate, threads, runs, initMs, firstRunMs, p50Ms, p90Ms, p99Ms, minMs, rssMb}
`,
  options: {
    engine: { type: 'string' },
    threads: { type: 'string' },
    runs: { type: 'string' },
    warmup: { type: 'string' },
    rounds: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(args, io) {
    const [model] = positionals(args, 'model.tflite');
    const threads = integerFlag(args, 'threads', undefined, 1, 64);
    const engine = choiceFlag(args, 'engine', CHOICES, 'auto');
    if (engine === 'all') {
      const comparison = await compareEngines(model!, {
        rounds: integerFlag(args, 'rounds', 3, 1, 100),
        runs: integerFlag(args, 'runs', 100, 1),
        warmup: integerFlag(args, 'warmup', 10, 0),
        ...(threads !== undefined && { threads }),
      });
      io.stdout.write(args.values.json ? json(comparison) : comparisonTable(comparison));
      return 0;
    }
    if (args.values.rounds !== undefined) throw new UsageError('--rounds goes with --engine all');
    const result = await benchmarkModel(model!, {
      engine,
      ...(threads !== undefined && { threads }),
      runs: integerFlag(args, 'runs', 100, 1),
      warmup: integerFlag(args, 'warmup', 10, 0),
    });
    if (args.values.json) {
      io.stdout.write(json(result));
      return 0;
    }
    io.stdout.write(
      table([
        [
          'engine',
          `${result.engine} (delegate ${result.delegate}, ${result.threads} thread${result.threads === 1 ? '' : 's'})`,
        ],
        ['init', ms(result.initMs)],
        ['first run', ms(result.firstRunMs)],
        ['p50', ms(result.p50Ms)],
        ['p90', ms(result.p90Ms)],
        ['p99', ms(result.p99Ms)],
        ['min', ms(result.minMs)],
        ['runs', String(result.runs)],
        ['rss', `${result.rssMb} MB`],
      ]),
    );
    return 0;
  },
};

export { bench };
