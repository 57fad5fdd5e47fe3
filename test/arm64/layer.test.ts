// The Lambda layer, proven under arm64 emulation (npm run test:arm64, which
// builds what this needs and checks the machine first). The bundled predict
// handler runs from a /var/task-like folder, with the unpacked layer mounted
// at /opt and Lambda's environment, on Node 22 for arm64 under qemu and on
// the host's Node with the x86_64 layer; outputs must agree with the x86_64
// run and XNNPACK must be on, with /sys/devices/system/cpu visible and hidden.
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/engine/loadModel.js';
import { syntheticInputs } from '../../src/engine/syntheticInputs.js';
import { maxRelativeError } from '../helpers/compare.js';
import { kserveRequest } from '../helpers/kserveRequest.js';
import { mediapipe } from '../helpers/models.js';
import { runInSandbox, unpackLayer } from './lambdaSandbox.js';

const root = resolve(import.meta.dirname, '../..');
const ARM64_NODE = process.env.TFLS_ARM64_NODE;
const SYSROOT = process.env.TFLS_ARM64_SYSROOT ?? '/usr/aarch64-linux-gnu';
const REPORT = process.env.TFLS_ARM64_REPORT;

interface Invocation {
  readonly arch: string;
  readonly node: string;
  readonly initMs: number;
  readonly responses: { statusCode: number; body: string; headers?: Record<string, string>; ms: number }[];
}

const event = (method: string, path: string, body?: { text: string } | { bytes: Buffer; type: string }) =>
  ({
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: {
      host: 'abc123.execute-api.us-east-1.amazonaws.com',
      ...(body && { 'content-type': 'text' in body ? 'application/json' : body.type }),
    },
    requestContext: {
      accountId: '000000000000',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.1', userAgent: 'test' },
      requestId: 'test',
      routeKey: '$default',
      stage: '$default',
      time: new Date(0).toUTCString(),
      timeEpoch: 0,
    },
    ...(body && { body: 'text' in body ? body.text : body.bytes.toString('base64') }),
    isBase64Encoded: body !== undefined && !('text' in body),
  }) as APIGatewayProxyEventV2;

let work: string;
let events: string;
let task: string;
let repository: string;
const runs = new Map<string, Invocation>();

const invoke = (arch: 'arm64' | 'x86_64', hideCpuSysfs: boolean, wrapper = true): Invocation => {
  const key = `${arch} ${hideCpuSysfs ? 'hidden' : 'visible'}${wrapper ? '' : ' no-wrapper'}`;
  const cached = runs.get(key);
  if (cached) return cached;
  const result = runInSandbox({
    opt: join(work, `opt-${arch}`),
    node: arch === 'arm64' ? ['qemu-aarch64-static', '-L', SYSROOT, ARM64_NODE!] : [process.execPath],
    hideCpuSysfs,
    wrapper,
    args: [join(root, 'test/arm64/invoke.mjs'), join(task, 'index.mjs'), events],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: tmpdir(),
      // What Lambda's nodejs22.x runtime sets.
      NODE_PATH:
        '/opt/nodejs/node22/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task',
      LD_LIBRARY_PATH: '/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib',
      AWS_REGION: 'us-east-1',
      AWS_LAMBDA_FUNCTION_NAME: 'tflite-serverless-predict',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1769',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      POWERTOOLS_LOG_LEVEL: 'WARN',
      POWERTOOLS_METRICS_NAMESPACE: 'tflite-serverless-test',
      MODEL_REPOSITORY: repository,
      PRELOAD_MODELS: 'hands,face-detection',
    },
  });
  if (result.status !== 0) throw new Error(`${key}: exit ${result.status}\n${result.stderr.slice(-3000)}`);
  const line = result.stdout.trim().split('\n').at(-1)!;
  const invocation = JSON.parse(line) as Invocation;
  runs.set(key, invocation);
  return invocation;
};

const bodies = (run: Invocation) => run.responses.map((r) => JSON.parse(r.body) as Record<string, unknown>);

/** Equal within relative 1e-3, numbers anywhere in the JSON; `slack` absorbs the 2-decimal rounding of pixel values. */
const closeTo = (actual: unknown, expected: unknown, path: string, slack = 0): void => {
  if (typeof expected === 'number') {
    expect(typeof actual, path).toBe('number');
    expect(Math.abs((actual as number) - expected), path).toBeLessThanOrEqual(1e-3 * Math.abs(expected) + slack);
  } else if (Array.isArray(expected)) {
    expect((actual as unknown[]).length, path).toBe(expected.length);
    for (const [i, e] of expected.entries()) closeTo((actual as unknown[])[i], e, `${path}[${i}]`, slack);
  } else if (expected && typeof expected === 'object') {
    for (const [k, v] of Object.entries(expected))
      closeTo((actual as Record<string, unknown>)[k], v, `${path}.${k}`, slack);
  } else expect(actual, path).toEqual(expected);
};

