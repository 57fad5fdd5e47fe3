import type { TypedArray } from '../../dtypes.js';
import { loadModel } from '../../engine/loadModel.js';
import type { TfliteFile } from '../../tflite/readModel.js';
import { writeModel } from '../../tflite/writeModel.js';
import { constantData, nameOf } from '../graph.js';

interface Range {
  min: number;
  max: number;
  /** Mean of each channel (the last axis) over the samples, for bias correction. */
  channelMeans?: Float64Array;
}

type CalibrationMethod = 'minmax' | 'percentile';

const BINS = 2048;

/**
 * A copy of the model whose subgraph outputs are every activation tensor, so
 * that one run shows them all. Returns the copy and each output's name.
 */
const debugModel = (file: TfliteFile): { bytes: Uint8Array; names: string[] } => {
  const { model } = file;
  const subgraph = model.subgraphs[0]!;
  const outputs = new Set<number>(subgraph.outputs);
  for (const op of subgraph.operators) for (const output of op.outputs) if (output >= 0) outputs.add(output);
  const indices = [...outputs].filter((i) => !constantData(model, subgraph.tensors[i]!));
  const saved = subgraph.outputs;
  subgraph.outputs = indices;
  try {
    return {
      bytes: writeModel({ model, trailer: new Uint8Array(0) }),
      names: indices.map((i) => nameOf(subgraph.tensors[i]!, i)),
    };
  } finally {
    subgraph.outputs = saved;
  }
};

/** Runs the debug model on each sample and hands every activation, by name, to `visit`. */
const forEachActivation = async (
  file: TfliteFile,
  samples: readonly TypedArray[][],
  visit: (name: string, values: Float32Array) => void,
  onSample?: (done: number) => void,
): Promise<void> => {
  const { bytes, names } = debugModel(file);
  const model = await loadModel(bytes, { threads: 1 });
  try {
    const inputNames = file.model.subgraphs[0]!.inputs.map((i) => nameOf(file.model.subgraphs[0]!.tensors[i]!, i));
    for (const [index, inputs] of samples.entries()) {
      inputs.forEach((input, i) => {
        if (input instanceof Float32Array) visit(inputNames[i]!, input);
      });
      model.run(inputs, {
        consume: (outputs) => {
          outputs.forEach((tensor, i) => {
            if (tensor.dtype === 'float32') visit(names[i]!, tensor.data as Float32Array);
          });
        },
      });
      onSample?.(index + 1);
    }
  } finally {
    model.dispose();
  }
};

/**
 * The range of every activation over the calibration samples: min/max, or
 * with `percentile` the central `percentile`% of values (a histogram
 * pass after the min/max pass), which ignores rare outliers.
 */
const calibrate = async (
  file: TfliteFile,
  samples: readonly TypedArray[][],
  method: CalibrationMethod,
  percentile = 99.99,
  onSample?: (fraction: number) => void,
): Promise<Map<string, Range>> => {
  const ranges = new Map<string, Range>();
  const counts = new Map<string, number>();
  const passes = method === 'minmax' ? 1 : 2;
  const subgraph = file.model.subgraphs[0]!;
  const channelsOf = new Map(subgraph.tensors.map((t, i) => [nameOf(t, i), Math.max(1, t.shape.at(-1) ?? 1)]));
  await forEachActivation(
    file,
    samples,
    (name, values) => {
      let range = ranges.get(name);
      if (!range) {
        range = {
          min: Number.POSITIVE_INFINITY,
          max: Number.NEGATIVE_INFINITY,
          channelMeans: new Float64Array(channelsOf.get(name) ?? 1),
        };
        ranges.set(name, range);
      }
      const sums = range.channelMeans!;
      const channels = sums.length;
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        if (v < range.min) range.min = v;
        if (v > range.max) range.max = v;
        sums[i % channels]! += v;
      }
      counts.set(name, (counts.get(name) ?? 0) + values.length / channels);
    },
    (done) => onSample?.(done / samples.length / passes),
  );
  for (const [name, range] of ranges) {
    const count = counts.get(name) ?? 1;
    range.channelMeans = range.channelMeans!.map((sum) => sum / count);
  }
  if (method === 'minmax') return ranges;
  const histograms = new Map<string, Float64Array>();
  await forEachActivation(
    file,
    samples,
    (name, values) => {
      const range = ranges.get(name)!;
      let histogram = histograms.get(name);
      if (!histogram) {
        histogram = new Float64Array(BINS);
        histograms.set(name, histogram);
      }
      const width = (range.max - range.min) / BINS || 1;
      for (let i = 0; i < values.length; i++)
        histogram[Math.min(BINS - 1, Math.floor((values[i]! - range.min) / width))]!++;
    },
    (done) => onSample?.(0.5 + done / samples.length / 2),
  );
  for (const [name, histogram] of histograms) {
    const range = ranges.get(name)!;
    const total = histogram.reduce((a, b) => a + b, 0);
    const tail = (total * (100 - percentile)) / 200;
    const width = (range.max - range.min) / BINS;
    let low = 0;
    for (let acc = 0; low < BINS && acc + histogram[low]! <= tail; low++) acc += histogram[low]!;
    let high = BINS - 1;
    for (let acc = 0; high > 0 && acc + histogram[high]! <= tail; high--) acc += histogram[high]!;
    ranges.set(name, { ...range, min: range.min + low * width, max: range.min + (high + 1) * width });
  }
  return ranges;
};

export type { CalibrationMethod, Range };
export { calibrate };
