import type { TensorInfo } from '../engine/types.js';
import { ManifestError } from '../errors.js';
import type { BoxFormat, MetadataSummary } from '../tflite/metadata.js';
import { COCO_EDGES, COCO_KEYPOINTS } from './cocoKeypoints.js';
import { faceDetectionPreset } from './faceDetectionDefaults.js';
import { inputScaling } from './inputScaling.js';
import { type DetectionOutputs, metadataDefaults, type SettingSource } from './metadataDefaults.js';
import { parseManifest, type RawManifest } from './schema.js';
import { taskFromShapes } from './taskFromShapes.js';
import type {
  FaceDetectionSpec,
  ImageInputSpec,
  LandmarksSpec,
  ModelManifest,
  ObjectDetectionSpec,
  Task,
} from './types.js';

type TaskSource = ModelManifest['sources']['task'];

const DEFAULT_MAX_PIXELS = 40_000_000;
/** Panoramas and receipts fit; a 40x1,000,000 strip does not. */
const DEFAULT_MAX_ASPECT_RATIO = 32;

/** Preprocessing each task's reference models were trained with, when model.json says nothing. */
const INPUT_DEFAULTS: Readonly<Record<Task, Omit<ImageInputSpec, 'tensor'>>> = {
  'face-detection': { resize: 'letterbox', range: [-1, 1], channels: 'rgb', color: 'rgb' },
  // SSD MobileNet and EfficientDet-Lite: the whole photo stretched, pixels to [-1, 1] (uint8 inputs through their
  // own quantization, which maps back to it).
  'object-detection': { resize: 'stretch', range: [-1, 1], channels: 'rgb', color: 'rgb' },
  landmarks: { resize: 'letterbox', range: [0, 1], channels: 'rgb', color: 'rgb' },
  segmentation: { resize: 'stretch', range: [0, 1], channels: 'rgb', color: 'rgb' },
  classification: { resize: 'stretch', range: [0, 1], channels: 'rgb', color: 'rgb' },
  raw: { resize: 'stretch', range: [0, 1], channels: 'rgb', color: 'rgb' },
};

interface ModelIo {
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  /** The file's TFLite Metadata: defaults for what model.json leaves out. */
  readonly metadata?: MetadataSummary | null;
}

/** The index of a tensor named or numbered in model.json; throws when it does not exist. */
const resolveTensor = (tensors: readonly TensorInfo[], ref: string | number, kind: string): number => {
  const index = typeof ref === 'number' ? ref : tensors.findIndex((t) => t.name === ref);
  if (index < 0 || index >= tensors.length) {
    throw new ManifestError(
      `model.json names ${kind} ${JSON.stringify(ref)}, but the model's ${kind}s are ${tensors.map((t) => JSON.stringify(t.name)).join(', ')}`,
    );
  }
  return index;
};

const faceDetection = (raw: RawManifest, io: ModelIo, input: ImageInputSpec): FaceDetectionSpec => {
  const image = io.inputs[resolveTensor(io.inputs, input.tensor, 'input')]!;
  const [, height = 0, width = 0] = image.shape;
  const preset = faceDetectionPreset(width, height);
  const declared = raw.faceDetection?.anchors;
  if (!preset && !declared?.strides) {
    throw new ManifestError(
      `no built-in anchors for a ${width}x${height} face detector; set faceDetection.anchors in model.json`,
    );
  }
  const anchors = {
    ...(preset?.anchors ?? faceDetectionPreset(128, 128)!.anchors),
    inputWidth: width,
    inputHeight: height,
    ...declared,
  };
  if (anchors.strides.length !== anchors.numLayers) {
    throw new ManifestError(
      `faceDetection.anchors has ${anchors.strides.length} strides for ${anchors.numLayers} layers`,
    );
  }
  // BlazeFace names its outputs regressors (boxes + keypoints) and classificators (scores).
  const byName = (name: string, fallback: number): string | number =>
    io.outputs.some((o) => o.name === name) ? name : fallback;
  const boxesOutput = raw.faceDetection?.boxesOutput ?? byName('regressors', 0);
  const scoresOutput = raw.faceDetection?.scoresOutput ?? byName('classificators', 1);
  const boxes = io.outputs[resolveTensor(io.outputs, boxesOutput, 'output')]!;
  resolveTensor(io.outputs, scoresOutput, 'output');
  const coords = boxes.shape[boxes.shape.length - 1] ?? 4;
  return {
    anchors,
    boxesOutput,
    scoresOutput,
    numKeypoints: raw.faceDetection?.numKeypoints ?? Math.max(0, Math.floor((coords - 4) / 2)),
    boxCoordOffset: 0,
    keypointCoordOffset: 4,
    valuesPerKeypoint: 2,
    scale: raw.faceDetection?.scale ?? [width, height, width, height],
    scoreClipping: 100,
    minScore: raw.threshold ?? preset?.minScore ?? 0.5,
    iouThreshold: raw.iouThreshold ?? 0.3,
    maxDetections: raw.maxDetections ?? 100,
  };
};

