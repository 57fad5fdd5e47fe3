import type { TypedArray } from '../dtypes.js';
import { loadModel } from '../engine/loadModel.js';
import type { Model, Tensor, TensorInfo } from '../engine/types.js';
import { realValues } from '../tasks/outputs.js';
import { quantizeInput } from './int8/layerStats.js';
import type { OutputFidelity } from './types.js';

interface Accumulator {
  dot: number;
  a: number;
  b: number;
  maxAbs: number;
  squares: number;
  count: number;
}

const realOf = (tensor: Tensor, info: TensorInfo | undefined): Float64Array => realValues(tensor, info?.quantization);

/**
 * Runs both models on the same inputs and compares their outputs (by
 * position), dequantizing integer outputs: cosine similarity, largest
 * absolute error and RMSE over all samples.
 */
const measureFidelity = async (
  reference: Model,
  candidate: Model,
  samples: readonly TypedArray[][],
): Promise<OutputFidelity[]> => {
  const totals = reference.outputs.map((): Accumulator => ({ dot: 0, a: 0, b: 0, maxAbs: 0, squares: 0, count: 0 }));
  for (const inputs of samples) {
    const expected = (await reference.runAsync(inputs)).map((t, i) => realOf(t, reference.outputs[i]));
    // An integer-input candidate takes the same samples quantized at its input's parameters.
    const candidateInputs = candidate.inputs.map((info, i) =>
      (info.dtype === 'int8' || info.dtype === 'uint8') && inputs[i] instanceof Float32Array
        ? quantizeInput(inputs[i]!, info)
        : inputs[i]!,
    );
    const actual = (await candidate.runAsync(candidateInputs)).map((t, i) => realOf(t, candidate.outputs[i]));
    expected.forEach((x, i) => {
      const y = actual[i];
      const total = totals[i]!;
      if (!y || y.length !== x.length) {
        total.count = Number.NaN;
        return;
      }
      for (let k = 0; k < x.length; k++) {
        const error = x[k]! - y[k]!;
        total.dot += x[k]! * y[k]!;
        total.a += x[k]! * x[k]!;
        total.b += y[k]! * y[k]!;
        total.maxAbs = Math.max(total.maxAbs, Math.abs(error));
        total.squares += error * error;
        total.count++;
      }
    });
  }
  return reference.outputs.map((info, i) => {
    const t = totals[i]!;
    const cosine = t.a === 0 && t.b === 0 ? 1 : t.dot / Math.sqrt(t.a * t.b);
    return {
      name: info.name,
      cosine: Number.isFinite(cosine) ? Number(cosine.toFixed(6)) : 0,
      maxAbsError: Number(t.maxAbs.toPrecision(4)),
      rmse: t.count > 0 ? Number(Math.sqrt(t.squares / t.count).toPrecision(4)) : Number.NaN,
    };
  });
};

/** A model file's fidelity against the reference: loaded on one thread, measured, disposed. */
const measureFileFidelity = async (
  reference: Model,
  bytes: Uint8Array,
  samples: readonly TypedArray[][],
): Promise<OutputFidelity[]> => {
  const candidate = await loadModel(bytes, { threads: 1 });
  try {
    return await measureFidelity(reference, candidate, samples);
  } finally {
    candidate.dispose();
  }
};

export { measureFidelity, measureFileFidelity };
