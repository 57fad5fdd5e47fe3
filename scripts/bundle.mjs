#!/usr/bin/env node
// Bundles each Lambda handler in functions/<name>/index.ts into
// dist/functions/<name>/: index.mjs (ESM, Node 20+, minified, sourcemap) and
// chunks/ for what it imports only when needed (sharp, which the predict
// function loads during init beside the preload; the AWS SDK's S3 client for
// an s3:// repository; multipart parsing). This directory is
// what the CDK app deploys (infra/functions.ts) and what bench:coldstart and
// test:arm64 load: one build for all three.
//
// External, because they come from the Lambda layer through NODE_PATH: the
// native addon (tflite-serverless-native), sharp's prebuilt binaries
// (@img/sharp-<platform>, with libvips), and LiteRT.js (whose .wasm files
// must sit next to its code). sharp's JavaScript (its ES module build) is
// bundled: loaded from the layer it was ~60 files resolved through NODE_PATH,
// read and compiled one by one, about 30 ms of every cold start. It finds its
// binary with a require of its own (createRequire), which Node resolves
// through NODE_PATH at run time; the layer holds the same sharp version (both
// come from package-lock.json), which that binary requires.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const EXTERNAL = [
  'tflite-serverless-native',
  'tflite-serverless-native/*',
  '@img/sharp-*',
  '@litertjs/core',
  '@litertjs/core/*',
];

const names = readdirSync(join(root, 'functions'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

for (const name of names) {
  const outdir = join(root, 'dist', 'functions', name);
  // index.ts is the handler; any other .ts beside it is an entry of its own (ingest's check.ts,
  // the process an upload's checks run in).
  const entries = readdirSync(join(root, 'functions', name)).filter((file) => file.endsWith('.ts'));
  const { outputFiles } = await build({
    entryPoints: Object.fromEntries(entries.map((file) => [file.slice(0, -3), join(root, 'functions', name, file)])),
    outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    splitting: true,
    write: false,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: true,
    sourcesContent: false,
    // Minified: a cold start compiles and evaluates every byte of it.
    minify: true,
    legalComments: 'none',
    external: EXTERNAL,
    // CommonJS dependencies inside an ES module need a require (each chunk is its own module).
    banner: {
      js: "import { createRequire as __tflsCreateRequire } from 'node:module'; const require = __tflsCreateRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  // Each file beside, then renamed over: a running process never reads half a bundle.
  const written = new Set();
  for (const file of outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(`${file.path}.${process.pid}.tmp`, file.contents);
    renameSync(`${file.path}.${process.pid}.tmp`, file.path);
    written.add(file.path);
  }
  // Chunks of an earlier build (their names carry a content hash) would ship with the next deploy.
  const chunks = join(outdir, 'chunks');
  for (const file of existsSync(chunks) ? readdirSync(chunks) : [])
    if (!written.has(join(chunks, file))) rmSync(join(chunks, file));
  const files = outputFiles.filter((file) => file.path.endsWith('.mjs'));
  console.log(
    `bundled ${relative(root, outdir)}/ (${entries.map((file) => `${file.slice(0, -3)}.mjs`).join(', ')} and ${files.length - entries.length} chunks)`,
  );
}