/** TFLite_Detection_PostProcess's boxes: [ymin, xmin, ymax, xmax], normalized to the input. */
const POSTPROCESS_BOXES: BoxFormat = { index: [1, 0, 3, 2], type: 'boundaries', coordinates: 'ratio' };

/**
 * The four outputs of TFLite_Detection_PostProcess: by model.json, else by
 * their tensor metadata (the Task Library's ObjectDetector layout), else by
 * tensor name (boxes/location, classes, scores, num/count), else in the op's
 * own order (boxes, classes, scores, count).
 */
const objectDetection = (
  raw: RawManifest,
  io: ModelIo,
  fromMetadata: DetectionOutputs | undefined,
): ObjectDetectionSpec => {
  if (io.outputs.length < 4)
    throw new ManifestError(
      `task object-detection needs the four outputs of TFLite_Detection_PostProcess (boxes, classes, scores, count); this model has ${io.outputs.length}`,
    );
  const named = (pattern: RegExp, fallback: number): string | number =>
    io.outputs.find((o) => pattern.test(o.name))?.name ?? fallback;
  const given = raw.objectDetection;
  const spec: ObjectDetectionSpec = {
    boxesOutput: given?.boxesOutput ?? fromMetadata?.boxes ?? named(/box|location/i, 0),
    classesOutput: given?.classesOutput ?? fromMetadata?.classes ?? named(/class/i, 1),
    scoresOutput: given?.scoresOutput ?? fromMetadata?.scores ?? named(/score/i, 2),
    countOutput: given?.countOutput ?? fromMetadata?.count ?? named(/num|count/i, 3),
    box: fromMetadata?.box ?? POSTPROCESS_BOXES,
    labelOffset: given?.labelOffset ?? 0,
    minScore: raw.threshold ?? 0.5,
    maxDetections: raw.maxDetections ?? 25,
  };
  for (const ref of [spec.boxesOutput, spec.classesOutput, spec.scoresOutput, spec.countOutput])
    resolveTensor(io.outputs, ref, 'output');
  return spec;
};

/**
 * model.json's point names and skeleton; for a MoveNet-style output of 17
 * points that names none, COCO's (MoveNet's own order).
 */
const landmarkNames = (
  raw: RawManifest,
  layout: 'xyz' | 'yx-score',
  shape: readonly number[],
): Pick<LandmarksSpec, 'names' | 'edges'> => {
  const given = raw.landmarks;
  if (given?.names || given?.edges)
    return { ...(given.names && { names: given.names }), ...(given.edges && { edges: given.edges }) };
  return layout === 'yx-score' && shape[2] === COCO_KEYPOINTS.length
    ? { names: COCO_KEYPOINTS, edges: COCO_EDGES }
    : {};
};

/** The image preprocessing a model.json declares (task defaults filled in), without the model at hand. */
const imageInputSpec = (json: unknown): ImageInputSpec => {
  const manifest = parseManifest(json);
  return { ...INPUT_DEFAULTS[manifest.task], tensor: 0, ...manifest.input };
};

/**
 * Validates a model.json (or its absence) against the model it describes
 * and fills in the defaults. `readLabels` fetches a labels file named in it.
 */
