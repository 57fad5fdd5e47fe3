import { benchmarkModel } from '../../bench/benchmarkModel.js';
import { ENGINES } from '../../engine/loadModel.js';
import { type Command, choiceFlag, integerFlag, positionals } from '../command.js';
import { json, ms, table } from '../format.js';

const bench: Command = {
  name: 'bench',
  summary: 'time a model on deterministic inputs',
  help: `Usage: tfls bench <model.tflite> [--engine auto|native|wasm|ort] [--threads N] [--runs N] [--warmup N] [--json]

Loads the model, fills its inputs with deterministic data and times --runs
synchronous runs after --warmup untimed ones.

Options:
  --engine E     auto (default: native, WASM if the native runtime cannot load it), native, wasm,
                 or ort (translated to ONNX, served if it answers like TFLite)
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
    json: { type: 'boolean' },
  },
  async run(args, io) {
    const [model] = positionals(args, 'model.tflite');
    const threads = integerFlag(args, 'threads', undefined, 1, 64);
    const result = await benchmarkModel(model!, {
      engine: choiceFlag(args, 'engine', ENGINES, 'auto'),
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
