import type { TypedArray } from '../dtypes.js';
import type { Model } from '../engine/types.js';
import { measureFileFidelity } from './fidelity.js';
import type { GuardReport, OutputFidelity } from './types.js';

interface Trial {
  readonly bytes: Uint8Array;
  readonly fidelity: OutputFidelity[];
}

/**
 * An output within this of the original everywhere matches it whatever its
 * cosine: a score near zero (a presence flag on a photo without the object)
 * has no meaningful direction, and 0.0007 against 0 would read as cosine 0.
 */
const ABSOLUTE_TOLERANCE = 1e-3;

/** A zero vector on one side (cosine exactly 0) is judged by its error alone, within this. */
const ZERO_VECTOR_TOLERANCE = 0.01;

const matches = (o: OutputFidelity): boolean =>
  o.maxAbsError <= ABSOLUTE_TOLERANCE || (o.cosine === 0 && o.maxAbsError <= ZERO_VECTOR_TOLERANCE);

/** The worst output cosine, outputs that match within ABSOLUTE_TOLERANCE counting as 1. */
const worst = (fidelity: readonly OutputFidelity[]): number =>
  fidelity.reduce((min, o) => Math.min(min, matches(o) ? 1 : o.cosine), 1);

/**
 * Mixed precision by measurement. Each candidate layer is quantized alone
 * (the rest kept in float) to rank layers by the damage they do; then the
 * fewest most-damaging layers are kept in float such that every output
 * reaches `minCosine` (a binary search over that ranking). When keeping
 * every candidate cannot reach it, nothing is kept (`trial` undefined) and
 * `reachable` says how far float layers could have got.
 *
 * `build(keep)` writes the model with the layers in `keep` left in float.
 */
const searchMixedPrecision = async (
  candidates: readonly string[],
  build: (keep: ReadonlySet<string>) => Uint8Array,
  reference: Model,
  samples: readonly TypedArray[][],
  minCosine: number,
  progress: (fraction: number) => void,
): Promise<{ keep: string[]; trial: Trial | undefined; reachable: number }> => {
  const measure = async (keep: ReadonlySet<string>): Promise<Trial> => {
    const bytes = build(keep);
    return { bytes, fidelity: await measureFileFidelity(reference, bytes, samples) };
  };
  const damage = new Map<string, number>();
  for (const [i, name] of candidates.entries()) {
    progress((i / candidates.length) * 0.8);
    const trial = await measure(new Set(candidates.filter((other) => other !== name)));
    damage.set(name, 1 - worst(trial.fidelity));
  }
  const ranked = [...candidates].sort((a, b) => damage.get(b)! - damage.get(a)!);
  let low = 0;
  let high = ranked.length;
  let best = await measure(new Set(ranked));
  // Even every candidate in float misses the floor (the loss is elsewhere): keeping them all would cost
  // size for nothing, so keep none and say how far float layers could get.
  if (worst(best.fidelity) < minCosine) return { keep: [], trial: undefined, reachable: worst(best.fidelity) };
  while (low < high) {
    progress(0.8 + 0.2 * (1 - (high - low) / ranked.length));
    const middle = Math.floor((low + high) / 2);
    const trial = await measure(new Set(ranked.slice(0, middle)));
    if (worst(trial.fidelity) >= minCosine) {
      high = middle;
      best = trial;
    } else {
      low = middle + 1;
    }
  }
  return { keep: ranked.slice(0, high), trial: best, reachable: worst(best.fidelity) };
};

/** What the fidelity guard did: the floor, the layers it kept, the worst cosine before and after. */
const guardReport = (
  floor: number,
  kept: readonly string[],
  worstBefore: number,
  worstAfter: number,
  reachable: number | undefined,
): GuardReport => ({
  floor,
  kept,
  worstBefore,
  worstAfter,
  met: worstAfter >= floor,
  ...(reachable !== undefined && { reachable }),
});

export { guardReport, matches, searchMixedPrecision, worst };
