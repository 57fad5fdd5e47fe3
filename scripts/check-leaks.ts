// 10,000 load/run/dispose cycles of a real model on the native engine (with
// XNNPACK), a batched run and an async run each time, and of a small int8
// graph XNNPACK refuses one node of (a failed creation, the search for that
// node with its trial runtimes, partial delegation): native memory that a
// cycle fails to free grows RSS without bound. Prints, after a warm-up and at
// the end, RSS and the part of it outside V8's heap (RSS - heapTotal), and
// fails when that part grew by more than 32 MB (a leaked interpreter would be
// gigabytes; 3 KB a cycle would be 27 MB). Not RSS itself: V8 grows its heap
// on its own schedule (seen: heapTotal 19 -> 44 MB between cycles 1,000 and
// 2,500 while the live heap stayed at 9-21 MB), which is no native leak; a
// JavaScript leak shows in the live heap, printed beside it.
//   npm run check:leaks [-- --cycles N]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadModel } from '../src/engine/loadModel.js';
import { syntheticInputs } from '../src/engine/syntheticInputs.js';
import { int8ConvChain } from '../test/helpers/tinyModels.js';

const { values } = parseArgs({ options: { cycles: { type: 'string', default: '10000' } } });
const cycles = Number(values.cycles);
const WARMUP = Math.min(1000, Math.floor(cycles / 10));
const LIMIT_MB = 32;
const bytes = new Uint8Array(readFileSync('models/face-detection/1/model.tflite'));
// Requantization scale 512 at the second convolution: XNNPACK 2.9 builds no runtime for it.
const partial = int8ConvChain([
  { weightScale: 1, outputScale: 1 },
  { weightScale: 1, outputScale: 1 / 512 },
  { weightScale: 0.5, outputScale: 1 / 128 },
]);

const gc = (globalThis as { gc?: () => void }).gc;
const MB = 1024 * 1024;
/** After a full collection: RSS, the part outside V8's heap, and V8's live heap (MB). */
const memory = (): { rss: number; native: number; live: number } => {
  gc?.();
  const { rss, heapTotal, heapUsed } = process.memoryUsage();
  return { rss: rss / MB, native: (rss - heapTotal) / MB, live: heapUsed / MB };
};
const show = ({ rss, native, live }: ReturnType<typeof memory>): string =>
  `RSS ${rss.toFixed(1)} MB (outside V8's heap ${native.toFixed(1)} MB, live heap ${live.toFixed(1)} MB)`;

let baseline = memory();
const started = performance.now();
for (let i = 0; i < cycles; i++) {
  if (i === WARMUP) baseline = memory();
  const model = await loadModel(bytes, { engine: 'native', threads: 1 });
  const [input] = syntheticInputs(model.inputs, i);
  model.run([input!]);
  const batch = new Float32Array(input!.length * 2);
  batch.set(input as Float32Array);
  await model.runAsync([{ data: batch, shape: [2, ...model.inputs[0]!.shape.slice(1)] }]);
  model.dispose();
  const refused = await loadModel(partial, { engine: 'native', threads: 1 });
  if (refused.delegatedNodes !== 2) throw new Error(`expected partial delegation, got ${refused.delegateReason}`);
  refused.run(syntheticInputs(refused.inputs, i));
  refused.dispose();
  if ((i + 1) % 2000 === 0) console.log(`${i + 1} cycles: ${show(memory())}`);
}
const end = memory();
const seconds = (performance.now() - started) / 1000;
const grew = end.native - baseline.native;
console.log(`${cycles} load/run/dispose cycles in ${seconds.toFixed(1)} s`);
console.log(`  after ${WARMUP}: ${show(baseline)}`);
console.log(`  at the end: ${show(end)}`);
console.log(`  outside V8's heap: ${grew >= 0 ? '+' : ''}${grew.toFixed(1)} MB (limit ${LIMIT_MB} MB)`);
if (grew > LIMIT_MB) {
  console.error(`check:leaks: memory outside V8's heap grew ${grew.toFixed(1)} MB over ${cycles - WARMUP} cycles`);
  process.exit(1);
}
