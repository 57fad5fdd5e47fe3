import { benchmarkModel } from '../bench/benchmarkModel.js';
import type { Model } from '../engine/types.js';
import { readModel, type TfliteFile } from '../tflite/readModel.js';
import { dynamicRange } from './dynamicRange.js';
import { expandFloat16 } from './expandFloat16.js';
import { customOps, untouched } from './leftAlone.js';
import { nothingToDo, stillPossible } from './precision.js';
import { float32Bytes, tensorBytesByType } from './sizes.js';
import { toFloat16 } from './toFloat16.js';
import type { CompressMode, CompressReport, ModelPrecision } from './types.js';

/**
 * Why the mode has nothing to rewrite in this model, or undefined when it
 * has: float32 without float16 constants, float16 without float32 ones (a
 * float16 file rewritten as float16 is the same model), dynamic without
 * float weights to make int8, int8 on a model that computes in integers.
 */
const nothingToRewrite = (input: Uint8Array, mode: CompressMode, precision: ModelPrecision): string | undefined => {
  const file = readModel(input);
  const none =
    mode === 'int8'
      ? precision.kind === 'full-integer'
      : mode === 'float32'
        ? expandFloat16(file.model).tensors.length === 0
        : mode === 'float16'
          ? toFloat16(file.model).tensors.length === 0
          : !dynamicRange(file.model).tensors.some((t) => t.to.startsWith('int8'));
  return none ? nothingToDo(mode, precision) : undefined;
};

/** The report of a mode with nothing to do: the input as it is, measured once, recommending nothing. */
const unchangedReport = async (
  input: Uint8Array,
  original: TfliteFile,
  reference: Model,
  mode: CompressMode,
  precision: ModelPrecision,
  reason: string,
): Promise<CompressReport> => {
  // One short measurement: there is nothing to compare it with.
  const p50 = (await benchmarkModel(input, { threads: 1, runs: 10 })).p50Ms;
  const baseline = float32Bytes(original);
  const instead = stillPossible(precision);
  return {
    mode,
    inputBytes: input.length,
    outputBytes: input.length,
    float32Bytes: baseline,
    ratio: Number((baseline / input.length).toFixed(3)),
    ratioToInput: 1,
    constantBytes: { before: tensorBytesByType(original), after: tensorBytesByType(original) },
    tensors: [],
    skipped: untouched(original),
    customOps: customOps(original),
    fidelity: {
      samples: 0,
      source: 'none: the output is the input, byte for byte',
      outputs: reference.outputs.map((o) => ({ name: o.name, cosine: 1, maxAbsError: 0, rmse: 0 })),
    },
    latency: {
      engine: reference.engine,
      delegate: reference.delegate,
      beforeP50Ms: p50,
      afterP50Ms: p50,
      verdict: 'unchanged file',
      summary: 'the output is the input, byte for byte',
    },
    inputPrecision: precision,
    unchanged: { reason, instead },
    verdict: `Nothing to do: the model is already ${precision.description}`,
    recommendation: `Nothing to do. ${reason} The output is the input, byte for byte. ${instead}`,
  };
};

export { nothingToRewrite, unchangedReport };
