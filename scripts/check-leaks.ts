// 10,000 load/run/dispose cycles of a real model on the native engine (with
// XNNPACK), a batched run and an async run each time: native memory that a
// cycle fails to free grows RSS without bound. Prints RSS after a warm-up and
// at the end, and fails when it grew by more than 32 MB (a leaked interpreter
// would be gigabytes; 3 KB a cycle would be 27 MB).
//   npm run check:leaks [-- --cycles N]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadModel } from '../src/engine/loadModel.js';
import { syntheticInputs } from '../src/engine/syntheticInputs.js';

const { values } = parseArgs({ options: { cycles: { type: 'string', default: '10000' } } });
const cycles = Number(values.cycles);
const WARMUP = Math.min(1000, Math.floor(cycles / 10));
const LIMIT_MB = 32;
const bytes = new Uint8Array(readFileSync('models/face-detection/1/model.tflite'));

const gc = (globalThis as { gc?: () => void }).gc;
const rssMb = (): number => {
  gc?.();
  return process.memoryUsage().rss / 1024 / 1024;
};

let baseline = 0;
const started = performance.now();
for (let i = 0; i < cycles; i++) {
  if (i === WARMUP) baseline = rssMb();
  const model = await loadModel(bytes, { engine: 'native', threads: 1 });
  const [input] = syntheticInputs(model.inputs, i);
  model.run([input!]);
  const batch = new Float32Array(input!.length * 2);
  batch.set(input as Float32Array);
  await model.runAsync([{ data: batch, shape: [2, ...model.inputs[0]!.shape.slice(1)] }]);
  model.dispose();
  if ((i + 1) % 2000 === 0) console.log(`${i + 1} cycles: RSS ${rssMb().toFixed(1)} MB`);
}
const end = rssMb();
const seconds = (performance.now() - started) / 1000;
console.log(
  `${cycles} load/run/dispose cycles in ${seconds.toFixed(1)} s: RSS ${baseline.toFixed(1)} MB after ${WARMUP}, ${end.toFixed(1)} MB at the end (${(end - baseline).toFixed(1)} MB, limit ${LIMIT_MB} MB)`,
);
if (end - baseline > LIMIT_MB) {
  console.error(`check:leaks: RSS grew ${(end - baseline).toFixed(1)} MB over ${cycles - WARMUP} cycles`);
  process.exit(1);
}
