import type { TypedArray } from '../dtypes.js';
import { loadModel } from '../engine/loadModel.js';
import type { Model, Tensor } from '../engine/types.js';
import type { ImageTransform } from '../image/geometry.js';
import type { ModelManifest } from '../manifest/types.js';
import { answerTask } from '../serving/taskAnswer.js';
import { realValues } from '../tasks/outputs.js';
import { quantizeInput } from './int8/layerStats.js';
import type { SampleSet } from './samples.js';
import { compareAnswers, type PhotoAnswer } from './taskFidelity.js';
import type { OutputFidelity, TaskFidelity } from './types.js';

/** A candidate against the reference: every output's closeness, and the task's answers where the task is known. */
interface Fidelity {
  readonly outputs: OutputFidelity[];
  readonly task?: TaskFidelity;
}

/**
 * The reference's outputs and answers on a sample set, kept once: a guard's
 * search measures dozens of candidates against the same reference.
 */
interface FidelityProbe {
  readonly inputs: readonly TypedArray[][];
  readonly source: string;
  /** What the serving pipeline makes of the outputs; undefined: outputs alone. */
  readonly manifest: ModelManifest | undefined;
  measure(candidate: Model): Promise<Fidelity>;
  /** Loads the file on one thread, measures it and disposes it. */
  measureFile(bytes: Uint8Array): Promise<Fidelity>;
  /** The same probe on the first `count` samples. */
  take(count: number): FidelityProbe;
}

interface Reference {
  readonly outputs: Float32Array[];
  readonly answer?: PhotoAnswer;
}

interface Accumulator {
  dot: number;
  a: number;
  b: number;
  maxAbs: number;
  squares: number;
  count: number;
}

/** The samples an integer-input candidate takes: float samples quantized at its input's parameters. */
const inputsFor = (candidate: Model, inputs: readonly TypedArray[]): TypedArray[] =>
  candidate.inputs.map((info, i) =>
    (info.dtype === 'int8' || info.dtype === 'uint8') && inputs[i] instanceof Float32Array
      ? quantizeInput(inputs[i]!, info)
      : inputs[i]!,
  );

/** Runs a model on one sample, reading every output as real numbers and the task's answer while they are valid. */
const runSample = (
  model: Model,
  inputs: readonly TypedArray[],
  manifest: ModelManifest | undefined,
  transform: ImageTransform | undefined,
): Promise<{ outputs: Float64Array[]; answer?: PhotoAnswer }> =>
  model.runAsync(inputsFor(model, inputs), {
    consume: (tensors: Tensor[]) => ({
      outputs: tensors.map((t, i) => realValues(t, model.outputs[i]?.quantization)),
      ...(transform &&
        manifest &&
        manifest.task !== 'raw' && {
          answer: { answer: answerTask(manifest, tensors, model.outputs, transform), transform },
        }),
    }),
  });

const summarize = (names: readonly string[], totals: readonly Accumulator[]): OutputFidelity[] =>
  names.map((name, i) => {
    const t = totals[i]!;
    const cosine = t.a === 0 && t.b === 0 ? 1 : t.dot / Math.sqrt(t.a * t.b);
    return {
      name,
      cosine: Number.isFinite(cosine) ? Number(cosine.toFixed(6)) : 0,
      maxAbsError: Number(t.maxAbs.toPrecision(4)),
      rmse: t.count > 0 ? Number(Math.sqrt(t.squares / t.count).toPrecision(4)) : Number.NaN,
    };
  });

const probeOf = (
  references: readonly Reference[],
  samples: SampleSet,
  manifest: ModelManifest | undefined,
  names: readonly string[],
): FidelityProbe => {
  const measure = async (candidate: Model): Promise<Fidelity> => {
    const totals = names.map((): Accumulator => ({ dot: 0, a: 0, b: 0, maxAbs: 0, squares: 0, count: 0 }));
    const pairs: [PhotoAnswer, PhotoAnswer][] = [];
    for (const [s, reference] of references.entries()) {
      const actual = await runSample(candidate, samples.inputs[s]!, manifest, reference.answer?.transform);
      if (reference.answer && actual.answer) pairs.push([reference.answer, actual.answer]);
      reference.outputs.forEach((x, i) => {
        const y = actual.outputs[i];
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
    const task = manifest && compareAnswers(manifest.task, pairs);
    return { outputs: summarize(names, totals), ...(task && { task }) };
  };
  return {
    inputs: samples.inputs.slice(0, references.length),
    source: samples.source,
    manifest,
    measure,
    async measureFile(bytes) {
      const candidate = await loadModel(bytes, { threads: 1 });
      try {
        return await measure(candidate);
      } finally {
        candidate.dispose();
      }
    },
    take: (count) =>
      probeOf(references.slice(0, count), { ...samples, inputs: samples.inputs.slice(0, count) }, manifest, names),
  };
};

/**
 * Runs the reference once over the samples and keeps its outputs (and, for
 * photos of a known task, what the serving pipeline answers): candidates
 * are then compared output by output (cosine, largest error, RMSE, integer
 * outputs dequantized) and answer by answer.
 */
const fidelityProbe = async (
  reference: Model,
  samples: SampleSet,
  manifest?: ModelManifest,
): Promise<FidelityProbe> => {
  const references: Reference[] = [];
  for (const [s, inputs] of samples.inputs.entries()) {
    const { outputs, answer } = await runSample(reference, inputs, manifest, samples.transforms[s]);
    references.push({ outputs: outputs.map((o) => Float32Array.from(o)), ...(answer && { answer }) });
  }
  return probeOf(
    references,
    samples,
    manifest,
    reference.outputs.map((o) => o.name),
  );
};

export type { Fidelity, FidelityProbe };
export { fidelityProbe };
