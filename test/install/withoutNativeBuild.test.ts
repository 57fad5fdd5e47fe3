import { execFile, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { call } from '../helpers/server.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'tfls-install-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A preload that makes this process report another platform, as it would on a Mac. */
const asDarwin = join(scratch, 'darwin.mjs');
writeFileSync(asDarwin, "Object.defineProperty(process, 'platform', { value: 'darwin' });\n");

const build = (...args: string[]) =>
  run(process.execPath, ['--import', asDarwin, join(root, 'layers/native/build.mjs'), ...args]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );

describe('npm install on a platform without the native build', () => {
  it('the install step exits 0 and says in one line what is missing and what serves instead', async () => {
    const out = join(scratch, 'native');
    const { code, stdout, stderr } = await build('--optional', '--out', out);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(stdout).toMatch(
      /^tflite native addon: not built \(unsupported target darwin\/x64\); the WASM engine serves instead\. The native engine is built for Linux/,
    );
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });

  it('asked to build outright, it fails with one line', async () => {
    const { code, stdout, stderr } = await build('--out', join(scratch, 'native'));
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('the package installed that way serves the bundled model on the WASM engine, saying why', async () => {
    // The package as such an install leaves it: built JavaScript, no dist/native.
    const pkg = join(scratch, 'package');
    for (const part of ['bin', 'models', 'package.json', 'dist/src', 'dist/playground', 'assets'])
      cpSync(join(root, part), join(pkg, part), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'));
    const child = spawn(process.execPath, ['bin/tfls.js', 'serve', '--port', '0', '--host', '127.0.0.1'], {
      cwd: pkg,
      env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR', TFLITE_NATIVE_ADDON: '' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const url = await new Promise<string>((done, fail) => {
        child.stdout!.on('data', (chunk: Buffer) => {
          const match = /(http:\/\/[^\s]+)/.exec(chunk.toString());
          if (match) done(match[1]!);
        });
        child.once('exit', (code) => fail(new Error(`tfls serve exited with ${code}`)));
      });
      const answer = await call(`${url}/v1/models/face-detection:predict`, {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        body: new Uint8Array(readFileSync(join(root, 'test/fixtures/images/astronaut.png'))),
      });
      expect(answer.body.error ?? answer.status).toBe(200);
      expect(answer.body.predictions[0].detections.length).toBeGreaterThan(0);
      const { parameters } = (await call(`${url}/v2/models/face-detection`)).body;
      expect(parameters.engine).toBe('wasm');
      expect(parameters.engineReason).toMatch(
        /^wasm: the native runtime cannot load it \(the native TFLite addon could not be loaded .*Possible solutions: /,
      );
    } finally {
      child.kill();
    }
  });
});
