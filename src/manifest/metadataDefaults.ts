import type { TensorInfo } from '../engine/types.js';
import type { BoxFormat, MetadataSummary, OutputMetadata } from '../tflite/metadata.js';
import type { Task } from './types.js';

/**
 * Where a serving setting came from, as tfls inspect and the model metadata
 * report it; `tensor` is what the tensors themselves say (a uint8 image
 * input takes the pixel bytes as they are; an output's shape names its task).
 */
type SettingSource = 'model.json' | 'metadata' | 'tensor' | 'default';

/** Which output is which in a detector's answer, by output index. */
interface DetectionOutputs {
  readonly boxes?: number;
  readonly classes?: number;
  readonly scores?: number;
  readonly count?: number;
  readonly box?: BoxFormat;
}

interface MetadataDefaults {
  readonly task?: Task;
  readonly labels?: readonly string[];
  readonly normalization?: { readonly mean: readonly number[]; readonly std: readonly number[] };
  readonly detection?: DetectionOutputs;
}

const elements = (shape: readonly number[]): number => shape.reduce((n, d) => n * Math.max(1, d), 1);

/**
 * The ObjectDetector layout of the Task Library: four outputs whose tensor
 * metadata names them (location, category, score, number of detections;
 * tflite-support's writer says locations, classes, scores) or marks them
 * (bounding-box content; value labels on the classes).
 */
const detectionOutputs = (outputs: readonly OutputMetadata[]): DetectionOutputs | undefined => {
  const find = (test: (output: OutputMetadata) => boolean): number | undefined => {
    const index = outputs.findIndex(test);
    return index >= 0 ? index : undefined;
  };
  const named = (pattern: RegExp) => (output: OutputMetadata) => pattern.test(output.name ?? '');
  const boxes = find((o) => o.content === 'box') ?? find(named(/location|box/i));
  if (boxes === undefined) return undefined;
  const classes = find((o) => o.labels?.kind === 'value') ?? find(named(/class|categor/i));
  const box = outputs[boxes]!.box;
  return {
    boxes,
    ...(classes !== undefined && { classes }),
    ...(find(named(/score/i)) !== undefined && { scores: find(named(/score/i))! }),
    ...(find(named(/number|num_|count/i)) !== undefined && { count: find(named(/number|num_|count/i))! }),
    ...(box && { box }),
  };
};

/**
 * What TFLite Metadata says about serving, as the Task Library reads it: the
 * task from the output tensors' metadata (bounding boxes: ObjectDetector; an
 * image-content output: ImageSegmenter) or the model's name (the metadata
 * writers name models ImageClassifier, ObjectDetector, ImageSegmenter...) or,
 * failing that, a single output with one score per label; the labels file;
 * the input's NormalizationOptions (which resolveManifest applies to float
 * and int8 inputs); which detector output is which.
 */
const metadataDefaults = (
  metadata: MetadataSummary | null | undefined,
  io: { readonly inputs: readonly TensorInfo[]; readonly outputs: readonly TensorInfo[] },
): MetadataDefaults => {
  if (!metadata) return {};
  const name = metadata.name ?? '';
  const labels = metadata.labels ?? undefined;
  const single = io.outputs.length === 1 ? elements(io.outputs[0]!.shape) : 0;
  const outputs = metadata.outputs ?? [];
  const detection = io.outputs.length === 4 ? detectionOutputs(outputs) : undefined;
  const task: Task | undefined =
    detection || (/detect/i.test(name) && io.outputs.length === 4)
      ? 'object-detection'
      : /segment/i.test(name) || (io.outputs.length === 1 && outputs[0]?.content === 'image')
        ? 'segmentation'
        : /classif/i.test(name) || (labels && (single === labels.length || single === labels.length + 1))
          ? 'classification'
          : undefined;
  return {
    ...(task && { task }),
    ...(labels && { labels }),
    ...(metadata.normalization && { normalization: metadata.normalization }),
    ...(detection && { detection }),
  };
};

export type { DetectionOutputs, MetadataDefaults, SettingSource };
export { metadataDefaults };
