import { syntheticInputs } from '../engine/syntheticInputs.js';
import type { Model, Tensor, TensorInfo } from '../engine/types.js';
import { halvesToFloats } from '../float16.js';

/** Float outputs: cosine similarity to TFLite's at least this. */
const MIN_COSINE = 0.9999;
/**
 * ...or no value further than this from TFLite's: an output of near-zero
 * values (a mask's sigmoid far below 0.5 on random pixels) has a cosine that
 * says nothing, and is the same output for any use.
 */
const MAX_ABS_ERROR = 1e-5;
/** Quantized outputs: this share of values within one step (LSB) of TFLite's, and the same argmax. */
const MIN_WITHIN_ONE_STEP = 0.999;
/** Integer outputs (class maps, counts): this share of values equal to TFLite's. */
const MIN_EQUAL = 0.999;

interface OutputVerdict {
  readonly name: string;
  readonly kind: 'float' | 'quantized' | 'integer';
  readonly pass: boolean;
  readonly cosine?: number;
  readonly maxAbsError: number;
  /** quantized: share within one step; integer: share equal. */
  readonly share?: number;
  /** quantized: whether TFLite's argmax is also a maximum of the candidate's output. */
  readonly sameArgmax?: boolean;
}

interface GateVerdict {
  readonly pass: boolean;
  /** The engine the candidate was compared with. */
  readonly reference: string;
  readonly outputs: readonly OutputVerdict[];
  /** One line of numbers, for engineReason and errors. */
  readonly summary: string;
}

const kindOf = (info: TensorInfo): OutputVerdict['kind'] =>
  info.dtype === 'float32' || info.dtype === 'float16' ? 'float' : info.quantization ? 'quantized' : 'integer';

/** Values as numbers: float16 travels as raw halves, int64 as bigints. */
const numbers = (tensor: Tensor): ArrayLike<number> =>
  tensor.dtype === 'float16'
    ? halvesToFloats(tensor.data as Uint16Array)
    : tensor.data instanceof BigInt64Array
      ? Array.from(tensor.data, Number)
      : (tensor.data as ArrayLike<number>);

const compareFloat = (name: string, a: ArrayLike<number>, b: ArrayLike<number>): OutputVerdict => {
  let [dot, na, nb, maxAbsError] = [0, 0, 0, 0];
  let nanMismatch = false;
  for (let i = 0; i < b.length; i++) {
    const [x, y] = [a[i]!, b[i]!];
    if (Number.isNaN(x) || Number.isNaN(y)) {
      nanMismatch ||= Number.isNaN(x) !== Number.isNaN(y);
      continue;
    }
    dot += x * y;
    na += x * x;
    nb += y * y;
    maxAbsError = Math.max(maxAbsError, Math.abs(x - y));
  }
  const cosine = na === 0 && nb === 0 ? 1 : dot / Math.sqrt(na * nb);
  const pass = !nanMismatch && (cosine >= MIN_COSINE || maxAbsError <= MAX_ABS_ERROR);
  return { name, kind: 'float', pass, cosine: Number.isFinite(cosine) ? cosine : 0, maxAbsError };
};

const compareQuantized = (name: string, a: ArrayLike<number>, b: ArrayLike<number>): OutputVerdict => {
  let [within, maxAbsError, best, candidateMax] = [0, 0, 0, Number.NEGATIVE_INFINITY];
  for (let i = 0; i < b.length; i++) {
    const error = Math.abs(a[i]! - b[i]!);
    if (error <= 1) within++;
    maxAbsError = Math.max(maxAbsError, error);
    if (b[i]! > b[best]!) best = i;
    candidateMax = Math.max(candidateMax, a[i]!);
  }
  const share = b.length === 0 ? 1 : within / b.length;
  // Ties are common in 8-bit outputs: TFLite's argmax need only be one of the candidate's maxima.
  const sameArgmax = b.length === 0 || a[best] === candidateMax;
  return { name, kind: 'quantized', pass: share >= MIN_WITHIN_ONE_STEP && sameArgmax, share, sameArgmax, maxAbsError };
};

const compareInteger = (name: string, a: ArrayLike<number>, b: ArrayLike<number>): OutputVerdict => {
  let [equal, maxAbsError] = [0, 0];
  for (let i = 0; i < b.length; i++) {
    if (a[i] === b[i]) equal++;
    maxAbsError = Math.max(maxAbsError, Math.abs(a[i]! - b[i]!));
  }
  const share = b.length === 0 ? 1 : equal / b.length;
  return { name, kind: 'integer', pass: share >= MIN_EQUAL, share, maxAbsError };
};

