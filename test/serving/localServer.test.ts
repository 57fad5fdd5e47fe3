import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadServerConfig } from '../../src/config/serverConfig.js';
import { createPredictService } from '../../src/http/createPredictService.js';
import { type LocalServer, startLocalServer } from '../../src/server/localServer.js';
import { addVersion } from '../helpers/repository.js';
import { call } from '../helpers/server.js';

let server: LocalServer;
let close: () => void;
beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  // The warnings a failing model logs are what this file reads.
  process.env.POWERTOOLS_LOG_LEVEL = 'WARN';
  const root = mkdtempSync(join(tmpdir(), 'tfls-local-'));
  addVersion(root, 'face', 1, 'models/face-detection/1/model.tflite', { task: 'face-detection' });
  addVersion(root, 'broken', 1, 'models/face-detection/1/model.tflite');
  writeFileSync(join(root, 'broken', '1', 'model.tflite'), 'TFL3 and nothing more');
  const service = createPredictService(loadServerConfig({ MODEL_REPOSITORY: root, TFLITE_NUM_THREADS: '1' }));
  server = await startLocalServer(service, 0, '127.0.0.1');
  close = () => {
    void server.close();
    service.repository.dispose();
  };
});
afterAll(() => close());

/** The raw answer to bytes written on a fresh connection. */
const rawExchange = (bytes: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const { port } = new URL(server.url);
    const socket = connect(Number(port), '127.0.0.1', () => socket.end(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
  });

const bodyOf = (answer: string): unknown => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));

describe('the local server as a Lambda runtime', () => {
  it("Node's own 431 and 400 answers carry a JSON error, and the server keeps serving", async () => {
    const tooLarge = await rawExchange(
      `GET /v2/health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(tooLarge).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(tooLarge).toMatch(/\r\ncontent-type: application\/json\r\n/);
    expect(bodyOf(tooLarge)).toEqual({ error: 'the request headers are over the server limit' });
    const garbage = await rawExchange('NOT AN HTTP REQUEST\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(bodyOf(garbage)).toEqual({ error: expect.stringMatching(/^malformed HTTP request \(HPE_/) });
    expect((await call(`${server.url}/v2/health/live`)).body).toEqual({ live: true });
  });

  it('concurrent requests each log under their own request id', async () => {
    const written: string[] = [];
    const capture = (chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    };
    const spies = [
      vi.spyOn(process.stdout, 'write').mockImplementation(capture),
      vi.spyOn(process.stderr, 'write').mockImplementation(capture),
    ];
    let statuses: number[];
    try {
      // All four wait on the same failing load, then each logs its 503 after the others have started.
      statuses = (
        await Promise.all(Array.from({ length: 4 }, () => call(`${server.url}/v2/models/broken`, { method: 'GET' })))
      ).map((answer) => answer.status);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(statuses).toEqual([503, 503, 503, 503]);
    const warnings = written
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.includes('"model unavailable"'))
      .map((line) => JSON.parse(line) as { function_request_id?: string });
    expect(warnings).toHaveLength(4);
    expect(new Set(warnings.map((w) => w.function_request_id)).size).toBe(4);
    expect((await call(`${server.url}/v1/models/face`, { method: 'GET' })).status).toBe(200);
  });
});
