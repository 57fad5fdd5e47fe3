import type { Tensor, TensorInfo } from '../engine/types.js';
import { InferenceError } from '../errors.js';
import { type ImageTransform, normalizedToSource } from '../image/geometry.js';
import type { FaceDetectionSpec } from '../manifest/types.js';
import { type Anchor, generateAnchors } from './anchors.js';
import { pickOutput, realValues } from './outputs.js';

interface Detection {
  readonly score: number;
  readonly box: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  readonly keypoints: readonly { readonly x: number; readonly y: number }[];
}

/** A candidate in normalized input coordinates: [xmin, ymin, xmax, ymax, kx0, ky0, kx1, ...]. */
interface Candidate {
  readonly score: number;
  readonly coords: Float64Array;
}

const anchorCache = new WeakMap<FaceDetectionSpec, Anchor[]>();
const anchorsFor = (spec: FaceDetectionSpec): Anchor[] => {
  let anchors = anchorCache.get(spec);
  if (!anchors) {
    anchors = generateAnchors(spec.anchors);
    anchorCache.set(spec, anchors);
  }
  return anchors;
};

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

const iou = (a: Float64Array, b: Float64Array): number => {
  const w = Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!);
  const h = Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!);
  if (w <= 0 || h <= 0) return 0;
  const intersection = w * h;
  const union = (a[2]! - a[0]!) * (a[3]! - a[1]!) + (b[2]! - b[0]!) * (b[3]! - b[1]!) - intersection;
  return union > 0 ? intersection / union : 0;
};

/** Box and keypoint decoding of TensorsToDetectionsCalculator (reverse_output_order: x before y). */
const decode = (
  spec: FaceDetectionSpec,
  boxes: Float64Array,
  scores: Float64Array,
  anchors: readonly Anchor[],
): Candidate[] => {
  const coordsPerBox = boxes.length / anchors.length;
  const [xScale, yScale, wScale, hScale] = spec.scale;
  const candidates: Candidate[] = [];
  for (let i = 0; i < anchors.length; i++) {
    const raw = Math.max(-spec.scoreClipping, Math.min(spec.scoreClipping, scores[i]!));
    const score = sigmoid(raw);
    if (score < spec.minScore) continue;
    const anchor = anchors[i]!;
    const base = i * coordsPerBox;
    const cx = (boxes[base + spec.boxCoordOffset]! / xScale) * anchor.w + anchor.x;
    const cy = (boxes[base + spec.boxCoordOffset + 1]! / yScale) * anchor.h + anchor.y;
    const w = (boxes[base + spec.boxCoordOffset + 2]! / wScale) * anchor.w;
    const h = (boxes[base + spec.boxCoordOffset + 3]! / hScale) * anchor.h;
    const coords = new Float64Array(4 + 2 * spec.numKeypoints);
    coords.set([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]);
    for (let k = 0; k < spec.numKeypoints; k++) {
      const offset = base + spec.keypointCoordOffset + k * spec.valuesPerKeypoint;
      coords[4 + 2 * k] = (boxes[offset]! / xScale) * anchor.w + anchor.x;
      coords[5 + 2 * k] = (boxes[offset + 1]! / yScale) * anchor.h + anchor.y;
    }
    candidates.push({ score, coords });
  }
  return candidates;
};

/**
 * MediaPipe's weighted non-maximum suppression: each kept detection is the
 * score-weighted mean of the candidates overlapping the best one.
 */
const weightedNms = (candidates: Candidate[], threshold: number, limit: number): Candidate[] => {
  const remaining = [...candidates].sort((a, b) => b.score - a.score);
  const kept: Candidate[] = [];
  while (remaining.length > 0 && kept.length < limit) {
    const best = remaining[0]!;
    const cluster: Candidate[] = [];
    const rest: Candidate[] = [];
    for (const candidate of remaining)
      (iou(best.coords, candidate.coords) > threshold ? cluster : rest).push(candidate);
    const total = cluster.reduce((sum, c) => sum + c.score, 0);
    const coords = new Float64Array(best.coords.length);
    for (const c of cluster) for (let j = 0; j < coords.length; j++) coords[j]! += (c.coords[j]! * c.score) / total;
    kept.push({ score: best.score, coords });
    remaining.splice(0, remaining.length, ...rest);
  }
  return kept;
};

/** An output's real values: dequantized when the model is quantized (tfls compress --io int8|uint8 writes such models). */
const tensorData = (outputs: readonly Tensor[], infos: readonly TensorInfo[], ref: string | number): Float64Array => {
  const tensor = pickOutput(outputs, ref);
  return realValues(tensor, infos.find((i) => i.name === tensor.name)?.quantization);
};

const round = (value: number): number => Math.round(value * 100) / 100;

/** Faces in original-image pixels, best first. */
const detectFaces = (
  spec: FaceDetectionSpec,
  outputs: readonly Tensor[],
  infos: readonly TensorInfo[],
  transform: ImageTransform,
): Detection[] => {
  const anchors = anchorsFor(spec);
  const boxes = tensorData(outputs, infos, spec.boxesOutput);
  const scores = tensorData(outputs, infos, spec.scoresOutput);
  if (scores.length !== anchors.length || boxes.length % anchors.length !== 0) {
    throw new InferenceError(
      `the model has ${scores.length} scores for ${anchors.length} anchors; check faceDetection.anchors in model.json`,
    );
  }
  return weightedNms(decode(spec, boxes, scores, anchors), spec.iouThreshold, spec.maxDetections).map(
    ({ score, coords }) => {
      const topLeft = normalizedToSource(transform, coords[0]!, coords[1]!);
      const bottomRight = normalizedToSource(transform, coords[2]!, coords[3]!);
      const keypoints = [];
      for (let k = 0; k < spec.numKeypoints; k++) {
        const point = normalizedToSource(transform, coords[4 + 2 * k]!, coords[5 + 2 * k]!);
        keypoints.push({ x: round(point.x), y: round(point.y) });
      }
      return {
        score: Math.round(score * 10000) / 10000,
        box: {
          x: round(topLeft.x),
          y: round(topLeft.y),
          width: round(bottomRight.x - topLeft.x),
          height: round(bottomRight.y - topLeft.y),
        },
        keypoints,
      };
    },
  );
};

export type { Detection };
export { detectFaces, iou };
