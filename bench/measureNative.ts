// One native load and its runs in a process of its own (bench/partialDelegation.ts
// spawns it), through the addon directly so that another build of it
// (TFLITE_NATIVE_ADDON, e.g. an earlier commit's) can be measured the same way.
//   node --import tsx bench/measureNative.ts <model> <xnnpack|builtin|exclude=N,N,...> <threads> <runs> <warmup>
// Prints one JSON line: init ms, the delegate's coverage, what the load cost
// (interpreter creations and XNNPACK trial runtimes, when the build says), p50.
import { readFileSync } from 'node:fs';
import { percentile, round } from '../src/bench/stats.js';
import { asBytes } from '../src/dtypes.js';
import { getBinding } from '../src/engine/native/binding.js';
import { syntheticInputs } from '../src/engine/syntheticInputs.js';
import { toTensorInfo } from '../src/engine/tensorInfo.js';

const [path, mode, threadsArg, runsArg, warmupArg] = process.argv.slice(2);
if (!path || !mode || !/^(xnnpack|builtin|exclude=[\d,]+)$/.test(mode)) {
  console.error('usage: measureNative.ts <model> <xnnpack|builtin|exclude=N,N,...> <threads> <runs> <warmup>');
  process.exit(2);
}
const bytes = new Uint8Array(readFileSync(path));
const binding = getBinding();
const started = performance.now();
const native = new binding.NativeModel(bytes, {
  threads: Number(threadsArg ?? 1),
  xnnpack: mode !== 'builtin',
  maxTensorBytes: 2 ** 30,
  quiet: true,
  excludeNodes: mode.startsWith('exclude=') ? mode.slice('exclude='.length).split(',').map(Number) : [],
});
const initMs = performance.now() - started;
const info = native.info();
const inputs = syntheticInputs(
  info.inputs.map((raw) => toTensorInfo(raw, 'input')),
  1,
).map((input) => asBytes(input));
for (let i = 0; i < Number(warmupArg ?? 10); i++) native.run(inputs, true);
const samples: number[] = [];
for (let i = 0; i < Number(runsArg ?? 100); i++) {
  const t = performance.now();
  native.run(inputs, true);
  samples.push(performance.now() - t);
}
samples.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    initMs: round(initMs),
    delegate: info.delegate,
    nodes: info.nodes,
    delegatedNodes: info.delegatedNodes,
    // An earlier build (--before) reports none of these three.
    refusedNodes: (info.refusedNodes ?? []).map((refused) => refused.node),
    attempts: info.attempts,
    trials: info.trials,
    p50Ms: round(percentile(samples, 50)),
    p99Ms: round(percentile(samples, 99)),
  }),
);
native.dispose();
