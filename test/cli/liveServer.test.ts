import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const PHOTO = readFileSync('test/fixtures/images/astronaut.png');

let server: ChildProcess;
let url: string;

beforeAll(async () => {
  // What `npm start` runs, in its own process.
  server = spawn(process.execPath, ['bin/tfls.js', 'serve', '--port', '0', '--host', '127.0.0.1'], {
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR', TFLITE_NUM_THREADS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  url = await new Promise<string>((resolve, reject) => {
    server.stdout!.on('data', (chunk: Buffer) => {
      const match = /(http:\/\/[^\s]+)/.exec(chunk.toString());
      if (match) resolve(match[1]!);
    });
    server.once('exit', (code) => reject(new Error(`tfls serve exited with ${code}`)));
  });
}, 60_000);
afterAll(() => {
  server.kill();
});

const predict = async (): Promise<number> =>
  (
    await fetch(`${url}/v1/models/face-detection:predict`, {
      method: 'POST',
      body: PHOTO,
      headers: { 'content-type': 'image/png' },
    })
  ).status;

describe('the README commands while npm start serves', () => {
  it('running the CLI and rebuilding the native addon leave the server answering', async () => {
    expect(await predict()).toBe(200);
    const cli = await run('npm', ['run', '--silent', 'tfls', '--', 'inspect', 'models/face-detection/1/model.tflite']);
    expect(cli.stdout).toMatch(/inputs\s+input\s+float32\[1,128,128,3\]/);
    // Quiet by default: TFLite's load-time INFO line is not printed.
    expect(cli.stderr).not.toMatch(/INFO: Created TensorFlow Lite XNNPACK delegate/);
    expect(await predict()).toBe(200);
    // What npm install (and so an npx that reinstalls the checkout) runs: it replaces the libraries the server mapped.
    await run(process.execPath, ['layers/native/build.mjs']);
    expect(await predict()).toBe(200);
    expect(server.exitCode).toBeNull();
  }, 120_000);
});
