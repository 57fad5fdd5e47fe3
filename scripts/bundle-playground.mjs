#!/usr/bin/env node
// Builds the playground page (src/playground) into dist/playground: the
// TypeScript bundled for browsers, the HTML and CSS beside it. Only the
// local server (tfls serve) serves it; no Lambda bundle includes it.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'playground');
const out = join(root, 'dist', 'playground');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(source, 'main.ts')],
  outfile: join(out, 'playground.js'),
  bundle: true,
  platform: 'browser',
  target: 'es2022',
  format: 'esm',
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
});
for (const file of ['index.html', 'playground.css']) copyFileSync(join(source, file), join(out, file));
console.log('bundled dist/playground/');
