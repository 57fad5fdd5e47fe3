import type { Box } from './labeledData.js';

/** Intersection over union of two boxes (x, y, width, height). */
const iou = (a: Box, b: Box): number => {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const intersection = w * h;
  return intersection / (a.width * a.height + b.width * b.height - intersection);
};

interface Matched {
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly falseNegatives: number;
  /** IoU of each true positive. */
  readonly ious: number[];
}

/**
 * Detections against the true boxes of one image, as detection benchmarks
 * count them: best score first, each takes the unmatched true box it
 * overlaps most (same label when both have one) if IoU reaches the threshold.
 */
const matchDetections = (
  detections: readonly (Box & { score: number })[],
  truth: readonly Box[],
  threshold = 0.5,
): Matched => {
  const taken = new Set<number>();
  const ious: number[] = [];
  let falsePositives = 0;
  for (const d of [...detections].sort((a, b) => b.score - a.score)) {
    let best = -1;
    let bestIou = threshold;
    truth.forEach((t, i) => {
      if (taken.has(i) || (t.label && d.label && t.label !== d.label)) return;
      const overlap = iou(d, t);
      if (overlap >= bestIou) {
        best = i;
        bestIou = overlap;
      }
    });
    if (best < 0) falsePositives++;
    else {
      taken.add(best);
      ious.push(bestIou);
    }
  }
  return { truePositives: ious.length, falsePositives, falseNegatives: truth.length - taken.size, ious };
};

/** Cosine similarity and RMSE accumulated over many pairs of arrays. */
class Agreement {
  #dot = 0;
  #a = 0;
  #b = 0;
  #squares = 0;
  #count = 0;

  public add(expected: ArrayLike<number>, actual: ArrayLike<number>): void {
    const n = Math.min(expected.length, actual.length);
    for (let i = 0; i < n; i++) {
      const x = expected[i]!;
      const y = actual[i]!;
      this.#dot += x * y;
      this.#a += x * x;
      this.#b += y * y;
      this.#squares += (x - y) ** 2;
    }
    this.#count += n;
  }

  public get cosine(): number {
    return this.#a === 0 && this.#b === 0 ? 1 : this.#dot / Math.sqrt(this.#a * this.#b || Number.MIN_VALUE);
  }

  public get rmse(): number {
    return this.#count === 0 ? 0 : Math.sqrt(this.#squares / this.#count);
  }
}

const ratio = (n: number, d: number): number => (d === 0 ? 1 : n / d);

export { Agreement, iou, matchDetections, ratio };
