// Single-field mutations of real models' builtin options and quantization,
// each loaded and run once on the native engine in a child process, which
// may die: prints how each ended (refused with a typed error, loaded and ran,
// or killed by a signal). What validateModel must refuse comes from here:
// every signal it prints is a rule missing.
//
//   node --import tsx scripts/probe-options.ts [--models face,hand,...] [--limit N]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../src/engine/loadModel.js';
import { syntheticInputs } from '../src/engine/syntheticInputs.js';
import { BuiltinOptions, type ModelT } from '../src/tflite/generated/schema_generated.js';
import { opName } from '../src/tflite/opcodes.js';
import { readModel } from '../src/tflite/readModel.js';
import { writeModel } from '../src/tflite/writeModel.js';
import { mediapipe } from '../test/helpers/models.js';

const THREADS = Number(process.env.PROBE_THREADS ?? 2);
const HANG_MS = 30_000;
const ZOO = process.env.TFLS_MODEL_ZOO ?? '../shared/fixtures/models';
const MODELS: Record<string, string> = {
  face: mediapipe.faceDetection,
  hand: mediapipe.handLandmarkFull,
  selfie: mediapipe.selfieSegmentation,
  mobilenetQuant: `${ZOO}/mobilenet_v1_0.25_224_quant.tflite`,
  deeplabQuant: `${ZOO}/deeplabv3_mnv2_dm05_pascal_quant.tflite`,
  ssdQuant: `${ZOO}/coco_ssd_mobilenet_v1_1.0_quant_2018_06_29.tflite`,
  // Made by tfls compress (--mode int8 / dynamic); give their paths to probe them.
  ...(process.env.PROBE_INT8 && { faceInt8: process.env.PROBE_INT8 }),
  ...(process.env.PROBE_DYNAMIC && { faceDynamic: process.env.PROBE_DYNAMIC }),
};

/** One mutation: a field of operator `op`'s options (or of tensor `tensor`'s quantization) set to `value`. */
interface Variant {
  readonly model: string;
  readonly kind: 'option' | 'optionsType' | 'quantization';
  readonly index: number;
  readonly field: string;
  readonly value: number | string;
}

const INTS = [0, -1, 2, 3, 5, 127, -128, 255, 65_535, 1_000_000, 2 ** 31 - 1, -(2 ** 31)];
const FLOATS = ['0', '-1', 'NaN', 'Infinity', '1e38', '1e-38', '1e20'];
const SCALES = [
  '0',
  '-1',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e38',
  '1e30',
  '1e20',
  '1e10',
  '1e4',
  '1e-10',
  '1e-20',
  '1e-30',
  '1e-38',
  '1e-45',
];
const ZERO_POINTS = [-129, 256, 1000, -1000, 2 ** 31, -(2 ** 31) - 1];

const number = (value: number | string): number => Number(value);

const variantsOf = (name: string, model: ModelT): Variant[] => {
  const variants: Variant[] = [];
  const seen = new Map<string, number>();
  const subgraph = model.subgraphs[0]!;
  subgraph.operators.forEach((op, index) => {
    if (process.env.PROBE_SCALES) return;
    const code = opName(model.operatorCodes[op.opcodeIndex]!);
    // Two operators of each code and field: crashes depend on shapes, not on which layer it is.
    const take = (key: string): boolean => {
      const n = seen.get(`${code}.${key}`) ?? 0;
      seen.set(`${code}.${key}`, n + 1);
      return n < 2;
    };
    if (op.builtinOptions && take('type'))
      variants.push({ model: name, kind: 'optionsType', index, field: 'type', value: 0 });
    for (const [field, current] of Object.entries(op.builtinOptions ?? {})) {
      if (!take(field)) continue;
      if (typeof current === 'boolean')
        variants.push({ model: name, kind: 'option', index, field, value: current ? 0 : 1 });
      else if (typeof current === 'number') {
        const values = Number.isInteger(current) ? INTS : FLOATS;
        for (const value of values)
          if (number(value) !== current) variants.push({ model: name, kind: 'option', index, field, value });
      }
    }
  });
  const seenQ = new Set<string>();
  subgraph.tensors.forEach((tensor, index) => {
    const q = tensor.quantization;
    if (!q || q.scale.length === 0) return;
    const key = `${tensor.type}.${q.scale.length > 1}.${tensor.buffer > 0}`;
    // PROBE_ALL_TENSORS: every quantized tensor, not one of each kind.
    if (seenQ.has(key) && !process.env.PROBE_ALL_TENSORS) return;
    seenQ.add(key);
    for (const value of process.env.PROBE_SCALES?.split(',') ?? SCALES)
      variants.push({ model: name, kind: 'quantization', index, field: 'scale', value });
    for (const value of ZERO_POINTS)
      variants.push({ model: name, kind: 'quantization', index, field: 'zeroPoint', value });
    for (const value of [-1, tensor.shape.length, 99])
      variants.push({ model: name, kind: 'quantization', index, field: 'quantizedDimension', value });
  });
  return variants;
};

