#!/usr/bin/env node
// Runs the code blocks of README.md and docs/*.md that say they run here:
// a fenced block right after the comment <!-- check: run --> runs in bash
// from the repository root and must exit 0; <!-- check: run, server --> runs
// with `tfls serve` answering on http://localhost:3000 (started for it,
// stopped after); a ```ts block runs as an ES module from the root (the
// package imports itself by name: 'tflite-serverless'). Blocks that need an
// AWS account, or that show an answer, are left alone: they carry no marker.
//
//   npm run check:docs [-- FILE...]
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const files = process.argv.slice(2).length
  ? process.argv.slice(2)
  : [
      'README.md',
      ...readdirSync(join(root, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => join('docs', f)),
    ];

/** The marked blocks of a Markdown file: their language, code, options and line. */
const blocks = (file) => {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const found = [];
  for (let i = 0; i < lines.length; i++) {
    const marker = /^<!--\s*check:\s*run(?:,\s*(server))?\s*-->\s*$/.exec(lines[i]);
    if (!marker) continue;
    const fence = /^```(\w+)/.exec(lines[i + 1] ?? '');
    if (!fence) throw new Error(`${file}:${i + 1}: a check marker must be followed by a fenced code block`);
    const end = lines.findIndex((line, j) => j > i + 1 && line.startsWith('```'));
    found.push({
      file,
      line: i + 2,
      language: fence[1],
      code: lines.slice(i + 2, end).join('\n'),
      server: !!marker[1],
    });
  }
  return found;
};

const startServer = () =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/tfls.js', 'serve', '--port', '3000', '--host', '127.0.0.1'], {
      cwd: root,
      env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout.on('data', (chunk) => {
      if (/http:\/\//.test(String(chunk))) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`tfls serve exited with ${code}`)));
  });

const run = (block) => {
  if (block.language === 'ts') {
    const script = join(root, `.check-docs-${process.pid}.mts`);
    writeFileSync(script, block.code);
    try {
      return spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: root, encoding: 'utf8' });
    } finally {
      rmSync(script, { force: true });
    }
  }
  return spawnSync('bash', ['-euo', 'pipefail', '-c', block.code], { cwd: root, encoding: 'utf8' });
};

let failed = 0;
let ran = 0;
for (const block of files.flatMap(blocks)) {
  const server = block.server ? await startServer() : undefined;
  const started = Date.now();
  try {
    const result = run(block);
    ran++;
    const where = `${relative(root, join(root, block.file))}:${block.line}`;
    if (result.status === 0) console.log(`ok    ${where} (${Date.now() - started} ms)`);
    else {
      failed++;
      console.log(`FAIL  ${where}: exit ${result.status}\n${result.stdout}${result.stderr}`);
    }
  } finally {
    server?.kill();
  }
}
console.log(`${ran} docs code blocks run, ${failed} failed`);
process.exit(failed > 0 || ran === 0 ? 1 : 0);
