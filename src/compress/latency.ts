import { percentile, round } from '../bench/stats.js';
import { loadModel } from '../engine/loadModel.js';
import { syntheticInputs } from '../engine/syntheticInputs.js';
import type { Model } from '../engine/types.js';
import type { LatencyReport } from './types.js';

/** Timings of two models taken in the same process, round by round. */
interface LatencySamples {
  /** Every timed run of each model, in ms. */
  readonly before: readonly number[];
  readonly after: readonly number[];
  /** Each round's median of each model, paired: the ratios are taken round by round. */
  readonly rounds: readonly { readonly before: number; readonly after: number }[];
}

/**
 * A difference smaller than this is not reported even when every round
 * agrees: interleaving removes the machine's drift, not what differs
 * between two loads of the same file (memory placement, caches).
 */
const NOISE_FLOOR = 0.05;

/**
 * The band around 1 a ratio's range must clear: the noise floor, or half
 * the range's own width when the rounds disagree more than that (two
 * identical files measured here ranged 0.81-0.97x in one run: every round
 * but one "faster", by chance).
 */
const noiseBand = (lo: number, hi: number, ratio: number): number => Math.max(NOISE_FLOOR, (hi - lo) / ratio / 2);

/** Rounds the runs are spread over, at most. */
const MAX_ROUNDS = 10;

const median = (values: readonly number[]): number =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

/** A ratio as people read it: 3 significant digits. */
const times = (value: number): string => `${Number(value.toPrecision(3))}x`;

const timeOnce = (model: Model, inputs: ReturnType<typeof syntheticInputs>): number => {
  const started = performance.now();
  model.run(inputs, { consume: () => undefined });
  return performance.now() - started;
};

/**
 * Times two models interleaved: warmed up, then in rounds, each round
 * running one model's share of the runs and then the other's, the order
 * alternating (ABBA), so that what the machine does meanwhile falls on both.
 */
const measureInterleaved = async (
  before: Uint8Array,
  after: Uint8Array,
  runs: number,
): Promise<{ samples: LatencySamples; engines: [Model['engine'], Model['engine']]; delegate: Model['delegate'] }> => {
  const models = [await loadModel(before, { threads: 1 }), await loadModel(after, { threads: 1 })] as const;
  try {
    const inputs = models.map((m) => syntheticInputs(m.inputs, 1));
    const rounds = Math.max(1, Math.min(MAX_ROUNDS, runs));
    const perRound = Math.max(1, Math.ceil(runs / rounds));
    for (let i = 0; i < Math.min(10, runs); i++) for (const [k, m] of models.entries()) timeOnce(m, inputs[k]!);
    const all: [number[], number[]] = [[], []];
    const paired: { before: number; after: number }[] = [];
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? [0, 1] : [1, 0];
      const round: [number[], number[]] = [[], []];
      for (const k of order) for (let i = 0; i < perRound; i++) round[k]!.push(timeOnce(models[k]!, inputs[k]!));
      all[0].push(...round[0]);
      all[1].push(...round[1]);
      paired.push({ before: median(round[0]), after: median(round[1]) });
    }
    return {
      samples: { before: all[0], after: all[1], rounds: paired },
      engines: [models[0].engine, models[1].engine],
      delegate: models[0].delegate,
    };
  } finally {
    for (const m of models) m.dispose();
  }
};

/**
 * What two models' timings say: the median after/before ratio over the
 * rounds and the range of the middle 80% of them; "slower" or "faster" only
 * when that whole range clears the noise band, else "no measurable change".
 */
const latencyVerdict = (
  samples: LatencySamples,
): Required<
  Pick<
    LatencyReport,
    | 'beforeP50Ms'
    | 'afterP50Ms'
    | 'ratio'
    | 'ratioRange'
    | 'verdict'
    | 'summary'
    | 'rounds'
    | 'runs'
    | 'beforeRangeMs'
    | 'afterRangeMs'
  >
> => {
  const ratios = samples.rounds.map((r) => r.after / r.before).sort((a, b) => a - b);
  const trim = Math.floor(ratios.length * 0.1);
  const lo = ratios[trim]!;
  const hi = ratios[ratios.length - 1 - trim]!;
  const ratio = median(ratios);
  const band = noiseBand(lo, hi, ratio);
  const verdict = lo > 1 + band ? 'slower' : hi < 1 - band ? 'faster' : 'no measurable change';
  const sorted = (values: readonly number[]) => [...values].sort((a, b) => a - b);
  const before = sorted(samples.before);
  const after = sorted(samples.after);
  const beforeP50Ms = round(percentile(before, 50));
  const afterP50Ms = round(percentile(after, 50));
  const spread = `${times(lo)}–${times(hi)} over ${ratios.length} interleaved round${ratios.length === 1 ? '' : 's'}`;
  const p50 = `p50 ${beforeP50Ms} → ${afterP50Ms} ms`;
  const summary =
    verdict === 'no measurable change'
      ? `no measurable change: ${p50} (after/before ${spread}, inside the noise)`
      : `${verdict === 'slower' ? `${times(ratio)} slower` : `${times(1 / ratio)} faster`}: ${p50} (after/before ${spread})`;
  return {
    beforeP50Ms,
    afterP50Ms,
    runs: before.length,
    rounds: ratios.length,
    beforeRangeMs: [round(percentile(before, 10)), round(percentile(before, 90))],
    afterRangeMs: [round(percentile(after, 10)), round(percentile(after, 90))],
    ratio: round(ratio),
    ratioRange: [round(lo), round(hi)],
    verdict,
    summary,
  };
};

/** Before and after, interleaved, with the verdict: the report's latency. */
const measureLatency = async (before: Uint8Array, after: Uint8Array, runs: number): Promise<LatencyReport> => {
  const { samples, engines, delegate } = await measureInterleaved(before, after, runs);
  const verdict = latencyVerdict(samples);
  return {
    engine: engines[0],
    delegate,
    ...(engines[1] !== engines[0] && { afterEngine: engines[1] }),
    ...verdict,
    summary: `${verdict.summary} on ${engines[0] === engines[1] ? `the ${engines[0]} engine` : `${engines[0]} before, ${engines[1]} after`}`,
  };
};

export type { LatencySamples };
export { latencyVerdict, measureInterleaved, measureLatency };
