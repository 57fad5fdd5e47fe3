import sharp from 'sharp';

/**
 * How far two engines' answers may differ for the same model and photo.
 * Float graphs: the bounds. Graphs computing in 8 bits: TFLite 2.9's
 * reference uint8 kernels and XNNPACK requantize each layer differently
 * (gemmlowp fixed point against fp32), and the rounding adds up over 30
 * layers: measured over the 25 shared photos, MobileNet v1 scores differ by
 * up to 0.055 and DeepLab's masks agree on 90-100% of pixels (README).
 */
interface Tolerance {
  /** Largest score difference; top-1 must agree unless the reference's top two are closer than this. */
  readonly score: number;
  /** Smallest IoU between matched boxes. */
  readonly iou: number;
  /** Smallest share of equal mask pixels. */
  readonly maskPixels: number;
  /** Largest keypoint distance, as a share of the photo's longer side. */
  readonly keypoints: number;
}

const FLOAT: Tolerance = { score: 0.02, iou: 0.9, maskPixels: 0.99, keypoints: 0.02 };
const EIGHT_BIT: Tolerance = { score: 0.06, iou: 0.9, maskPixels: 0.97, keypoints: 0.02 };

interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

const iou = (a: Box, b: Box): number => {
  const w = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const h = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
};

// biome-ignore lint/suspicious/noExplicitAny: predictions are the API's JSON, checked field by field below.
type Prediction = any;

const classes = (a: Prediction, b: Prediction, tolerance: Tolerance): string[] => {
  const problems: string[] = [];
  const [first, second] = a.classes;
  const margin = first.score - (second?.score ?? 0);
  if (b.classes[0]?.index !== first.index && margin >= tolerance.score)
    problems.push(`top-1 ${b.classes[0]?.label} instead of ${first.label} (ahead by ${margin.toFixed(3)})`);
  for (const other of b.classes) {
    const same = a.classes.find((c: Prediction) => c.index === other.index);
    if (same && Math.abs(same.score - other.score) > tolerance.score)
      problems.push(`${other.label} scored ${other.score} against ${same.score}`);
  }
  return problems;
};

const detections = (a: Prediction, b: Prediction, size: number, tolerance: Tolerance): string[] => {
  const problems: string[] = [];
  if (a.detections.length !== b.detections.length)
    problems.push(`${b.detections.length} detections against ${a.detections.length}`);
  for (const expected of a.detections) {
    const best = b.detections.reduce(
      (found: Prediction, d: Prediction) =>
        iou(d.box, expected.box) > iou(found?.box ?? d.box, expected.box) ? d : found,
      b.detections[0],
    );
    const overlap = best ? iou(best.box, expected.box) : 0;
    if (overlap < tolerance.iou) problems.push(`${expected.label ?? 'a box'} matched at IoU ${overlap.toFixed(3)}`);
    else if (best.label !== expected.label) problems.push(`${best.label} where ${expected.label} was`);
    else if (Math.abs(best.score - expected.score) > tolerance.score)
      problems.push(`score ${best.score} against ${expected.score}`);
    (expected.keypoints ?? []).forEach((point: Prediction, k: number) => {
      const other = best?.keypoints?.[k];
      if (other && Math.hypot(point.x - other.x, point.y - other.y) > tolerance.keypoints * size)
        problems.push(`keypoint ${k} moved ${Math.hypot(point.x - other.x, point.y - other.y).toFixed(1)} px`);
    });
  }
  return problems;
};

const masks = async (a: Prediction, b: Prediction, tolerance: Tolerance): Promise<string[]> => {
  const [x, y] = await Promise.all(
    [a, b].map((p) => sharp(Buffer.from(p.mask, 'base64')).extractChannel(0).raw().toBuffer()),
  );
  let equal = 0;
  for (let i = 0; i < x!.length; i++) if (x![i] === y![i]) equal++;
  const share = equal / x!.length;
  return share < tolerance.maskPixels ? [`${(share * 100).toFixed(2)}% of mask pixels equal`] : [];
};

const landmarks = (a: Prediction, b: Prediction, size: number, tolerance: Tolerance): string[] =>
  a.landmarks.flatMap((point: Prediction, k: number) => {
    const other = b.landmarks[k];
    const distance = Math.hypot(point.x - other.x, point.y - other.y);
    return distance > tolerance.keypoints * size ? [`point ${k} moved ${distance.toFixed(1)} px`] : [];
  });

/**
 * What differs between two answers to the same photo, in words (empty when
 * they agree within the tolerance). `size`: the photo's longer side.
 */
const disagreements = async (a: Prediction, b: Prediction, size: number, tolerance: Tolerance): Promise<string[]> => {
  if (Array.isArray(a.classes)) return classes(a, b, tolerance);
  if (a.detections) return detections(a, b, size, tolerance);
  if (a.mask) return masks(a, b, tolerance);
  if (a.landmarks) return landmarks(a, b, size, tolerance);
  throw new Error(`no comparison for an answer with keys ${Object.keys(a).join(', ')}`);
};

export type { Box, Tolerance };
export { disagreements, EIGHT_BIT, FLOAT, iou };
