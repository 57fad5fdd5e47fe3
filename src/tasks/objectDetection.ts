import type { Tensor, TensorInfo } from '../engine/types.js';
import { InferenceError } from '../errors.js';
import { type ImageTransform, normalizedToSource } from '../image/geometry.js';
import type { ModelManifest } from '../manifest/types.js';
import type { BoxFormat } from '../tflite/metadata.js';
import { pickOutput, realValues, round2, round4 } from './outputs.js';

interface ObjectDetection {
  readonly label: string;
  /** The class index as the model gives it. */
  readonly index: number;
  readonly score: number;
  /** In original-image pixels. */
  readonly box: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
}

/** A stored box's corners, normalized to the input, read in the layout the metadata gives. */
const corners = (
  box: BoxFormat,
  values: Float64Array,
  at: number,
  transform: ImageTransform,
): { left: number; top: number; right: number; bottom: number } => {
  const [a, b, c, d] = box.index.map((position) => values[at + position]!) as [number, number, number, number];
  const [x0, y0, x1, y1] =
    box.type === 'boundaries'
      ? [a, b, c, d]
      : box.type === 'upper-left'
        ? [a, b, a + c, b + d]
        : [a - c / 2, b - d / 2, a + c / 2, b + d / 2];
  const [sx, sy] = box.coordinates === 'pixel' ? [transform.inputWidth, transform.inputHeight] : [1, 1];
  return { left: x0 / sx, top: y0 / sy, right: x1 / sx, bottom: y1 / sy };
};

/**
 * TFLite_Detection_PostProcess's answer (already past non-maximum
 * suppression): boxes (by default [ymin, xmin, ymax, xmax] normalized to the
 * input; otherwise as the metadata's BoundingBoxProperties say), class
 * indices, scores and the count. Kept above the threshold, best
 * first, at most maxDetections, mapped back through the resize to
 * original pixels and clipped to the photo, labeled from the labels.
 */
const detectObjects = (
  manifest: ModelManifest,
  outputs: readonly Tensor[],
  infos: readonly TensorInfo[],
  transform: ImageTransform,
): ObjectDetection[] => {
  const spec = manifest.objectDetection!;
  const values = (ref: string | number): Float64Array => {
    const tensor = pickOutput(outputs, ref);
    return realValues(tensor, infos.find((i) => i.name === tensor.name)?.quantization);
  };
  const boxes = values(spec.boxesOutput);
  const classes = values(spec.classesOutput);
  const scores = values(spec.scoresOutput);
  const count = Math.round(values(spec.countOutput)[0] ?? 0);
  const n = Math.min(count, scores.length, classes.length, Math.floor(boxes.length / 4));
  if (n < 0 || !Number.isFinite(n))
    throw new InferenceError(`the detection count ${count} is not a number of detections`);
  const detections: ObjectDetection[] = [];
  const { sourceWidth, sourceHeight } = transform;
  for (let i = 0; i < n; i++) {
    const score = scores[i]!;
    if (!(score >= spec.minScore)) continue;
    const box = corners(spec.box, boxes, i * 4, transform);
    const top = normalizedToSource(transform, box.left, box.top);
    const bottom = normalizedToSource(transform, box.right, box.bottom);
    const x0 = Math.max(0, Math.min(sourceWidth, top.x));
    const y0 = Math.max(0, Math.min(sourceHeight, top.y));
    const x1 = Math.max(0, Math.min(sourceWidth, bottom.x));
    const y1 = Math.max(0, Math.min(sourceHeight, bottom.y));
    const index = Math.round(classes[i]!);
    const label = manifest.labels?.[index + spec.labelOffset] ?? String(index);
    detections.push({
      label,
      index,
      score: round4(score),
      box: { x: round2(x0), y: round2(y0), width: round2(x1 - x0), height: round2(y1 - y0) },
    });
  }
  detections.sort((a, b) => b.score - a.score);
  return detections.slice(0, spec.maxDetections);
};

export type { ObjectDetection };
export { detectObjects };
