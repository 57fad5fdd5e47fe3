import { z } from 'zod';

/**
 * model.json as users write it. Every field is optional but `task`; unknown
 * keys are errors, so that a typo does not silently fall back to a default
 * and skew preprocessing.
 */
const tensorRef = z.union([z.string().min(1), z.number().int().min(0)]);
const positive = z.number().positive();

const anchorsSchema = z.strictObject({
  numLayers: z.number().int().min(1).optional(),
  minScale: positive.optional(),
  maxScale: positive.optional(),
  inputWidth: z.number().int().min(1).optional(),
  inputHeight: z.number().int().min(1).optional(),
  offsetX: z.number().optional(),
  offsetY: z.number().optional(),
  strides: z.array(z.number().int().min(1)).min(1).optional(),
  aspectRatios: z.array(positive).min(1).optional(),
  fixedAnchorSize: z.boolean().optional(),
  interpolatedScaleAspectRatio: z.number().min(0).optional(),
});

const manifestSchema = z.strictObject({
  task: z
    .enum(['raw', 'classification', 'face-detection', 'object-detection', 'landmarks', 'segmentation'])
    .default('raw'),
  description: z.string().optional(),
  input: z
    .strictObject({
      resize: z.enum(['stretch', 'letterbox', 'crop']).optional(),
      range: z.tuple([z.number(), z.number()]).optional(),
      mean: z.array(z.number()).min(1).max(4).optional(),
      std: z.array(positive).min(1).max(4).optional(),
      channels: z.enum(['rgb', 'bgr']).optional(),
      color: z.enum(['rgb', 'grayscale']).optional(),
      tensor: tensorRef.optional(),
    })
    .optional(),
  /** A file beside model.tflite (one label per line), or the labels themselves. */
  labels: z.union([z.string().regex(/^[\w.-]+$/, 'a file name beside model.tflite'), z.array(z.string())]).optional(),
  threshold: z.number().min(0).max(1).optional(),
  iouThreshold: z.number().min(0).max(1).optional(),
  topK: z.number().int().min(1).max(1000).optional(),
  maxDetections: z.number().int().min(1).max(10000).optional(),
  maxPixels: z
    .number()
    .int()
    .min(1)
    .max(2 ** 31)
    .optional(),
  /** Longest side over shortest side of an image: beyond it, resizing costs out of all proportion to the pixels. */
  maxAspectRatio: z.number().min(1).max(10000).optional(),
  output: tensorRef.optional(),
  activation: z.enum(['none', 'sigmoid', 'softmax']).optional(),
  landmarks: z
    .strictObject({
      dims: z.number().int().min(2).max(8).optional(),
      /** On visibility and presence: MediaPipe's models give logits, its graphs apply a sigmoid. */
      activation: z.enum(['none', 'sigmoid']).optional(),
      /**
       * xyz: x, y (z...) in input pixels (MediaPipe); yx-score: y, x normalized to [0, 1] of the input,
       * then a score (MoveNet's [1, 1, 17, 3]). Default: yx-score for a [1, 1, N, 3] output, else xyz.
       */
      layout: z.enum(['xyz', 'yx-score']).optional(),
      /** A name per point, for clients that label them. */
      names: z.array(z.string().min(1).max(64)).max(1000).optional(),
      /** Point index pairs a client joins to draw the skeleton. */
      edges: z
        .array(z.tuple([z.number().int().min(0), z.number().int().min(0)]))
        .max(4000)
        .optional(),
    })
    .optional(),
  /** TFLite_Detection_PostProcess outputs (SSD, EfficientDet-Lite): which is which, when names do not say. */
  objectDetection: z
    .strictObject({
      boxesOutput: tensorRef.optional(),
      classesOutput: tensorRef.optional(),
      scoresOutput: tensorRef.optional(),
      countOutput: tensorRef.optional(),
      /** Added to a class index before it is looked up in the labels (1 when labels start with a background). */
      labelOffset: z.number().int().min(-1).max(1).optional(),
    })
    .optional(),
  faceDetection: z
    .strictObject({
      anchors: anchorsSchema.optional(),
      boxesOutput: tensorRef.optional(),
      scoresOutput: tensorRef.optional(),
      numKeypoints: z.number().int().min(0).optional(),
      scale: z.tuple([positive, positive, positive, positive]).optional(),
    })
    .optional(),
});

type RawManifest = z.infer<typeof manifestSchema>;

export type { RawManifest };
export { manifestSchema };
