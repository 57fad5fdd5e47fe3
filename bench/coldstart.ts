// Cold start of the bundled predict handler, loaded as Lambda loads it: the
// bundle directory the CDK app deploys (dist/functions/predict: index.mjs
// and its chunks) alone in a task root, the layer's modules through
// NODE_PATH (the x86_64 layer, built here if missing), LAMBDA_TASK_ROOT and
// the functions' own environment (infra/functionEnvironment.ts, source maps
// on). N fresh processes each: `node -e 0`; the bundle without preload
// (import only); with PRELOAD_MODELS=face-detection (ready: what provisioned
// concurrency pays); and the first request after ready to face detection,
// once with a 512x512 PNG and once with a 640x427 JPEG (separate processes,
// so each is a first request), beside the same request once warm; and ready
// with the model in an S3 repository, as deployed (s3rver on loopback, a
// fresh download cache per process), which loads the SDK's chunk.
// Prints medians, the ratio of ready to `node -e 0` in the same run, and the
// bundle's size: what is imported statically (index.mjs and its static
// chunks) and all of it.
//   npm run bench:coldstart [-- --runs 9] [--node /path/to/node] [--bundle DIR]
// --node: the fresh processes' Node (Lambda runs 22); --bundle: another build's dist/functions/predict, to compare.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { FUNCTION_ENVIRONMENT } from '../infra/functionEnvironment.js';
import { startS3 } from '../test/helpers/s3.js';
import { describeMachine } from './machine.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '9' }, node: { type: 'string' }, bundle: { type: 'string' } },
});
const runs = Number(values.runs);
const node = values.node ?? process.execPath;
const nodeVersion = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
const root = join(import.meta.dirname, '..');
const bundle = join(values.bundle ?? join(root, 'dist/functions/predict'), 'index.mjs');
const layer = join(root, 'dist/layer/x86_64');
if (!existsSync(bundle)) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
if (!existsSync(join(layer, 'nodejs/node_modules/tflite-serverless-native')))
  execFileSync(process.execPath, [join(root, 'scripts/layer/build-layer.mjs'), '--arch', 'x86_64'], {
    cwd: root,
    stdio: 'inherit',
  });
const taskRoot = mkdtempSync(join(tmpdir(), 'tfls-task-'));
cpSync(dirname(bundle), taskRoot, { recursive: true });

const PHOTOS = {
  png: { file: 'astronaut.png', type: 'image/png', label: '512x512 PNG' },
  jpeg: { file: 'rocket.jpg', type: 'image/jpeg', label: '640x427 JPEG' },
} as const;
type Photo = keyof typeof PHOTOS;

// Runs in the fresh process: times since the process started (performance.timeOrigin).
const child = join(taskRoot, 'cold.mjs');
writeFileSync(
  child,
  `
const imported = await import(${JSON.stringify(join(taskRoot, 'index.mjs'))});
const ready = performance.now();
const [file, type] = process.argv.slice(2);
if (!file) {
  console.log(JSON.stringify({ ready }));
  process.exit(0);
}
const { readFileSync } = await import('node:fs');
const photo = readFileSync(file).toString('base64');
const event = {
  version: '2.0', routeKey: '$default', rawPath: '/v1/models/face-detection:predict', rawQueryString: '',
  headers: { 'content-type': type },
  requestContext: { http: { method: 'POST', path: '/v1/models/face-detection:predict' }, requestId: 'cold' },
  body: photo, isBase64Encoded: true,
};
const context = { awsRequestId: 'cold', functionName: 'predict', getRemainingTimeInMillis: () => 29000 };
const answer = await imported.handler(event, context);
const first = performance.now() - ready;
if (answer.statusCode !== 200) throw new Error('first request: ' + answer.statusCode + ' ' + answer.body);
let warm = Infinity;
for (let i = 0; i < 3; i++) {
  const started = performance.now();
  await imported.handler(event, context);
  warm = Math.min(warm, performance.now() - started);
}
console.log(JSON.stringify({ ready, first, warm }));
`,
);

// The S3 repository: face-detection's version directory uploaded as the deployed bucket holds it.
const BUCKET = 'bench-coldstart';
const s3 = await startS3([BUCKET]);
const version = join(root, 'models/face-detection/1');
for (const name of readdirSync(version))
  await s3.put(BUCKET, `models/face-detection/1/${name}`, readFileSync(join(version, name)));

// The function's environment, minus the exec wrapper: the runtime's bootstrap runs it, node here is started directly.
const { AWS_LAMBDA_EXEC_WRAPPER: _wrapper, ...functionEnvironment } = FUNCTION_ENVIRONMENT;
const lambdaEnv = (preload: boolean, repository = join(root, 'models')): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  ...functionEnvironment,
  NODE_PATH: join(layer, 'nodejs/node_modules'),
  LAMBDA_TASK_ROOT: taskRoot,
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1769',
  AWS_LAMBDA_FUNCTION_NAME: 'tflite-serverless-predict',
  AWS_REGION: 'us-east-1',
  MODEL_REPOSITORY: repository,
  POWERTOOLS_LOG_LEVEL: 'ERROR',
  POWERTOOLS_METRICS_DISABLED: 'true',
  ...(preload && { PRELOAD_MODELS: 'face-detection' }),
});

