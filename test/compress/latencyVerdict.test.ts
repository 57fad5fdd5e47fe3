import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type LatencySamples, latencyVerdict } from '../../src/compress/latency.js';
import { recommend } from '../../src/compress/recommendation.js';

/** Timings measured once here and kept (test/fixtures/latency/README.md): no test times anything. */
const measured = (name: string): LatencySamples =>
  JSON.parse(readFileSync(`test/fixtures/latency/${name}.json`, 'utf8')) as LatencySamples;

describe('the latency verdict, on measured samples', () => {
  it('two identical files whose p50s came out 18% apart: "no measurable change", with the spread', () => {
    const samples = measured('identical-files');
    const verdict = latencyVerdict(samples);
    // The p50s alone would say "faster" (the old report's rule was 10%).
    expect(verdict.afterP50Ms / verdict.beforeP50Ms).toBeLessThan(0.9);
    expect(verdict.verdict).toBe('no measurable change');
    expect(verdict.summary).toMatch(
      /^no measurable change: p50 22\.49 → 18\.443 ms \(after\/before 0\.\d+x–1\.\d+x over 10 interleaved rounds, inside the noise\)$/,
    );
    expect(verdict.ratioRange[0]).toBeLessThan(1);
    expect(verdict.ratioRange[1]).toBeGreaterThan(1);
    expect(verdict).toMatchObject({ runs: 20, rounds: 10 });
  });

  it('a real slowdown (hybrid kernels) is reported with its numbers and range', () => {
    const verdict = latencyVerdict(measured('hybrid-kernels'));
    expect(verdict.verdict).toBe('slower');
    expect(verdict.summary).toMatch(/^7\.43x slower: p50 22\.224 → 164\.132 ms \(after\/before 5\.77x–8\.54x over 10/);
  });

  it('the same samples swapped: the slowdown becomes a speed-up, the noise stays noise', () => {
    const swap = (s: LatencySamples): LatencySamples => ({
      before: s.after,
      after: s.before,
      rounds: s.rounds.map((r) => ({ before: r.after, after: r.before })),
    });
    expect(latencyVerdict(swap(measured('hybrid-kernels'))).summary).toMatch(
      /^7\.\d+x faster: p50 164\.132 → 22\.224 ms/,
    );
    expect(latencyVerdict(swap(measured('identical-files'))).verdict).toBe('no measurable change');
  });
});

describe('the recommendation on those timings', () => {
  const facts = (latency: ReturnType<typeof latencyVerdict>) =>
    recommend({
      mode: 'float16',
      ratio: 1.99,
      outputBytes: 2_000_000,
      fidelity: { outputs: [{ name: 'out', cosine: 1, maxAbsError: 0, rmse: 0 }] },
      floor: { cosine: 0.995, covered: [0] },
      floorStatement: 'cosine 0.995 on every output',
      latency: { engine: 'native', delegate: 'xnnpack', ...latency },
      keptFloat: [],
    });

  it('claims no speed from noise', () => {
    const text = facts(latencyVerdict(measured('identical-files')));
    expect(text).toContain('no measurable change in speed on native');
    expect(text).not.toMatch(/faster|slower/);
  });

  it('says "slower" with the engine and the numbers when the timings show it', () => {
    expect(facts(latencyVerdict(measured('hybrid-kernels')))).toContain(
      'it runs 7.43x slower on native (p50 22.224 → 164.132 ms)',
    );
  });
});
