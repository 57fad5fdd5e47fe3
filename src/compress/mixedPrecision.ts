import type { TypedArray } from '../dtypes.js';
import { loadModel } from '../engine/loadModel.js';
import type { Model } from '../engine/types.js';
import { measureFidelity } from './fidelity.js';
import type { OutputFidelity } from './types.js';

interface Trial {
  readonly bytes: Uint8Array;
  readonly fidelity: OutputFidelity[];
}

const worst = (fidelity: readonly OutputFidelity[]): number => fidelity.reduce((min, o) => Math.min(min, o.cosine), 1);

/**
 * Mixed precision by measurement. Each candidate layer is quantized alone
 * (the rest kept in float) to rank layers by the damage they do; then the
 * fewest most-damaging layers are kept in float such that every output
 * reaches `minCosine` (a binary search over that ranking).
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
): Promise<{ keep: string[]; trial: Trial }> => {
  const measure = async (keep: ReadonlySet<string>): Promise<Trial> => {
    const bytes = build(keep);
    const model = await loadModel(bytes, { threads: 1 });
    try {
      return { bytes, fidelity: await measureFidelity(reference, model, samples) };
    } finally {
      model.dispose();
    }
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
  return { keep: ranked.slice(0, high), trial: best };
};

export { searchMixedPrecision, worst };