/** Wall time from spawn to exit (ms), and what the process printed. */
const timed = (args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; out: string }> =>
  new Promise((resolve, reject) => {
    const started = performance.now();
    const process_ = spawn(node, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    process_.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    process_.once('exit', (code) =>
      code === 0 ? resolve({ ms: performance.now() - started, out }) : reject(new Error(`exit ${code}`)),
    );
  });

const median = (samples: number[]): number => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/** The S3 repository's environment: s3rver's endpoint and credentials, and a download cache of its own. */
const s3Env = (cacheDir: string): NodeJS.ProcessEnv => ({
  ...lambdaEnv(true, `s3://${BUCKET}/models`),
  AWS_ENDPOINT_URL_S3: s3.endpoint,
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  MODEL_CACHE_DIR: cacheDir,
});

const empty: number[] = [];
const importOnly: number[] = [];
const ready: number[] = [];
const readyFromS3: number[] = [];
const first: Record<Photo, number[]> = { png: [], jpeg: [] };
const warm: Record<Photo, number[]> = { png: [], jpeg: [] };
for (let i = 0; i < runs; i++) {
  empty.push((await timed(['-e', '0'], { PATH: process.env.PATH })).ms);
  // ready counts from process start inside the child; node -e 0 from spawn to exit outside: node's own exit is
  // a few ms, so the ratio slightly flatters node -e 0, never the handler.
  importOnly.push(JSON.parse((await timed([child], lambdaEnv(false))).out).ready);
  for (const photo of Object.keys(PHOTOS) as Photo[]) {
    const { file, type } = PHOTOS[photo];
    const preloaded = JSON.parse(
      (await timed([child, join(root, 'test/fixtures/images', file), type], lambdaEnv(true))).out,
    );
    ready.push(preloaded.ready);
    first[photo].push(preloaded.first);
    warm[photo].push(preloaded.warm);
  }
  const cacheDir = mkdtempSync(join(tmpdir(), 'tfls-coldstart-cache-'));
  readyFromS3.push(JSON.parse((await timed([child], s3Env(cacheDir))).out).ready);
  rmSync(cacheDir, { recursive: true, force: true });
}
await s3.close();

// What init reads: index.mjs and the chunks it imports statically (the rest load on demand).
const staticChunks = (file: string, seen = new Set<string>()): Set<string> => {
  seen.add(file);
  for (const [, chunk] of readFileSync(file, 'utf8').matchAll(/from\s*"(\.\/[^"]+\.mjs)"/g)) {
    const path = join(dirname(file), chunk!);
    if (!seen.has(path)) staticChunks(path, seen);
  }
  return seen;
};
const kb = (bytes: number): string => `${Math.round(bytes / 1024).toLocaleString('en-US')} KB`;
const sizeOf = (files: Iterable<string>): number => [...files].reduce((sum, file) => sum + statSync(file).size, 0);
const chunkDirectory = join(dirname(bundle), 'chunks');
const everyChunk = (existsSync(chunkDirectory) ? readdirSync(chunkDirectory) : [])
  .filter((name) => name.endsWith('.mjs'))
  .map((name) => join(chunkDirectory, name));

const f = (ms: number) => `${ms.toFixed(1)} ms`;
console.log(`${describeMachine()}; ${runs} fresh processes each of Node ${nodeVersion}; medians`);
console.log(
  `bundle: ${dirname(bundle)} ${kb(sizeOf(staticChunks(bundle)))} imported statically (index.mjs and its static chunks), ${kb(sizeOf([bundle, ...everyChunk]))} with the chunks imported when needed (sharp's during init, the S3 client's for an s3:// repository, busboy's for multipart)`,
);
console.log(`node -e 0 (spawn to exit):            ${f(median(empty))}`);
console.log(`import, no preload (start to ready):  ${f(median(importOnly))}`);
console.log(
  `ready with face-detection preloaded:  ${f(median(ready))}  (${(median(ready) / median(empty)).toFixed(2)}x node -e 0)`,
);
console.log(`  of which the model load and warm-up: ${f(median(ready) - median(importOnly))}`);
console.log(
  `ready, face-detection from S3 (s3rver): ${f(median(readyFromS3))}  (${(median(readyFromS3) / median(empty)).toFixed(2)}x node -e 0)`,
);
for (const photo of Object.keys(PHOTOS) as Photo[]) {
  console.log(
    `first request after ready, ${PHOTOS[photo].label}: ${f(median(first[photo]))}  (the same request warm: ${f(median(warm[photo]))})`,
  );
}
