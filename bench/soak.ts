// 10,000 runs on one model: RSS after 100 runs and after 10,000, to show the
// engine does not leak per run.
//   npm run bench:soak [-- --model path --runs 10000]
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { rssMb } from '../src/bench/stats.js';
import { loadModel } from '../src/engine/loadModel.js';
import { syntheticInputs } from '../src/engine/syntheticInputs.js';
import { describeMachine } from './machine.js';

const require = createRequire(import.meta.url);
const { values } = parseArgs({
  options: {
    model: { type: 'string', default: require.resolve('@mediapipe/face_detection/face_detection_short_range.tflite') },
    runs: { type: 'string', default: '10000' },
    async: { type: 'boolean', default: false },
    consume: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const model = await loadModel(values.model!, { threads: 1 });
const inputs = syntheticInputs(model.inputs);
let rssAt100 = 0;
const started = performance.now();
for (let i = 1; i <= runs; i++) {
  // --consume reads each run's outputs in place, as the predict handler does.
  const consume = (outputs: { data: ArrayLike<number | bigint> }[]): number => outputs.length;
  if (values.async) await (values.consume ? model.runAsync(inputs, { consume }) : model.runAsync(inputs));
  else if (values.consume) model.run(inputs, { consume });
  else model.run(inputs);
  // Let the event loop turn, as a server's does between requests: V8 frees
  // dead ArrayBuffers' memory from tasks that a tight loop would starve.
  if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
  if (i === 100) {
    globalThis.gc?.();
    rssAt100 = rssMb();
  }
}
globalThis.gc?.();
const rssAtEnd = rssMb();
model.dispose();
console.log(`Machine: ${describeMachine()}`);
console.log(
  JSON.stringify({
    model: values.model,
    runs,
    mode: `${values.async ? 'runAsync' : 'run'}${values.consume ? ' + consume' : ''}`,
    seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    rssMbAt100: rssAt100,
    rssMbAtEnd: rssAtEnd,
    growthPercent: Number((((rssAtEnd - rssAt100) / rssAt100) * 100).toFixed(2)),
  }),
);
