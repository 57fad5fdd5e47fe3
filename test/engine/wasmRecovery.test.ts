import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getLiteRt } from '../../src/engine/wasm/litertRuntime.js';
import { mediapipe } from '../helpers/models.js';
import { addVersion } from '../helpers/repository.js';
import { call, startServer, type TestServer } from '../helpers/server.js';

/**
 * LiteRT.js never resets its runtime after a fault: a trap (or an error
 * thrown from inside it) leaves its memory inconsistent, and every later load
 * and run in the process inherits the damage. Validation refuses every model
 * known to fault it (the SSD's runtime-shaped outputs, the probe's cases), so
 * the fault here is injected where a model would cause it: inside the
 * runtime, in the middle of a run, as a WebAssembly trap.
 */
let server: TestServer;
let root: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tfls-wasm-fault-'));
  addVersion(root, 'faces', 1, 'models/face-detection/1/model.tflite', { task: 'face-detection' });
  addVersion(root, 'hands', 1, mediapipe.handLandmarkFull, { task: 'landmarks' });
  server = await startServer({ MODEL_REPOSITORY: root, TFLITE_ENGINE: 'wasm', PRELOAD_MODELS: 'faces,hands' });
});
afterAll(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

const predict = (model: string) =>
  call(`${server.url}/v1/models/${model}:predict`, {
    method: 'POST',
    headers: { 'content-type': 'image/png' },
    body: new Uint8Array(readFileSync('test/fixtures/images/astronaut.png')),
  });

// WebAssembly's trap class (the lib settings here leave its types out).
const { RuntimeError } = (globalThis as unknown as { WebAssembly: { RuntimeError: ErrorConstructor } }).WebAssembly;

/** The next tensor buffer LiteRT.js creates traps, as an out-of-bounds access inside the runtime would. */
const trapOnce = async (): Promise<void> => {
  const wasm = (await getLiteRt()).litert.liteRtWasm as unknown as {
    LiteRtTensorBuffer: { createManaged: (...args: unknown[]) => unknown };
  };
  const buffers = wasm.LiteRtTensorBuffer;
  const create = buffers.createManaged;
  buffers.createManaged = () => {
    buffers.createManaged = create;
    throw new RuntimeError('memory access out of bounds');
  };
};

describe('the WASM engine after a fault', () => {
  it('refuses the model that faulted, discards the runtime, and every other model keeps answering', async () => {
    expect((await predict('faces')).status).toBe(200);
    const before = await getLiteRt();
    await trapOnce();

    const faulted = await predict('faces');
    expect(faulted.status).toBe(500);
    expect(faulted.body.error).toMatch(
      /internal error|LiteRT\.js failed to run the model: memory access out of bounds/,
    );
    // From then on that model is refused, with the reason, until a new version replaces it.
    const refused = await predict('faces');
    expect(refused.status).toBe(503);
    expect(refused.body.error).toMatch(/faulted the WASM runtime and is refused: memory access out of bounds/);

    // The other model was on the faulted runtime: it reloads into a fresh one and answers.
    const hands = await predict('hands');
    expect(hands.body.error ?? hands.status).toBe(200);
    expect(hands.body.predictions[0].landmarks).toHaveLength(21);
    const after = await getLiteRt();
    expect(after.generation).toBeGreaterThan(before.generation);
    expect(after.litert).not.toBe(before.litert);

    expect((await call(`${server.url}/v2/health/live`)).status).toBe(200);
    const index = await call(`${server.url}/v2/repository/index`, { method: 'POST' });
    expect(index.status).toBe(200);
  });
});
