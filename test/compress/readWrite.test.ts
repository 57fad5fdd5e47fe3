import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inspectModel } from '../../src/compress/inspectModel.js';
import { loadModel } from '../../src/engine/loadModel.js';
import { syntheticInputs } from '../../src/engine/syntheticInputs.js';
import { ModelFormatError } from '../../src/errors.js';
import { readModel } from '../../src/tflite/readModel.js';
import { writeModel } from '../../src/tflite/writeModel.js';
import { withMetadata } from '../helpers/metadataModel.js';
import { mediapipe } from '../helpers/models.js';

/** A digest of the whole parsed model, buffers included. */
const digest = (value: unknown): string =>
  createHash('sha256')
    .update(
      JSON.stringify(value, (_key, v) =>
        typeof v === 'bigint' ? String(v) : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v,
      ),
    )
    .digest('hex');

describe('reading and writing .tflite', () => {
  it.each(Object.entries(mediapipe))(
    '%s: read then written loads with identical outputs and structure',
    async (_name, path) => {
      const original = new Uint8Array(readFileSync(path));
      const rewritten = writeModel(readModel(original));
      expect(digest(readModel(rewritten).model)).toBe(digest(readModel(original).model));
      const before = await loadModel(original, { threads: 1 });
      const after = await loadModel(rewritten, { threads: 1 });
      expect(after.engine).toBe(before.engine);
      const inputs = syntheticInputs(before.inputs, 5);
      const [x, y] = [before.run(inputs), after.run(inputs)];
      x.forEach((tensor, i) => {
        expect(y[i]!.data).toEqual(tensor.data);
      });
      before.dispose();
      after.dispose();
    },
  );

  it('keeps signature defs, metadata buffers and the appended zip of associated files', async () => {
    const bytes = withMetadata(mediapipe.faceDetection, ['face']);
    const once = readModel(bytes);
    const twice = readModel(writeModel(once));
    expect(twice.model.metadata.map((m) => m.name)).toEqual(once.model.metadata.map((m) => m.name));
    expect(Buffer.from(twice.trailer)).toEqual(Buffer.from(once.trailer));
    const report = await inspectModel(writeModel(twice));
    expect(report.metadata).toEqual({
      name: 'BlazeFace with metadata',
      normalization: { mean: [127.5], std: [127.5] },
      labels: ['face'],
      outputs: [{ name: 'scores', content: null, labels: { file: 'labels.txt', kind: 'axis' } }],
    });
  });

  it('aligns every buffer to 16 bytes', () => {
    const bytes = writeModel(readModel(new Uint8Array(readFileSync(mediapipe.handLandmarkFull))));
    for (const buffer of readModel(bytes).model.buffers) {
      const data = (buffer as unknown as { bytes: Uint8Array | null }).bytes;
      if (data && data.length > 0) expect((data.byteOffset - bytes.byteOffset) % 16).toBe(0);
    }
  });

  it('refuses models over 2 GB with a clear error', () => {
    // Pages of a fresh ArrayBuffer are never touched: the check happens before any read.
    const huge = new Uint8Array(new ArrayBuffer(2 ** 31));
    expect(() => readModel(huge)).toThrow(ModelFormatError);
    expect(() => readModel(huge)).toThrow(/models over 2 GB are not supported/);
  });
});
