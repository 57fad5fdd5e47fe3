import { type ChildProcess, execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTflsServe } from '../helpers/tflsServe.js';

const run = promisify(execFile);
const PHOTO = readFileSync('test/fixtures/images/astronaut.png');

let server: ChildProcess;
let url: string;

beforeAll(async () => {
  // What `npm start` runs, in its own process.
  ({ url, child: server } = await startTflsServe({ TFLITE_NUM_THREADS: '1' }));
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
