// Backfill throughput: the batch function answering S3 Batch Operations
// invocations one task each (as Batch Operations sends them), against a
// local S3 server, face-detection and hand landmarks on the fixture photos.
// Prints the time per task and, from it, objects per second per function
// concurrency, beside the account limits that bind first.
//   npm run bench:batch [-- --tasks N]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { percentile, round } from '../src/bench/stats.js';
import type { BatchOperationsResponse } from '../src/pipeline/batch/batchOperations.js';
import { localContext } from '../src/server/toApiGatewayEvent.js';
import { BATCH_PHOTOS, startBatchBucket } from '../test/helpers/batchBucket.js';
import { batchOperationsEvent } from '../test/helpers/s3Events.js';
import { describeMachine } from './machine.js';

const { values } = parseArgs({ options: { tasks: { type: 'string', default: '100' } } });
const tasks = Number(values.tasks);
const BUCKET = 'bench-backfill';
const bucket = await startBatchBucket(BUCKET);
const { s3, handler } = bucket;
// Hands as a landmark model here: the answer a backfill of photos would want.
await s3.put(BUCKET, 'models/hands/1/model.json', JSON.stringify({ task: 'landmarks' }));
const keys: string[] = [];
for (let i = 0; i < tasks; i++) {
  const photo = BATCH_PHOTOS[i % BATCH_PHOTOS.length]!;
  const key = `inputs/archive/${String(i).padStart(5, '0')}${photo.slice(-4)}`;
  await s3.put(BUCKET, key, readFileSync(photo));
  keys.push(key);
}

console.log(`machine: ${describeMachine()}`);
console.log(`${tasks} tasks per model, one per invocation, 1 interpreter thread, local S3 (s3rver)\n`);
const rows: { model: string; p50: number; p90: number }[] = [];
for (const model of ['face-detection', 'hands']) {
  // The first task loads the model (an environment's cold start); it is not a task's time.
  await handler(
    batchOperationsEvent(BUCKET, [{ key: keys[0]! }], { userArguments: { model } }) as never,
    localContext('bench'),
  );
  const times: number[] = [];
  for (const key of keys) {
    const start = performance.now();
    const response = (await handler(
      batchOperationsEvent(BUCKET, [{ key }], { userArguments: { model } }) as never,
      localContext('bench'),
    )) as BatchOperationsResponse;
    times.push(performance.now() - start);
    if (response.results[0]?.resultCode !== 'Succeeded') throw new Error(`${key}: ${JSON.stringify(response.results)}`);
  }
  times.sort((a, b) => a - b);
  rows.push({ model, p50: round(percentile(times, 50), 1), p90: round(percentile(times, 90), 1) });
}
await s3.close();

console.log('model           per task p50  p90     objects/s at concurrency 1 / 10 / 100 / 1,000   S3 PUT binds at');
for (const { model, p50, p90 } of rows) {
  const perEnvironment = 1000 / p50;
  const rates = [1, 10, 100, 1000].map((c) => Math.round(perEnvironment * c).toLocaleString('en-US'));
  console.log(
    `${model.padEnd(16)}${`${p50} ms`.padStart(12)}${`${p90} ms`.padStart(9)}     ${rates.join(' / ').padEnd(36)}${Math.floor(3500 / perEnvironment)} environments`,
  );
}
console.log(`
What binds first (default quotas): Lambda concurrency 1,000 per Region (shared with
the predict function); S3 3,500 PUT and 5,500 GET per second per partitioned prefix
(each task is one GET of its input and one PUT of its answer, plus a HEAD for an
earlier error file); S3 Batch Operations sets its own invoke rate, and the batch
function's reserved concurrency is the way to cap it.`);