const describe = (v: OutputVerdict): string => {
  const figures =
    v.kind === 'float'
      ? `cosine ${v.cosine!.toFixed(6)}, max error ${v.maxAbsError.toExponential(2)}`
      : v.kind === 'quantized'
        ? `${(v.share! * 100).toFixed(2)}% within 1 step (max ${v.maxAbsError}), argmax ${v.sameArgmax ? 'same' : 'differs'}`
        : `${(v.share! * 100).toFixed(2)}% equal`;
  return `${v.name}: ${figures}${v.pass ? '' : ' (FAILS)'}`;
};

/**
 * Compares a candidate's outputs with TFLite's for the same inputs: float
 * outputs by cosine (≥ 0.9999) or absolute error (≤ 1e-5), quantized ones
 * within one step on ≥ 99.9% of values with the same argmax, integer ones
 * (class maps) equal on ≥ 99.9%.
 */
const compareOutputs = (
  infos: readonly TensorInfo[],
  candidate: readonly Tensor[],
  reference: readonly Tensor[],
  referenceEngine: string,
): GateVerdict => {
  const outputs = infos.map((info, i) => {
    const [a, b] = [numbers(candidate[i]!), numbers(reference[i]!)];
    if (a.length !== b.length)
      return { name: info.name, kind: kindOf(info), pass: false, maxAbsError: Number.POSITIVE_INFINITY };
    const kind = kindOf(info);
    return kind === 'float'
      ? compareFloat(info.name, a, b)
      : kind === 'quantized'
        ? compareQuantized(info.name, a, b)
        : compareInteger(info.name, a, b);
  });
  return {
    pass: outputs.every((o) => o.pass),
    reference: referenceEngine,
    outputs,
    summary: `against TFLite (${referenceEngine}) on synthetic inputs: ${outputs.map(describe).join('; ')}`,
  };
};

/** Synthetic inputs the gate tries: one input can pass by luck where rounding differs systematically. */
const SEEDS = [1, 2, 3];

/** Per output, the worst of several verdicts (lowest cosine or share, largest error). */
const worstOf = (verdicts: readonly GateVerdict[]): GateVerdict => {
  const outputs = verdicts[0]!.outputs.map((_, i) =>
    verdicts
      .map((v) => v.outputs[i]!)
      .reduce((worst, o) => {
        if (worst.pass !== o.pass) return worst.pass ? o : worst;
        const score = (v: OutputVerdict) => v.cosine ?? v.share ?? 0;
        return score(o) < score(worst) || (score(o) === score(worst) && o.maxAbsError > worst.maxAbsError) ? o : worst;
      }),
  );
  const reference = verdicts[0]!.reference;
  return {
    pass: outputs.every((o) => o.pass),
    reference,
    outputs,
    summary: `against TFLite (${reference}), worst of ${verdicts.length} synthetic inputs: ${outputs.map(describe).join('; ')}`,
  };
};

/**
 * The reference's outputs in the candidate's order: LiteRT.js lists a
 * model's tensors in its signature's order, which need not be the graph's.
 */
const inCandidateOrder = (candidate: Model, reference: Model, outputs: readonly Tensor[]): Tensor[] => {
  const byName = new Map(reference.outputs.map((info, i) => [info.name, outputs[i]!]));
  const named = candidate.outputs.map((info) => byName.get(info.name));
  return named.every((t) => t !== undefined) ? (named as Tensor[]) : [...outputs];
};

/**
 * Runs both models on the candidate's synthetic inputs (seeds 1-3; by name
 * for the reference when it names them alike) and judges each output by the
 * candidate's tensor infos, which are the file's (LiteRT.js reports no
 * quantization).
 */
const runGate = async (candidate: Model, reference: Model): Promise<GateVerdict> => {
  const verdicts: GateVerdict[] = [];
  const named = candidate.inputs.every((info) => reference.inputs.some((r) => r.name === info.name));
  for (const seed of SEEDS) {
    const inputs = syntheticInputs(candidate.inputs, seed);
    const feed = named ? Object.fromEntries(candidate.inputs.map((info, i) => [info.name, inputs[i]!])) : inputs;
    const expected = inCandidateOrder(candidate, reference, await reference.runAsync(feed));
    const actual = await candidate.runAsync(inputs);
    verdicts.push(compareOutputs(candidate.outputs, actual, expected, reference.engine));
  }
  return worstOf(verdicts);
};

export type { GateVerdict, OutputVerdict };
export { compareOutputs, runGate };