const apply = (model: ModelT, variant: Variant): void => {
  const subgraph = model.subgraphs[0]!;
  if (variant.kind === 'optionsType') {
    const op = subgraph.operators[variant.index]!;
    op.builtinOptionsType = BuiltinOptions.NONE;
    op.builtinOptions = null;
  } else if (variant.kind === 'option') {
    const options = subgraph.operators[variant.index]!.builtinOptions as unknown as Record<string, unknown>;
    options[variant.field] = typeof options[variant.field] === 'boolean' ? variant.value === 1 : number(variant.value);
  } else {
    const q = subgraph.tensors[variant.index]!.quantization!;
    if (variant.field === 'scale') q.scale = q.scale.map(() => number(variant.value));
    else if (variant.field === 'zeroPoint') q.zeroPoint = q.zeroPoint.map(() => BigInt(variant.value));
    else q.quantizedDimension = number(variant.value);
  }
};

const describeVariant = (model: ModelT, v: Variant): string =>
  v.kind === 'quantization'
    ? `${v.model} tensor ${v.index} ${v.field}=${v.value}`
    : `${v.model} op ${v.index} (${opName(model.operatorCodes[model.subgraphs[0]!.operators[v.index]!.opcodeIndex]!)}) ${v.field}=${v.value}`;

const child = async (): Promise<void> => {
  const cache = new Map<string, Uint8Array>();
  for await (const line of createInterface({ input: process.stdin })) {
    const variant = JSON.parse(line) as Variant;
    let bytes = cache.get(variant.model);
    if (!bytes) {
      bytes = new Uint8Array(readFileSync(MODELS[variant.model]!));
      cache.set(variant.model, bytes);
    }
    const file = readModel(bytes);
    apply(file.model, variant);
    let outcome: string;
    try {
      const model = await loadModel(writeModel(file), { engine: 'native', threads: THREADS });
      try {
        // A heap overwrite often kills only a later run, and only with more than one thread.
        for (let run = 0; run < 3; run++) await model.runAsync(syntheticInputs(model.inputs));
        outcome = 'ran';
      } catch (error) {
        outcome = `run: ${(error as Error).name}`;
      } finally {
        model.dispose();
      }
    } catch (error) {
      outcome = `refused: ${(error as Error).name}: ${(error as Error).message.slice(0, 140)}`;
    }
    process.stdout.write(`${JSON.stringify({ outcome })}\n`);
  }
};

const parent = async (): Promise<void> => {
  const args = process.argv.slice(2);
  const only = args.includes('--models') ? args[args.indexOf('--models') + 1]!.split(',') : Object.keys(MODELS);
  const limit = args.includes('--limit') ? Number(args[args.indexOf('--limit') + 1]) : Infinity;
  const variants: { variant: Variant; text: string }[] = [];
  for (const name of only) {
    const model = readModel(new Uint8Array(readFileSync(MODELS[name]!))).model;
    for (const variant of variantsOf(name, model).slice(0, limit))
      variants.push({ variant, text: describeVariant(model, variant) });
  }
  console.log(`${variants.length} variants`);
  const outcomes = new Map<string, number>();
  const count = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  let next = 0;
  while (next < variants.length) {
    const started = next;
    const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child'], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const lines = createInterface({ input: proc.stdout });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      proc.on('exit', (code, signal) => resolve({ code, signal })),
    );
    // A variant that runs past this is killed and reported as hanging.
    let watchdog: NodeJS.Timeout | undefined;
    const feed = () => {
      clearTimeout(watchdog);
      if (next < variants.length) {
        proc.stdin.write(`${JSON.stringify(variants[next]!.variant)}\n`);
        watchdog = setTimeout(() => proc.kill('SIGKILL'), HANG_MS);
      } else proc.stdin.end();
    };
    feed();
    for await (const line of lines) {
      const { outcome } = JSON.parse(line) as { outcome: string };
      count(outcome.startsWith('refused') ? 'refused' : outcome);
      if (process.env.PROBE_VERBOSE) console.log(`${variants[next]!.text}: ${outcome}`);
      next++;
      feed();
    }
    const { signal, code } = await exited;
    clearTimeout(watchdog);
    if (next < variants.length && (signal || code !== 0)) {
      const how = signal === 'SIGKILL' ? `hung over ${HANG_MS / 1000} s` : (signal ?? `exit ${code}`);
      console.log(`KILLED ${how}: ${variants[next]!.text}`);
      count(`killed ${how}`);
      next++;
    } else if (next === started) break;
  }
  console.log(Object.fromEntries(outcomes));
};

if (process.argv.includes('--child')) await child();
else await parent();
