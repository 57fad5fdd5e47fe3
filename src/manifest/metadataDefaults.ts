import type { TensorInfo } from '../engine/types.js';
import type { MetadataSummary } from '../tflite/metadata.js';
import type { Task } from './types.js';

/** Where a serving setting came from, as tfls inspect and the model metadata report it. */
type SettingSource = 'model.json' | 'metadata' | 'default';

interface MetadataDefaults {
  readonly task?: Task;
  readonly labels?: readonly string[];
  readonly normalization?: { readonly mean: readonly number[]; readonly std: readonly number[] };
}

const elements = (shape: readonly number[]): number => shape.reduce((n, d) => n * Math.max(1, d), 1);

/**
 * What TFLite Metadata says about serving, as the Task Library reads it: the
 * task from the model's name (the metadata writers name models
 * ImageClassifier, ObjectDetector, ImageSegmenter...) or, failing that, a single output with
 * one score per label; the labels file; the input's NormalizationOptions,
 * for float inputs only (integer inputs take raw pixels through their own
 * quantization).
 */
const metadataDefaults = (
  metadata: MetadataSummary | null | undefined,
  io: { readonly inputs: readonly TensorInfo[]; readonly outputs: readonly TensorInfo[] },
): MetadataDefaults => {
  if (!metadata) return {};
  const name = metadata.name ?? '';
  const labels = metadata.labels ?? undefined;
  const single = io.outputs.length === 1 ? elements(io.outputs[0]!.shape) : 0;
  const task: Task | undefined = /segment/i.test(name)
    ? 'segmentation'
    : /detect/i.test(name) && io.outputs.length === 4
      ? 'object-detection'
      : /classif/i.test(name) || (labels && (single === labels.length || single === labels.length + 1))
        ? 'classification'
        : undefined;
  const input = io.inputs[0];
  const float = input?.dtype === 'float32' || input?.dtype === 'float16';
  return {
    ...(task && { task }),
    ...(labels && { labels }),
    ...(metadata.normalization && float && { normalization: metadata.normalization }),
  };
};

export type { MetadataDefaults, SettingSource };
export { metadataDefaults };
