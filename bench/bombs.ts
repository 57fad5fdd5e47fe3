// Hostile inputs against the local server (tfls serve, its own process): image
// bombs and a model that declares gigabytes of tensors. For each: the status,
// the time to answer, and the server's RSS before, at its peak (VmHWM, reset
// through /proc/<pid>/clear_refs before each request) and 2 s after.
// Targets: each answered in under 2 s with a 4xx (503 for the model, which is
// the operator's), RSS back within 10% of where it started; the PNG text-chunk
// bombs (PNGs of many zTXt/iTXt chunks of deflated text, which a reader that
// inflates metadata turns into gigabytes) under 2 s with a peak under 300 MB
// over the RSS before. A case with `concurrent` sends that many at once.
//   npm run bench:bombs
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BuiltinOperator } from '../src/tflite/generated/schema_generated.js';
import { flatPng, pngHeaderBomb, pngTextBomb } from '../test/helpers/bombs.js';
import { mediapipe } from '../test/helpers/models.js';
import { addVersion } from '../test/helpers/repository.js';
import { startTflsServe } from '../test/helpers/tflsServe.js';
import { floatBytes, singleOpModel } from '../test/helpers/tinyModels.js';
import { describeMachine } from './machine.js';

const root = join(import.meta.dirname, '..');
const repository = mkdtempSync(join(tmpdir(), 'tfls-bombs-'));
addVersion(repository, 'face-detection', 1, join(root, 'models/face-detection/1/model.tflite'), {
  task: 'face-detection',
});
addVersion(repository, 'hands-crop', 1, mediapipe.handLandmarkFull, { task: 'landmarks', input: { resize: 'crop' } });
addVersion(
  repository,
  'giant',
  1,
  singleOpModel(BuiltinOperator.ADD, [
    { name: 'a', shape: [1, 16384, 16384, 1] },
    { name: 'b', shape: [1], data: floatBytes([1]) },
    { name: 'y', shape: [1, 16384, 16384, 1] },
  ]),
);

const startServer = () =>
  startTflsServe({
    MODEL_REPOSITORY: repository,
    TFLITE_NUM_THREADS: '1',
    PRELOAD_MODELS: 'face-detection,hands-crop',
  });

const statusKb = (pid: number, field: 'VmRSS' | 'VmHWM'): number =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN);

const cases: { name: string; path: string; type: string; body: () => Promise<Buffer>; concurrent?: number }[] = [
  {
    name: 'crop strip 40x1,000,000 PNG',
    path: '/v1/models/hands-crop:predict',
    type: 'image/png',
    body: () => flatPng(40, 1_000_000),
  },
  {
    name: 'letterbox strip 3x13,000,000 PNG',
    path: '/v1/models/face-detection:predict',
    type: 'image/png',
    body: () => flatPng(3, 13_000_000),
  },
  {
    name: 'header bomb 20,000x20,000 PNG',
    path: '/v1/models/face-detection:predict',
    type: 'image/png',
    body: async () => pngHeaderBomb(20_000, 20_000),
  },
  {
    name: 'crop 1,100x35,200 PNG (32:1, 38.7 MP)',
    path: '/v1/models/hands-crop:predict',
    type: 'image/png',
    body: () => flatPng(1100, 35_200),
  },
  {
    name: 'flat 6,324x6,324 PNG (40 MP)',
    path: '/v1/models/face-detection:predict',
    type: 'image/png',
    body: () => flatPng(6324, 6324),
  },
  {
    name: 'PNG text bomb 385 KB (zTXt)',
    path: '/v1/models/face-detection:predict',
    type: 'image/png',
    body: () => pngTextBomb(385_000, 'zTXt'),
  },
  {
    name: 'PNG text bomb 1.5 MB (iTXt)',
    path: '/v1/models/face-detection:predict',
    type: 'image/png',
    body: () => pngTextBomb(1_500_000, 'iTXt'),
  },
  {
    name: 'PNG text bomb 193 KB x 4 at once',
    path: '/v1/models/face-detection:predict',
    type: 'image/png',
    body: () => pngTextBomb(193_000, 'zTXt'),
    concurrent: 4,
  },
  {
    name: 'model declaring 2 GiB of tensors',
    path: '/v2/models/giant/infer',
    type: 'application/json',
    body: async () => Buffer.from(JSON.stringify({ inputs: [] })),
  },
];

console.log(describeMachine());
const { url, child } = await startServer();
const pid = child.pid!;
const rows: string[] = [];
try {
  for (const bomb of cases) {
    const body = await bomb.body();
    await sleep(500);
    const before = statusKb(pid, 'VmRSS');
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: bomb.concurrent ?? 1 }, async () => {
        const response = await fetch(`${url}${bomb.path}`, {
          method: 'POST',
          body,
          headers: { 'content-type': bomb.type },
        });
        return { status: response.status, answer: (await response.json()) as { error?: string } };
      }),
    );
    const ms = performance.now() - started;
    const { answer } = answers[0]!;
    const status = [...new Set(answers.map((a) => a.status))].join('/');
    const peak = statusKb(pid, 'VmHWM');
    await sleep(2000);
    const after = statusKb(pid, 'VmRSS');
    const mb = (kb: number) => (kb / 1024).toFixed(0).padStart(6);
    rows.push(
      `${bomb.name.padEnd(38)} ${String(body.length).padStart(9)} B  ${status.padEnd(4)} ${ms.toFixed(0).padStart(6)} ms  RSS MB ${mb(before)} ${mb(peak)} ${mb(after)}  (${(((after - before) / before) * 100).toFixed(1)}%)  ${(answer.error ?? 'ok').slice(0, 70)}`,
    );
    console.log(rows.at(-1));
  }
} finally {
  child.kill();
}
console.log(`\n${'case'.padEnd(38)} ${'body'.padStart(11)}  code     time  RSS before/peak/after`);
for (const row of rows) console.log(row);
