#!/usr/bin/env node
// Bundles each Lambda handler in functions/<name>/index.ts into
// dist/functions/<name>/index.mjs (ESM, Node 20+, sourcemap).
//
// External, because they come from the Lambda layer through NODE_PATH:
// the native addon (tflite-serverless-native), sharp and its libvips, and
// LiteRT.js (whose .wasm files must sit next to its code).
import { mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const EXTERNAL = [
  'tflite-serverless-native',
  'tflite-serverless-native/*',
  'sharp',
  '@img/*',
  '@litertjs/core',
  '@litertjs/core/*',
];

const names = readdirSync(join(root, 'functions'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

for (const name of names) {
  const { outputFiles } = await build({
    entryPoints: [join(root, 'functions', name, 'index.ts')],
    outfile: join(root, 'dist', 'functions', name, 'index.mjs'),
    write: false,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: true,
    // Minified: a cold start compiles and evaluates every byte of it.
    minify: true,
    legalComments: 'none',
    external: EXTERNAL,
    // CommonJS dependencies inside an ES module need a require.
    banner: {
      js: "import { createRequire as __tflsCreateRequire } from 'node:module'; const require = __tflsCreateRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  // Each file beside, then renamed over: a running process never reads half a bundle.
  for (const file of outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(`${file.path}.${process.pid}.tmp`, file.contents);
    renameSync(`${file.path}.${process.pid}.tmp`, file.path);
  }
  console.log(`bundled dist/functions/${name}/index.mjs`);
}
