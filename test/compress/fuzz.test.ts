import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compressModel } from '../../src/compress/compressModel.js';
import { TflsError } from '../../src/errors.js';
import { bufferBytes } from '../../src/tflite/modelBuffers.js';
import { readModel } from '../../src/tflite/readModel.js';
import { mediapipe } from '../helpers/models.js';
import { mutations } from '../helpers/mutate.js';

// A hang detector, not a speed target: no compression of this model comes near it.
const WATCHDOG_MS = 15_000;

const withWatchdog = <T>(work: Promise<T>): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const watchdog = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('compression hung')), WATCHDOG_MS);
  });
  return Promise.race([work, watchdog]).finally(() => clearTimeout(timer));
};

describe('tfls compress on damaged files', () => {
  it('1,000 byte-mutated models each end in a clear typed error or a compressed model, never a hang or crash', async () => {
    const original = new Uint8Array(readFileSync(mediapipe.faceDetection));
    const ranges = readModel(original)
      .model.buffers.map(bufferBytes)
      .filter((data) => data.length > 0)
      .map(
        (data) => [data.byteOffset - original.byteOffset, data.byteOffset - original.byteOffset + data.length] as const,
      );
    const outcomes = new Map<string, number>();
    for (const bytes of mutations(original, 1000, 7, ranges)) {
      let outcome: string;
      try {
        const { report } = await withWatchdog(
          compressModel(bytes, { mode: 'float16', sampleCount: 1, latencyRuns: 1 }),
        );
        expect(report.outputBytes).toBeGreaterThan(0);
        outcome = 'compressed';
      } catch (error) {
        expect(error).toBeInstanceOf(TflsError);
        expect((error as Error).message).not.toMatch(/\n/);
        outcome = (error as Error).name;
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    expect([...outcomes.values()].reduce((a, b) => a + b, 0)).toBe(1000);
    expect(outcomes.get('ModelFormatError')).toBeGreaterThan(100);
    expect(outcomes.get('compressed')).toBeGreaterThan(10);
  });
});
