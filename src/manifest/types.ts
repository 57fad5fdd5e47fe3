import type { BoxFormat } from '../tflite/metadata.js';

/** The tasks a model can declare in its model.json; they choose the post-processing of image requests. */
type Task = 'raw' | 'classification' | 'face-detection' | 'object-detection' | 'landmarks' | 'segmentation';

/** How an image becomes the model's input tensor. */
interface ImageInputSpec {
  /** stretch: fill ignoring aspect; letterbox: fit inside and pad with black; crop: fill and crop the centre. */
  readonly resize: 'stretch' | 'letterbox' | 'crop';
  /** Pixels 0..255 map linearly onto [min, max] (ignored when mean/std are given). */
  readonly range: readonly [number, number];
  /** Per-channel (x - mean) / std on 0..255 pixels, as TFLite metadata's NormalizationOptions. */
  readonly mean?: readonly number[];
  readonly std?: readonly number[];
  readonly channels: 'rgb' | 'bgr';
  readonly color: 'rgb' | 'grayscale';
  /** Which model input takes the image (name or index). */
  readonly tensor: string | number;
}

/** SSD anchors as MediaPipe's SsdAnchorsCalculator generates them. */
interface AnchorSpec {
  readonly numLayers: number;
  readonly minScale: number;
  readonly maxScale: number;
  readonly inputWidth: number;
  readonly inputHeight: number;
  readonly offsetX: number;
  readonly offsetY: number;
  readonly strides: readonly number[];
  readonly aspectRatios: readonly number[];
  readonly fixedAnchorSize: boolean;
  readonly interpolatedScaleAspectRatio: number;
}

/** Box and keypoint decoding as MediaPipe's TensorsToDetectionsCalculator does it. */
interface FaceDetectionSpec {
  readonly anchors: AnchorSpec;
  /** The regressors and scores outputs (names or indices). */
  readonly boxesOutput: string | number;
  readonly scoresOutput: string | number;
  readonly numKeypoints: number;
  readonly boxCoordOffset: number;
  readonly keypointCoordOffset: number;
  readonly valuesPerKeypoint: number;
  /** Divisors of raw coordinates (the input size). */
  readonly scale: readonly [x: number, y: number, w: number, h: number];
  readonly scoreClipping: number;
  readonly minScore: number;
  readonly iouThreshold: number;
  readonly maxDetections: number;
}

/** The four outputs of TFLite_Detection_PostProcess, by name or index. */
interface ObjectDetectionSpec {
  readonly boxesOutput: string | number;
  readonly classesOutput: string | number;
  readonly scoresOutput: string | number;
  readonly countOutput: string | number;
  /** How each box is stored (the metadata's BoundingBoxProperties; TFLite_Detection_PostProcess's by default). */
  readonly box: BoxFormat;
  readonly labelOffset: number;
  readonly minScore: number;
  readonly maxDetections: number;
}

interface LandmarksSpec {
  readonly output: string | number;
  /** Values per point: 3 (x, y, z) or 5 (x, y, z, visibility, presence). */
  readonly dims: number;
  /** Applied to visibility and presence: sigmoid (probabilities, as MediaPipe reports them) or none (logits). */
  readonly activation: 'none' | 'sigmoid';
  /** xyz: input pixels, x first (MediaPipe); yx-score: normalized y, x and a score (MoveNet). */
  readonly layout: 'xyz' | 'yx-score';
  readonly names?: readonly string[];
  readonly edges?: readonly (readonly [number, number])[];
}

interface ScoresSpec {
  readonly output: string | number;
  readonly activation: 'none' | 'sigmoid' | 'softmax';
}

/** A model.json after validation, with every default filled in. */
interface ModelManifest {
  readonly task: Task;
  readonly input: ImageInputSpec;
  /**
   * Where the task, the labels and the input scaling came from: model.json,
   * the TFLite Metadata, the input tensor (uint8 pixels as they are), or the defaults.
   */
  readonly sources: {
    readonly task: 'model.json' | 'metadata' | 'tensor' | 'default';
    readonly labels: 'model.json' | 'metadata' | 'default';
    readonly input: 'model.json' | 'metadata' | 'tensor' | 'default';
  };
  readonly labels?: readonly string[];
  /** Largest decoded image, in pixels. */
  readonly maxPixels: number;
  /** Largest ratio of an image's long side to its short side. */
  readonly maxAspectRatio: number;
  readonly classification: ScoresSpec & { readonly topK: number; readonly threshold: number };
  readonly segmentation: ScoresSpec;
  readonly landmarks: LandmarksSpec;
  readonly faceDetection?: FaceDetectionSpec;
  readonly objectDetection?: ObjectDetectionSpec;
}

export type {
  AnchorSpec,
  FaceDetectionSpec,
  ImageInputSpec,
  LandmarksSpec,
  ModelManifest,
  ObjectDetectionSpec,
  ScoresSpec,
  Task,
};