beforeAll(async () => {
  if (!ARM64_NODE)
    throw new Error('run these tests with npm run test:arm64, which provides Node for arm64 and the layers');
  work = mkdtempSync(join(tmpdir(), 'tfls-arm64-'));
  // /var/task: the bundle directory alone (index.mjs and its chunks), so that nothing resolves from the
  // project's node_modules.
  task = join(work, 'task');
  cpSync(join(root, 'dist/functions/predict'), task, { recursive: true });
  repository = join(work, 'models');
  mkdirSync(join(repository, 'hands/1'), { recursive: true });
  copyFileSync(mediapipe.handLandmarkFull, join(repository, 'hands/1/model.tflite'));
  cpSync(join(root, 'models/face-detection'), join(repository, 'face-detection'), { recursive: true });
  for (const arch of ['arm64', 'x86_64']) unpackLayer(join(root, `dist/layer/${arch}.zip`), join(work, `opt-${arch}`));
  const hand = await loadModel(new Uint8Array(readFileSync(mediapipe.handLandmarkFull)), { engine: 'native' });
  const [input] = syntheticInputs(hand.inputs, 7);
  const infer = kserveRequest(hand.inputs, [input!]);
  hand.dispose();
  events = join(work, 'events.json');
  writeFileSync(
    events,
    JSON.stringify([
      event('GET', '/v2/models/hands'),
      event('POST', '/v2/models/hands/infer', { text: JSON.stringify(infer) }),
      event('POST', '/v2/models/hands/infer', { text: JSON.stringify(infer) }),
      event('GET', '/v2/models/face-detection'),
      event('POST', '/v1/models/face-detection:predict', {
        bytes: readFileSync(join(root, 'test/fixtures/people/astronaut.jpg')),
        type: 'image/jpeg',
      }),
      event('POST', '/v1/models/face-detection:predict', {
        bytes: readFileSync(join(root, 'test/fixtures/people/astronaut.jpg')),
        type: 'image/jpeg',
      }),
    ]),
  );
}, 300_000);

describe.each([
  ['x86_64', false],
  ['x86_64', true],
  ['arm64', false],
  ['arm64', true],
] as const)('the %s layer (cpu sysfs hidden: %s)', (arch, hidden) => {
  it('answers KServe v2 and image requests like the x86_64 run, with XNNPACK', () => {
    const run = invoke(arch, hidden);
    expect(run.arch).toBe(arch === 'arm64' ? 'arm64' : 'x64');
    expect(run.responses.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200, 200]);
    const [handMeta, handInfer, , faceMeta, faces] = bodies(run);
    for (const meta of [handMeta, faceMeta])
      expect((meta as { parameters: Record<string, unknown> }).parameters).toMatchObject({
        engine: 'native',
        delegate: 'xnnpack',
        threads: 1,
      });
    const [, baseInfer, , , baseFaces] = bodies(invoke('x86_64', false));
    const outputs = (handInfer as { outputs: { name: string; data: number[] }[] }).outputs;
    const expected = (baseInfer as { outputs: { name: string; data: number[] }[] }).outputs;
    expect(outputs.map((o) => o.name)).toEqual(expected.map((o) => o.name));
    for (const [i, o] of outputs.entries()) {
      const error = maxRelativeError(Float32Array.from(o.data), Float32Array.from(expected[i]!.data));
      expect(error, o.name).toBeLessThan(1e-3);
    }
    expect((faces as { predictions: { detections: unknown[] }[] }).predictions[0]!.detections.length).toBeGreaterThan(
      0,
    );
    closeTo(faces, baseFaces, 'predictions', 0.011);
  });
});

describe('without the exec wrapper', () => {
  it('arm64 with cpu sysfs hidden loses XNNPACK, and says why: the wrapper is what keeps it', () => {
    const run = invoke('arm64', true, false);
    const meta = JSON.parse(run.responses[0]!.body) as { parameters: Record<string, unknown> };
    expect(meta.parameters.delegate).toBe('none');
    expect(meta.parameters.delegateReason).toMatch(/AWS_LAMBDA_EXEC_WRAPPER=\/opt\/tfls-exec-wrapper/);
    // Still serves, on TFLite's built-in kernels.
    expect(run.responses.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200, 200]);
  });
});

describe('timings', () => {
  it('are recorded for the README (emulation, not Graviton speed)', () => {
    const rows = [...runs.entries()].map(([key, run]) => ({
      run: key,
      node: run.node,
      initMs: Math.round(run.initMs),
      handInferWarmMs: Math.round(run.responses[2]!.ms),
      faceImageWarmMs: Math.round(run.responses[5]!.ms),
    }));
    expect(rows.length).toBeGreaterThanOrEqual(5);
    if (REPORT) writeFileSync(REPORT, `${JSON.stringify(rows, null, 2)}\n`);
  });
});
