// Load on the local server: face detection on a 640x480 JPEG at concurrency 1
// and 8; then hand landmarks (5 ms of inference a request) at concurrency 1
// to 64 with 1 and 2 interpreters per model (TFLITE_INTERPRETERS), and the
// server's RSS with each. The server runs in its own process (tfls serve);
// the load generator (autocannon) in this one. Prints p50/p99 latency,
// requests per second, the server's own split (decode, preprocess, infer,
// postprocess from its Server-Timing header), and what the server adds
// beyond those stages.
//   npm run bench:http [-- --seconds 10]
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import sharp from 'sharp';
import { percentile } from '../src/bench/stats.js';
import { mediapipe } from '../test/helpers/models.js';
import { addVersion } from '../test/helpers/repository.js';
import { startTflsServe } from '../test/helpers/tflsServe.js';
import { describeMachine } from './machine.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '10' }, threads: { type: 'string', default: '1' } },
});
const root = join(import.meta.dirname, '..');

const image = await sharp(readFileSync(join(root, 'test/fixtures/images/astronaut.png')))
  .resize(480, 480)
  .extend({ left: 80, right: 80, background: '#203040' })
  .jpeg({ quality: 90 })
  .toBuffer();

const repository = mkdtempSync(join(tmpdir(), 'tfls-bench-http-'));
addVersion(repository, 'face-detection', 1, join(root, 'models/face-detection/1/model.tflite'), {
  task: 'face-detection',
});
addVersion(repository, 'hands', 1, mediapipe.handLandmarkFull, { task: 'landmarks' });

const startServer = (interpreters = 1) =>
  startTflsServe({
    MODEL_REPOSITORY: repository,
    TFLITE_NUM_THREADS: values.threads,
    TFLITE_INTERPRETERS: String(interpreters),
    PRELOAD_MODELS: 'face-detection,hands',
  });

interface Sample {
  total: number;
  stages: Record<string, number>;
}

const rssMb = (pid: number): number =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN) / 1024;

const run = async (url: string, connections: number, model = 'face-detection') => {
  const samples: Sample[] = [];
  const result = await autocannon({
    url: `${url}/v1/models/${model}:predict`,
    method: 'POST',
    headers: { 'content-type': 'image/jpeg' },
    body: image,
    connections,
    duration: Number(values.seconds),
    setupClient(client) {
      let stages: Record<string, number> = {};
      // At run time the event carries the HTTP parser's {headers: [name, value, ...]}, not what @types says.
      client.on('headers', (received: unknown) => {
        const flat = (received as { headers: string[] }).headers;
        stages = {};
        for (let i = 0; i < flat.length; i += 2) {
          if (flat[i]!.toLowerCase() !== 'server-timing') continue;
          for (const [, name, duration] of flat[i + 1]!.matchAll(/(\w+);dur=([\d.]+)/g))
            stages[name!] = Number(duration);
        }
      });
      client.on('response', (_status: number, _bytes: number, responseTime: number) =>
        samples.push({ total: responseTime, stages }),
      );
    },
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${result.non2xx} non-2xx responses, ${result.errors} errors`);
  const p50 = (f: (s: Sample) => number) =>
    percentile(
      samples.map(f).sort((a, b) => a - b),
      50,
    );
  const work = (s: Sample) =>
    (s.stages.decode ?? 0) + (s.stages.preprocess ?? 0) + (s.stages.infer ?? 0) + (s.stages.postprocess ?? 0);
  return {
    connections,
    requests: samples.length,
    reqPerSec: result.requests.average,
    p50Ms: p50((s) => s.total),
    p99Ms: percentile(
      samples.map((s) => s.total).sort((a, b) => a - b),
      99,
    ),
    decodeMs: p50((s) => s.stages.decode ?? 0),
    preprocessMs: p50((s) => s.stages.preprocess ?? 0),
    inferMs: p50((s) => s.stages.infer ?? 0),
    postprocessMs: p50((s) => s.stages.postprocess ?? 0),
    // Everything that is not decode, preprocessing, inference or post-processing: HTTP, event, routing, JSON.
    overheadMs: p50((s) => s.total - work(s)),
    handlerOverheadMs: p50((s) => (s.stages.total ?? 0) - work(s)),
  };
};

const server = await startServer();
try {
  console.log(
    `Machine: ${describeMachine()}; server: tfls serve, ${values.threads} interpreter thread(s); ${values.seconds} s per run; 640x480 JPEG (${image.length} bytes)\n`,
  );
  console.log(
    '| connections | req/s | p50 ms | p99 ms | decode | preprocess | infer | postprocess | beyond those (client p50) | beyond those (in handler) |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const connections of [1, 8]) {
    const r = await run(server.url, connections);
    const f = (n: number) => n.toFixed(2);
    console.log(
      `| ${connections} | ${r.reqPerSec.toFixed(0)} | ${f(r.p50Ms)} | ${f(r.p99Ms)} | ${f(r.decodeMs)} | ${f(r.preprocessMs)} | ${f(r.inferMs)} | ${f(r.postprocessMs)} | ${f(r.overheadMs)} | ${f(r.handlerOverheadMs)} |`,
    );
  }
} finally {
  server.child.kill('SIGTERM');
}

console.log(
  `\nHand landmarks (MediaPipe hand_landmark_full) by interpreters per model, ${values.threads} thread(s) each:\n`,
);
console.log('| interpreters | connections | req/s | p50 ms | p99 ms | infer p50 | server RSS MB |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
const rssByPool: number[] = [];
for (const interpreters of [1, 2]) {
  const pooled = await startServer(interpreters);
  try {
    for (const connections of [1, 2, 8, 16, 64]) {
      const r = await run(pooled.url, connections, 'hands');
      const rss = rssMb(pooled.child.pid!);
      console.log(
        `| ${interpreters} | ${connections} | ${r.reqPerSec.toFixed(0)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${r.inferMs.toFixed(2)} | ${rss.toFixed(0)} |`,
      );
    }
    rssByPool.push(rssMb(pooled.child.pid!));
  } finally {
    pooled.child.kill('SIGTERM');
  }
}
console.log(
  `\nRSS per extra interpreter (both models loaded, after load): ${(rssByPool[1]! - rssByPool[0]!).toFixed(0)} MB`,
);
