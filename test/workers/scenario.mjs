// node test/workers/scenario.mjs <workers> serve|terminate
// Starts N workers with the bundled predict handler, sends each face
// detection requests; with "terminate", ends every worker while runs are in
// flight, then checks the process still works. Prints one JSON line.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

const [count, mode] = [Number(process.argv[2]), process.argv[3]];
const root = join(import.meta.dirname, '..', '..');
process.env.MODEL_REPOSITORY = join(root, 'models');
process.env.TFLITE_NUM_THREADS = '1';
const photo = readFileSync(join(root, 'test/fixtures/images/astronaut.png')).toString('base64');
const event = {
  version: '2.0',
  routeKey: '$default',
  rawPath: '/v1/models/face-detection:predict',
  rawQueryString: '',
  headers: { 'content-type': 'image/png' },
  requestContext: { http: { method: 'POST', path: '/v1/models/face-detection:predict' }, requestId: 'w' },
  body: photo,
  isBase64Encoded: true,
};

const start = () =>
  new Promise((resolve, reject) => {
    const worker = new Worker(join(root, 'test/workers/runInWorker.mjs'), {
      workerData: { bundle: join(root, 'dist/functions/predict/index.mjs') },
    });
    worker.once('error', reject);
    worker.once('message', (message) => (message.ready ? resolve(worker) : reject(new Error('not ready'))));
  });

const ask = (worker, id) =>
  new Promise((resolve) => {
    const listener = (message) => {
      if (message.id !== id) return;
      worker.off('message', listener);
      resolve(message);
    };
    worker.on('message', listener);
    worker.postMessage({ id, event });
  });

const workers = await Promise.all(Array.from({ length: count }, start));
if (mode === 'serve') {
  const answers = await Promise.all(
    workers.flatMap((worker, w) => Array.from({ length: 10 }, (_, i) => ask(worker, w * 100 + i))),
  );
  const ok = answers.filter((a) => a.statusCode === 200);
  const faces = ok.map((a) => JSON.parse(a.body).predictions[0].detections.length);
  await Promise.all(workers.map((w) => w.terminate()));
  console.log(JSON.stringify({ ok: ok.length, faces }));
} else {
  // Many runs queued on each worker; once each has answered one (its model
  // is loaded and the rest are running back to back), every worker is ended.
  await Promise.all(
    workers.map(async (worker, w) => {
      const runs = Array.from({ length: 200 }, (_, i) => ask(worker, w * 1000 + i));
      await runs[0];
      await worker.terminate();
    }),
  );
  const again = await start();
  const answer = await ask(again, 9999);
  await again.terminate();
  console.log(JSON.stringify({ terminated: workers.length, aliveAfter: answer.statusCode === 200 }));
}