const resolveManifest = async (
  json: unknown,
  io: ModelIo,
  readLabels: (file: string) => Promise<string>,
): Promise<ModelManifest> => {
  const parsed = parseManifest(json);
  // model.json wins key by key; what it leaves out comes from the metadata, then the task defaults.
  const given = (json ?? {}) as { task?: unknown; labels?: unknown; input?: Record<string, unknown> };
  const meta = metadataDefaults(io.metadata, io);
  const shaped = taskFromShapes(io);
  const taskFrom: TaskSource =
    given.task !== undefined ? 'model.json' : meta.task ? 'metadata' : shaped ? 'tensor' : 'default';
  const implied = { metadata: meta.task, tensor: shaped } as const;
  const raw: RawManifest = {
    ...parsed,
    ...((taskFrom === 'metadata' || taskFrom === 'tensor') && { task: implied[taskFrom]! }),
  };
  const scaleGiven = ['range', 'mean', 'std'].some((key) => given.input?.[key] !== undefined);
  // Only where it acts: elsewhere it would be a setting that silently does nothing.
  if (raw.activation !== undefined && raw.task !== 'classification' && raw.task !== 'segmentation')
    throw new ManifestError(
      `model.json activation applies to classification and segmentation scores, not to task ${raw.task}${raw.task === 'landmarks' ? '; for visibility and presence use landmarks.activation' : ''}`,
    );
  const defaults = INPUT_DEFAULTS[raw.task];
  const imageTensor = io.inputs[resolveTensor(io.inputs, raw.input?.tensor ?? 0, 'input')];
  const scaling = inputScaling(imageTensor, meta.normalization, defaults);
  const inputFrom: SettingSource = scaleGiven ? 'model.json' : scaling.from;
  const input: ImageInputSpec = {
    ...defaults,
    tensor: 0,
    ...(!scaleGiven && scaling.scaling),
    ...raw.input,
  };
  if ((input.mean === undefined) !== (input.std === undefined))
    throw new ManifestError('model.json input.mean and input.std go together');
  let labels: readonly string[] | undefined;
  if (typeof raw.labels === 'string') {
    try {
      const lines = (await readLabels(raw.labels)).split(/\r?\n/);
      if (lines.at(-1) === '') lines.pop();
      labels = lines;
    } catch (error) {
      throw new ManifestError(
        `model.json names labels file ${raw.labels}, which cannot be read: ${(error as Error).message}`,
      );
    }
  } else if (raw.labels) {
    labels = raw.labels;
  } else if (meta.labels) {
    labels = meta.labels;
  }
  const labelsFrom: SettingSource = given.labels !== undefined ? 'model.json' : labels ? 'metadata' : 'default';
  const output = raw.output ?? 0;
  const outputIndex = resolveTensor(io.outputs, output, 'output');
  const outputShape = io.outputs[outputIndex]!.shape;
  // MoveNet's single-pose output: [1, 1, 17, 3], each keypoint (y, x, score).
  const moveNetShaped =
    outputShape.length === 4 && outputShape[0] === 1 && outputShape[1] === 1 && outputShape[3] === 3;
  const layout = raw.landmarks?.layout ?? (moveNetShaped ? 'yx-score' : 'xyz');
  if (layout === 'yx-score' && raw.landmarks?.dims !== undefined && raw.landmarks.dims !== 3)
    throw new ManifestError('model.json landmarks.layout yx-score has 3 values per point; drop landmarks.dims');
  if (raw.landmarks?.names || raw.landmarks?.edges) {
    const elements = io.outputs[outputIndex]!.shape.reduce((n, d) => n * Math.max(1, d), 1);
    const points = Math.floor(elements / (layout === 'yx-score' ? 3 : (raw.landmarks.dims ?? 3)));
    if (raw.landmarks.names && raw.landmarks.names.length !== points)
      throw new ManifestError(
        `model.json landmarks.names has ${raw.landmarks.names.length} names for the output's ${points} points`,
      );
    const outside = raw.landmarks.edges?.find(([a, b]) => a >= points || b >= points);
    if (outside)
      throw new ManifestError(
        `model.json landmarks.edges joins [${outside.join(', ')}]; the output has ${points} points`,
      );
  }
  const manifest: ModelManifest = {
    task: raw.task,
    input,
    sources: { task: taskFrom, labels: labelsFrom, input: inputFrom },
    ...(labels && { labels }),
    maxPixels: raw.maxPixels ?? DEFAULT_MAX_PIXELS,
    maxAspectRatio: raw.maxAspectRatio ?? DEFAULT_MAX_ASPECT_RATIO,
    classification: {
      output,
      activation: raw.activation ?? 'none',
      topK: raw.topK ?? 5,
      threshold: raw.threshold ?? 0,
    },
    segmentation: { output, activation: raw.activation ?? 'none' },
    landmarks: {
      output,
      layout,
      dims: layout === 'yx-score' ? 3 : (raw.landmarks?.dims ?? 3),
      activation: raw.landmarks?.activation ?? 'sigmoid',
      ...landmarkNames(raw, layout, io.outputs[outputIndex]!.shape),
    },
  };
  if (raw.task === 'object-detection')
    return { ...manifest, objectDetection: objectDetection(raw, io, meta.detection) };
  return raw.task === 'face-detection' ? { ...manifest, faceDetection: faceDetection(raw, io, input) } : manifest;
};

export type { ModelIo };
export { imageInputSpec, resolveManifest, resolveTensor };
