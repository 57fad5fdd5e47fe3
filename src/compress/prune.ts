import { BuiltinOperator, TensorType } from '../tflite/generated/schema_generated.js';
import { builtinCode } from '../tflite/opcodes.js';
import { readModel, type TfliteFile } from '../tflite/readModel.js';
import { writeModel } from '../tflite/writeModel.js';
import { expandFloat16 } from './expandFloat16.js';
import type { FidelityProbe } from './fidelity.js';
import { worst } from './floor.js';
import { constantData, nameOf, setConstant } from './graph.js';

/** The per-layer sparsities a layer may get; the target is reached by mixing them. */
const LEVELS = [0.25, 0.5, 0.75, 0.9] as const;

/** The ops whose weights (input 1) are pruned. */
const PRUNABLE = new Set<number>([BuiltinOperator.CONV_2D, BuiltinOperator.FULLY_CONNECTED]);

/** Weights too small to matter to the file are left dense. */
const MIN_ELEMENTS = 1024;

interface PrunedLayer {
  readonly name: string;
  readonly op: string;
  readonly elements: number;
  readonly sparsity: number;
}

interface PruningReport {
  /** The share of prunable weights asked to be zero, and the share that is. */
  readonly requested: number;
  readonly achieved: number;
  /** The output cosine the per-layer sparsities were chosen to keep (absent: uniform, no guard). */
  readonly floor?: number;
  readonly worstCosine: number;
  readonly layers: readonly PrunedLayer[];
  /** Deflated as in the zip Lambda deploys: the input, and the output with and without pruning. */
  readonly zippedBytes?: { readonly input: number; readonly output: number };
  readonly note: string;
}

interface Weight {
  readonly name: string;
  readonly op: string;
  readonly elements: number;
  /** |w| ascending: the threshold for any sparsity is one lookup. */
  readonly sortedMagnitudes: Float32Array;
}

/** Constant float32 weights of CONV_2D and FULLY_CONNECTED, by name, in a float16-expanded model. */
const prunableWeights = (file: TfliteFile): Weight[] => {
  const weights: Weight[] = [];
  const seen = new Set<string>();
  for (const subgraph of file.model.subgraphs) {
    for (const op of subgraph.operators) {
      const kind = builtinCode(file.model.operatorCodes[op.opcodeIndex]!);
      if (!PRUNABLE.has(kind)) continue;
      const index = op.inputs[1]!;
      const tensor = index >= 0 ? subgraph.tensors[index] : undefined;
      if (!tensor || tensor.type !== TensorType.FLOAT32 || tensor.sparsity) continue;
      const data = constantData(file.model, tensor);
      const name = nameOf(tensor, index);
      if (!data || seen.has(name) || data.length / 4 < MIN_ELEMENTS) continue;
      seen.add(name);
      const magnitudes = new Float32Array(data.slice().buffer).map(Math.abs).sort();
      weights.push({
        name,
        op: kind === BuiltinOperator.CONV_2D ? 'CONV_2D' : 'FULLY_CONNECTED',
        elements: magnitudes.length,
        sortedMagnitudes: magnitudes,
      });
    }
  }
  return weights;
};

/** The model with each named weight's smallest-magnitude share set to zero. */
const applySparsity = (
  base: Uint8Array,
  sparsity: ReadonlyMap<string, number>,
  weights: readonly Weight[],
): Uint8Array => {
  const file = readModel(base);
  const byName = new Map(weights.map((w) => [w.name, w]));
  for (const subgraph of file.model.subgraphs) {
    subgraph.tensors.forEach((tensor, index) => {
      const name = nameOf(tensor, index);
      const share = sparsity.get(name) ?? 0;
      const weight = byName.get(name);
      const data = weight && share > 0 ? constantData(file.model, tensor) : undefined;
      if (!weight || !data) return;
      const count = Math.floor(share * weight.elements);
      if (count === 0) return;
      const threshold = weight.sortedMagnitudes[count - 1]!;
      const values = new Float32Array(data.slice().buffer);
      let zeroed = 0;
      for (let i = 0; i < values.length && zeroed < count; i++) {
        if (Math.abs(values[i]!) <= threshold) {
          values[i] = 0;
          zeroed++;
        }
      }
      setConstant(file.model, tensor, TensorType.FLOAT32, new Uint8Array(values.buffer));
    });
  }
  return writeModel(file);
};

/**
 * Per-layer sparsities reaching `target` of all prunable weights at the
 * least measured damage: every layer starts dense, and the step (one layer
 * one level sparser) with the least damage per weight zeroed is taken until
 * the target is met.
 */
