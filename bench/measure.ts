// One measurement in its own process (bench/engines.ts spawns it), so that
// engines do not share a heap, a JIT or an RSS figure.
//   node --import tsx bench/measure.ts <peer> <model> <threads> <runs> <warmup>
import { percentile, round, rssMb } from '../src/bench/stats.js';
import { tfjsTflite } from './peers/tfjsTflite.js';
import { tfjsTfliteNode } from './peers/tfjsTfliteNode.js';
import { tfliteServerless } from './peers/tfliteServerless.js';
import type { Peer } from './peers/types.js';

const PEERS: Record<string, Peer> = {
  native: tfliteServerless('native'),
  wasm: tfliteServerless('wasm'),
  ort: tfliteServerless('ort'),
  'tfjs-tflite': tfjsTflite,
  'tfjs-tflite-node': tfjsTfliteNode,
};

const [peerName, path, threadsArg, runsArg, warmupArg] = process.argv.slice(2);
const peer = PEERS[peerName ?? ''];
if (!peer || !path) {
  console.error(`usage: measure.ts <${Object.keys(PEERS).join('|')}> <model> <threads> <runs> <warmup>`);
  process.exit(2);
}
const started = performance.now();
let runner: Awaited<ReturnType<Peer['load']>>;
try {
  runner = await peer.load(path, Number(threadsArg ?? 1), 1);
} catch (error) {
  console.log(JSON.stringify({ peer: peer.name, error: (error as Error).message }));
  process.exit(0);
}
const initMs = performance.now() - started;
const samples: number[] = [];
let runs = 0;
try {
  const warmupStarted = performance.now();
  const warmup = Math.max(1, Number(warmupArg ?? 10));
  for (let i = 0; i < warmup; i++) await runner.run();
  // Slow models (DeepLab on TFLite's built-in kernels) get fewer runs: about 10 s each at most.
  const perRunMs = (performance.now() - warmupStarted) / warmup;
  runs = Math.min(Number(runsArg ?? 100), Math.max(20, Math.floor(10_000 / perRunMs)));
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await runner.run();
    samples.push(performance.now() - t);
  }
} catch (error) {
  console.log(JSON.stringify({ peer: peer.name, error: `loads, then fails to run: ${(error as Error).message}` }));
  process.exit(0);
}
samples.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    peer: peer.name,
    runs,
    initMs: round(initMs),
    p50Ms: round(percentile(samples, 50)),
    p90Ms: round(percentile(samples, 90)),
    p99Ms: round(percentile(samples, 99)),
    minMs: round(samples[0]!),
    rssMb: rssMb(),
  }),
);
runner.dispose();
