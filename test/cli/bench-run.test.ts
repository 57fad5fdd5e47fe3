import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/main.js';
import { runCli } from '../helpers/cli.js';
import { mediapipe } from '../helpers/models.js';
import { fullyConnectedModel } from '../helpers/tinyModels.js';

const dir = mkdtempSync(join(tmpdir(), 'tfls-cli-'));
const fcPath = join(dir, 'fc.tflite');
writeFileSync(
  fcPath,
  fullyConnectedModel(
    [
      [1, 2],
      [3, 4],
    ],
    [0.5, -0.5],
  ),
);
const notAModel = join(dir, 'notes.txt');
writeFileSync(notAModel, 'these are notes, not a model');

describe('tfls bench', () => {
  it('--json prints exactly the contract fields', async () => {
    const { code, stdout, stderr } = await runCli(
      'bench',
      mediapipe.faceDetection,
      '--json',
      '--runs',
      '5',
      '--warmup',
      '1',
      '--threads',
      '1',
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(Object.keys(result).sort()).toEqual(
      [
        'engine',
        'delegate',
        'threads',
        'runs',
        'initMs',
        'firstRunMs',
        'p50Ms',
        'p90Ms',
        'p99Ms',
        'minMs',
        'rssMb',
        'delegatedNodes',
        'totalNodes',
        'engineReason',
      ].sort(),
    );
    expect(result).toMatchObject({ engine: 'native', delegate: 'xnnpack', threads: 1, runs: 5 });
    expect(result.delegatedNodes).toBe(162);
    expect(result.totalNodes).toBe(164);
    expect(result.engineReason).toBe('native: XNNPACK runs 162 of 164 nodes natively');
    expect(result.minMs).toBeLessThanOrEqual(result.p50Ms);
    expect(result.p50Ms).toBeLessThanOrEqual(result.p90Ms);
    expect(result.p90Ms).toBeLessThanOrEqual(result.p99Ms);
    expect(result.rssMb).toBeGreaterThan(0);
  });

  it('--engine all times each engine in fresh processes and sets auto against its own choice', async () => {
    const { code, stdout } = await runCli(
      'bench',
      mediapipe.faceDetection,
      '--engine',
      'all',
      '--rounds',
      '1',
      '--runs',
      '2',
      '--warmup',
      '0',
      '--json',
    );
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.rounds).toBe(1);
    expect(result.engines.map((e: { engine: string; served: string }) => [e.engine, e.served])).toEqual([
      ['auto', 'native'],
      ['native', 'native'],
      ['wasm', 'wasm'],
      ['ort', 'ort'],
    ]);
    expect(result.engines[0].engineReason).toMatch(/^native: XNNPACK runs \d+ of \d+ nodes natively$/);
    for (const engine of result.engines) expect(engine.initMs).toBeGreaterThan(0);
    expect(result.autoInitRatio).toBeGreaterThan(0);
    const usage = await runCli('bench', mediapipe.faceDetection, '--rounds', '2');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--rounds goes with --engine all/);
  });

  it('prints a table on the WASM engine too', async () => {
    const { code, stdout } = await runCli('bench', mediapipe.faceDetection, '--engine', 'wasm', '--runs', '3');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^engine\s+wasm/m);
    expect(stdout).toMatch(/^p50\s+[\d.]+ ms$/m);
  });
});

describe('tfls run', () => {
  it('answers a KServe v2 request with a KServe v2 response', async () => {
    const request = join(dir, 'request.json');
    writeFileSync(
      request,
      JSON.stringify({
        id: 'r1',
        inputs: [
          {
            name: 0,
            shape: [2, 2],
            datatype: 'FP32',
            data: [
              [1, 1],
              [2, 0],
            ],
          },
        ],
      }),
    );
    const { code, stdout } = await runCli('run', fcPath, '--input', request, '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      model_name: 'fc',
      id: 'r1',
      outputs: [{ name: 'y', shape: [2, 2], datatype: 'FP32', data: [3.5, 6.5, 2.5, 5.5] }],
    });
  });

  it.each([
    [
      'a wrong datatype',
      { inputs: [{ name: 'x', shape: [1, 2], datatype: 'INT32', data: [1, 2] }] },
      /input "x" expects datatype FP32, got INT32/,
    ],
    [
      'a wrong element count',
      { inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP32', data: [1, 2, 3] }] },
      /shape \[1,2\] needs 2 values, data has 3/,
    ],
    [
      'an unknown input',
      { inputs: [{ name: 'q', shape: [1, 2], datatype: 'FP32', data: [1, 2] }] },
      /unknown input "q"/,
    ],
    ['no inputs', { inputs: [] }, /"inputs" must be a non-empty array/],
  ])('reports %s in one line on stderr with exit code 1', async (_case, body, message) => {
    const request = join(dir, 'bad.json');
    writeFileSync(request, JSON.stringify(body));
    const { code, stdout, stderr } = await runCli('run', fcPath, '--input', request);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('tfls errors and help', () => {
  it.each([
    [['bench'], 2, /^tfls bench: missing <model\.tflite> \(see "tfls bench --help"\)\n$/],
    [['bench', 'x.tflite', '--runs', 'many'], 2, /--runs must be an integer/],
    [['bench', 'x.tflite', '--engine', 'gpu'], 2, /--engine must be one of auto, native, wasm/],
    [['bench', join(dir, 'missing.tflite')], 1, /^tfls bench: cannot read model file .*missing\.tflite: ENOENT\n$/],
    [['bench', notAModel], 1, /^tfls bench: not a TFLite model: file identifier is "e ar", expected "TFL3"\n$/],
    [['frobnicate'], 2, /unknown command "frobnicate"/],
    [['run', fcPath], 2, /missing --input/],
  ])('tfls %j exits %i with one line on stderr', async (argv, expectedCode, message) => {
    const { code, stderr } = await runCli(...argv);
    expect(code).toBe(expectedCode);
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('describes every command under --help', async () => {
    const overview = await runCli('--help');
    expect(overview.code).toBe(0);
    for (const { name: command } of COMMANDS) {
      expect(overview.stdout).toContain(command);
      const help = await runCli(command, '--help');
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: tfls ${command} `));
    }
  });

  it('the installed bin runs the built CLI', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      'bin/tfls.js',
      'bench',
      fcPath,
      '--json',
      '--runs',
      '2',
    ]);
    expect(JSON.parse(stdout)).toMatchObject({ engine: 'native', runs: 2 });
  });
});
