import * as z from 'zod/mini';
import { ManifestError } from '../errors.js';
import './zodMessages.js';

/**
 * model.json as users write it. Every field is optional but `task`; unknown
 * keys are errors, so that a typo does not silently fall back to a default
 * and skew preprocessing.
 *
 * zod's tree-shakable "mini" form: the predict function parses model.json at
 * every cold start, and the classic form's 450 KB cost that start ~40 ms to
 * compile and evaluate.
 */
const int = (min: number, max?: number) =>
  z.int().check(...(max === undefined ? [z.minimum(min)] : [z.minimum(min), z.maximum(max)]));
const tensorRef = z.union([z.string().check(z.minLength(1)), int(0)]);
const positive = z.number().check(z.positive());
const unit = z.number().check(z.minimum(0), z.maximum(1));

const anchorsSchema = z.strictObject({
  numLayers: z.optional(int(1)),
  minScale: z.optional(positive),
  maxScale: z.optional(positive),
  inputWidth: z.optional(int(1)),
  inputHeight: z.optional(int(1)),
  offsetX: z.optional(z.number()),
  offsetY: z.optional(z.number()),
  strides: z.optional(z.array(int(1)).check(z.minLength(1))),
  aspectRatios: z.optional(z.array(positive).check(z.minLength(1))),
  fixedAnchorSize: z.optional(z.boolean()),
  interpolatedScaleAspectRatio: z.optional(z.number().check(z.minimum(0))),
});

const manifestSchema = z.strictObject({
  task: z._default(
    z.enum(['raw', 'classification', 'face-detection', 'object-detection', 'landmarks', 'segmentation']),
    'raw',
  ),
  description: z.optional(z.string()),
  input: z.optional(
    z.strictObject({
      resize: z.optional(z.enum(['stretch', 'letterbox', 'crop'])),
      range: z.optional(z.tuple([z.number(), z.number()])),
      mean: z.optional(z.array(z.number()).check(z.minLength(1), z.maxLength(4))),
      std: z.optional(z.array(positive).check(z.minLength(1), z.maxLength(4))),
      channels: z.optional(z.enum(['rgb', 'bgr'])),
      color: z.optional(z.enum(['rgb', 'grayscale'])),
      tensor: z.optional(tensorRef),
    }),
  ),
  /** A file beside model.tflite (one label per line), or the labels themselves. */
  labels: z.optional(
    z.union([z.string().check(z.regex(/^[\w.-]+$/, 'a file name beside model.tflite')), z.array(z.string())]),
  ),
  threshold: z.optional(unit),
  iouThreshold: z.optional(unit),
  topK: z.optional(int(1, 1000)),
  maxDetections: z.optional(int(1, 10000)),
  maxPixels: z.optional(int(1, 2 ** 31)),
  /** Longest side over shortest side of an image: beyond it, resizing costs out of all proportion to the pixels. */
  maxAspectRatio: z.optional(z.number().check(z.minimum(1), z.maximum(10000))),
  output: z.optional(tensorRef),
  activation: z.optional(z.enum(['none', 'sigmoid', 'softmax'])),
  landmarks: z.optional(
    z.strictObject({
      dims: z.optional(int(2, 8)),
      /** On visibility and presence: MediaPipe's models give logits, its graphs apply a sigmoid. */
      activation: z.optional(z.enum(['none', 'sigmoid'])),
      /**
       * xyz: x, y (z...) in input pixels (MediaPipe); yx-score: y, x normalized to [0, 1] of the input,
       * then a score (MoveNet's [1, 1, 17, 3]). Default: yx-score for a [1, 1, N, 3] output, else xyz.
       */
      layout: z.optional(z.enum(['xyz', 'yx-score'])),
      /** A name per point, for clients that label them. */
      names: z.optional(z.array(z.string().check(z.minLength(1), z.maxLength(64))).check(z.maxLength(1000))),
      /** Point index pairs a client joins to draw the skeleton. */
      edges: z.optional(z.array(z.tuple([int(0), int(0)])).check(z.maxLength(4000))),
    }),
  ),
  /** TFLite_Detection_PostProcess outputs (SSD, EfficientDet-Lite): which is which, when names do not say. */
  objectDetection: z.optional(
    z.strictObject({
      boxesOutput: z.optional(tensorRef),
      classesOutput: z.optional(tensorRef),
      scoresOutput: z.optional(tensorRef),
      countOutput: z.optional(tensorRef),
      /** Added to a class index before it is looked up in the labels (1 when labels start with a background). */
      labelOffset: z.optional(int(-1, 1)),
    }),
  ),
  faceDetection: z.optional(
    z.strictObject({
      anchors: z.optional(anchorsSchema),
      boxesOutput: z.optional(tensorRef),
      scoresOutput: z.optional(tensorRef),
      numKeypoints: z.optional(int(0)),
      scale: z.optional(z.tuple([positive, positive, positive, positive])),
    }),
  ),
});

type RawManifest = z.infer<typeof manifestSchema>;

/** Parses a model.json (or its absence); a ManifestError saying every problem on one line. */
const parseManifest = (json: unknown): RawManifest => {
  const parsed = z.safeParse(manifestSchema, json ?? {});
  if (!parsed.success)
    throw new ManifestError(`invalid model.json: ${z.prettifyError(parsed.error).replace(/\n\s*/g, ' ')}`);
  return parsed.data;
};

export type { RawManifest };
export { manifestSchema, parseManifest };
