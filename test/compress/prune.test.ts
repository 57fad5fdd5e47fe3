import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compressModel } from '../../src/compress/compressModel.js';
import { constantData } from '../../src/compress/graph.js';
import { imageInputSpec } from '../../src/manifest/resolveManifest.js';
import { TensorType } from '../../src/tflite/generated/schema_generated.js';
import { readModel } from '../../src/tflite/readModel.js';
import { runCli } from '../helpers/cli.js';
import { runsOnBothEngines } from '../helpers/engines.js';
import { mediapipe } from '../helpers/models.js';

const HAND = new Uint8Array(readFileSync(mediapipe.handLandmarkFull));
const options = { imageSpec: imageInputSpec({ task: 'landmarks' }), samples: 'test/fixtures/people', latencyRuns: 5 };
const zipped = (bytes: Uint8Array): number => deflateRawSync(bytes, { level: 9 }).length;

/** Zero weights in the file, by tensor name, read back from the written model (float16 constants). */
const zeroShare = (bytes: Uint8Array, name: string): number => {
  const file = readModel(bytes);
  const graph = file.model.subgraphs[0]!;
  const tensor = graph.tensors.find((t) => t.name === name)!;
  const data = constantData(file.model, tensor)!;
  expect(TensorType[tensor.type]).toBe('FLOAT16');
  const halves = new Uint16Array(data.slice().buffer);
  return halves.filter((h) => (h & 0x7fff) === 0).length / halves.length;
};

describe('--prune', () => {
  it('hand landmarks at 50%: the floor holds, sensitive layers are pruned less, and the zip shrinks', async () => {
    const plain = await compressModel(HAND, { mode: 'float16', ...options });
    const { bytes, report } = await compressModel(HAND, { mode: 'float16', prune: 0.5, ...options });
    const pruning = report.pruning!;
    expect(pruning.requested).toBe(0.5);
    expect(pruning.floor).toBe(0.99);
    expect(Math.min(...report.fidelity.outputs.map((o) => o.cosine))).toBeGreaterThanOrEqual(0.99);
    // Where the floor binds, the report says so instead of pretending.
    expect(pruning.achieved).toBeGreaterThan(0.25);
    expect(pruning.achieved).toBeLessThanOrEqual(0.5);
    if (pruning.achieved < 0.5) expect(pruning.note).toMatch(/50% asked; more would break the floor cosine 0\.99/);
    // Per layer by sensitivity: not one sparsity for all.
    const levels = new Set(pruning.layers.map((l) => l.sparsity));
    expect(levels.size).toBeGreaterThan(1);
    // The layers' zeros are in the file: its float16 weights read back.
    const mostPruned = [...pruning.layers].sort((a, b) => b.sparsity - a.sparsity)[0]!;
    expect(zeroShare(bytes, mostPruned.name)).toBeGreaterThanOrEqual(mostPruned.sparsity - 0.01);
    // Size: the file is not smaller (zeros stored dense), its zip is, against the same mode unpruned.
    expect(bytes.length).toBeGreaterThan(plain.bytes.length * 0.99);
    expect(pruning.zippedBytes!.output).toBe(zipped(bytes));
    const saved = 1 - zipped(bytes) / zipped(plain.bytes);
    expect(saved).toBeGreaterThan(0.04);
    expect(pruning.note).toMatch(/pruning buys size in the zip, (but not speed|and it runs faster)/);
    await runsOnBothEngines(bytes, 0.9);
  });

  it('--no-guard prunes every layer to the share asked; the CLI needs a share in (0, 1)', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'tfls-prune-')), 'hand.tflite');
    const { code, stdout } = await runCli(
      'compress',
      mediapipe.handLandmarkFull,
      '-o',
      out,
      '--prune',
      '0.5',
      '--no-guard',
      '--samples',
      'test/fixtures/people',
      '--json',
    );
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.mode).toBe('float16');
    expect(report.pruning.floor).toBeUndefined();
    expect(new Set(report.pruning.layers.map((l: { sparsity: number }) => l.sparsity))).toEqual(new Set([0.5]));
    expect(report.pruning.achieved).toBeCloseTo(0.5, 2);
    for (const bad of ['0', '1', '1.5', 'half']) {
      const { code: exit, stderr } = await runCli('compress', mediapipe.handLandmarkFull, '-o', out, '--prune', bad);
      expect(exit).toBe(2);
      expect(stderr).toMatch(/--prune must be a share of weights in \(0, 1\)/);
    }
  });
});