const allocate = (
  weights: readonly Weight[],
  damage: ReadonlyMap<string, readonly number[]>,
  target: number,
): Map<string, number> => {
  const total = weights.reduce((n, w) => n + w.elements, 0);
  const level = new Map(weights.map((w) => [w.name, -1]));
  let zeroed = 0;
  while (zeroed < target * total) {
    let best: { name: string; cost: number; gain: number } | undefined;
    for (const w of weights) {
      const at = level.get(w.name)!;
      if (at + 1 >= LEVELS.length) continue;
      const costs = damage.get(w.name)!;
      const now = at < 0 ? 0 : costs[at]!;
      // Damage is taken as monotone in sparsity: measurement noise must not make a sparser layer look free.
      const next = Math.max(now, costs[at + 1]!);
      const gain = (LEVELS[at + 1]! - (at < 0 ? 0 : LEVELS[at]!)) * w.elements;
      const cost = (next - now) / gain;
      if (!best || cost < best.cost) best = { name: w.name, cost, gain };
    }
    if (!best) break;
    level.set(best.name, level.get(best.name)! + 1);
    zeroed += best.gain;
  }
  return new Map(weights.map((w) => [w.name, level.get(w.name)! < 0 ? 0 : LEVELS[level.get(w.name)!]!]));
};

const achievedShare = (weights: readonly Weight[], sparsity: ReadonlyMap<string, number>): number => {
  const total = weights.reduce((n, w) => n + w.elements, 0);
  const zero = weights.reduce((n, w) => n + Math.floor((sparsity.get(w.name) ?? 0) * w.elements), 0);
  return total === 0 ? 0 : zero / total;
};

/**
 * Magnitude pruning of CONV_2D and FULLY_CONNECTED weights. With a floor,
 * each layer's damage is measured alone at each sparsity level, the levels
 * are mixed to reach the target where it hurts least, and the result is
 * checked; when the floor is missed the target is lowered (binary search)
 * until it holds. Without one, every layer gets the target. Returns a
 * float32 model: the mode's own transform comes after.
 */
const pruneModel = async (
  input: Uint8Array,
  probe: FidelityProbe,
  target: number,
  floor: number | undefined,
  progress: (fraction: number) => void,
): Promise<{ bytes: Uint8Array; report: PruningReport }> => {
  const expanded = readModel(input);
  expandFloat16(expanded.model);
  const base = writeModel(expanded);
  const weights = prunableWeights(readModel(base));
  const measure = async (sparsity: ReadonlyMap<string, number>) => {
    const bytes = applySparsity(base, sparsity, weights);
    return { bytes, cosine: worst((await probe.measureFile(bytes)).outputs) };
  };
  const layersOf = (sparsity: ReadonlyMap<string, number>): PrunedLayer[] =>
    weights.map((w) => ({ name: w.name, op: w.op, elements: w.elements, sparsity: sparsity.get(w.name) ?? 0 }));
  if (floor === undefined) {
    const uniform = new Map(weights.map((w) => [w.name, target]));
    const { bytes, cosine } = await measure(uniform);
    return {
      bytes,
      report: {
        requested: target,
        achieved: Number(achievedShare(weights, uniform).toFixed(4)),
        worstCosine: cosine,
        layers: layersOf(uniform),
        note: '',
      },
    };
  }
  const damage = new Map<string, number[]>();
  for (const [i, w] of weights.entries()) {
    progress((i / weights.length) * 0.8);
    const costs: number[] = [];
    for (const level of LEVELS) costs.push(1 - (await measure(new Map([[w.name, level]]))).cosine);
    damage.set(w.name, costs);
  }
  let chosen = allocate(weights, damage, target);
  let trial = await measure(chosen);
  if (trial.cosine < floor) {
    // The damages do not add up exactly: lower the target until the whole model holds the floor.
    let low = 0;
    let high = target;
    let best = { sparsity: new Map<string, number>(), trial: await measure(new Map()) };
    for (let step = 0; step < 6; step++) {
      progress(0.8 + 0.2 * (step / 6));
      const middle = (low + high) / 2;
      const sparsity = allocate(weights, damage, middle);
      const attempt = await measure(sparsity);
      if (attempt.cosine >= floor) {
        low = middle;
        best = { sparsity, trial: attempt };
      } else high = middle;
    }
    chosen = best.sparsity;
    trial = best.trial;
  }
  return {
    bytes: trial.bytes,
    report: {
      requested: target,
      achieved: Number(achievedShare(weights, chosen).toFixed(4)),
      floor,
      worstCosine: trial.cosine,
      layers: layersOf(chosen),
      note: '',
    },
  };
};

export type { PrunedLayer, PruningReport };
export { pruneModel };
