import type { Fidelity, FidelityProbe } from './fidelity.js';
import { type Assessment, assess, type Floor } from './floor.js';

interface Trial {
  readonly bytes: Uint8Array;
  readonly fidelity: Fidelity;
  readonly assessment: Assessment;
}

/** A layer the guard may keep in float16, what keeping it costs, and its damage when it alone is quantized. */
interface LayerDamage {
  readonly name: string;
  /** What keeping it alone in float16 adds to the raw result's file (it may be negative: int8 scales cost too). */
  readonly extraBytes: number;
  /** The floor's severity (at most 1 holds it). */
  readonly severity: number;
}

interface SearchResult {
  readonly keep: string[];
  /** The chosen model, or undefined when even every candidate in float16 misses the floor. */
  readonly trial: Trial | undefined;
  /** With every candidate in float16. */
  readonly reachable: Trial;
  /** Every candidate's damage alone, worst first. */
  readonly damage: LayerDamage[];
}

/** Kept layers the final pass tries to quantize again, largest first. */
const TRIM_TRIES = 32;

const costOf = (layers: readonly LayerDamage[]): number => layers.reduce((n, l) => n + l.extraBytes, 0);

/**
 * Mixed precision by measurement. Each candidate layer is quantized alone
 * (the rest kept in float16) to measure the damage it does, and kept alone
 * to measure what that costs; then, in two
 * orders (most damage first, and most damage per byte kept first), the
 * shortest prefix that holds the floor is found by binary search, the
 * cheaper in bytes is taken, and its largest layers are tried quantized
 * again one by one. When keeping every candidate cannot hold the floor,
 * nothing is kept (`trial` undefined) and `reachable` says how far float16
 * layers could get.
 *
 * `build(keep)` writes the model with the layers in `keep` left in float16.
 */
const searchMixedPrecision = async (
  candidates: readonly string[],
  build: (keep: ReadonlySet<string>) => Uint8Array,
  probe: FidelityProbe,
  floor: Floor,
  progress: (fraction: number) => void,
): Promise<SearchResult> => {
  const measure = async (keep: readonly string[]): Promise<Trial> => {
    const bytes = build(new Set(keep));
    const fidelity = await probe.measureFile(bytes);
    return { bytes, fidelity, assessment: assess(fidelity, floor) };
  };
  const reachable = await measure(candidates);
  const raw = build(new Set()).length;
  const damage: LayerDamage[] = [];
  for (const [i, name] of candidates.entries()) {
    progress((i / candidates.length) * 0.7);
    const trial = await measure(candidates.filter((other) => other !== name));
    damage.push({
      name,
      extraBytes: build(new Set([name])).length - raw,
      severity: Number(trial.assessment.severity.toPrecision(4)),
    });
  }
  damage.sort((a, b) => b.severity - a.severity);
  if (!reachable.assessment.met) return { keep: [], trial: undefined, reachable, damage };
  const names = (layers: readonly LayerDamage[]) => layers.map((l) => l.name);
  const perByte = [...damage].sort((a, b) => b.severity / (b.extraBytes || 1) - a.severity / (a.extraBytes || 1));
  let best: { keep: LayerDamage[]; trial: Trial } = { keep: damage, trial: reachable };
  for (const [o, order] of [damage, perByte].entries()) {
    let low = 0;
    let high = order.length;
    let found: Trial = reachable;
    while (low < high) {
      progress(0.7 + 0.1 * o + 0.1 * (1 - (high - low) / order.length));
      const middle = Math.floor((low + high) / 2);
      // A prefix costing more than the best found cannot win.
      if (costOf(order.slice(0, middle)) >= costOf(best.keep) && middle > 0) {
        high = middle;
        continue;
      }
      const trial = await measure(names(order.slice(0, middle)));
      if (trial.assessment.met) {
        high = middle;
        found = trial;
      } else low = middle + 1;
    }
    if (costOf(order.slice(0, high)) < costOf(best.keep)) best = { keep: order.slice(0, high), trial: found };
  }
  // The prefixes keep whole runs of the ranking; some of their largest layers may not be needed.
  const trimmable = [...best.keep].sort((a, b) => b.extraBytes - a.extraBytes).slice(0, TRIM_TRIES);
  for (const [i, layer] of trimmable.entries()) {
    progress(0.9 + 0.1 * (i / trimmable.length));
    const keep = best.keep.filter((l) => l !== layer);
    const trial = await measure(names(keep));
    if (trial.assessment.met) best = { keep, trial };
  }
  return { keep: names(best.keep), trial: best.trial, reachable, damage };
};

export type { LayerDamage, SearchResult, Trial };
export { searchMixedPrecision };
