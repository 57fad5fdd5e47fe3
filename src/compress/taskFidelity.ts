import type { Box } from '../eval/labeledData.js';
import { matchDetections } from '../eval/metrics.js';
import type { ImageTransform } from '../image/geometry.js';
import type { Task } from '../manifest/types.js';
import type { Landmark } from '../tasks/landmarks.js';
import type { MaskMap } from '../tasks/segmentation.js';
import type { TaskFidelity, TaskFloor } from './types.js';

/** What a served model answered for one photo (answerTask's result), with where its input sat on the photo. */
interface PhotoAnswer {
  readonly answer: unknown;
  readonly transform: ImageTransform;
}

/** A landmark counts when the model says it is there: visibility, presence or score at least this, where given. */
const VISIBLE = 0.5;

/** The floors held by default where the task is known. */
const DEFAULT_TASK_FLOOR: Required<TaskFloor> = {
  landmarkError: 0.01,
  top1Agreement: 1,
  boxIoU: 0.8,
  pixelAgreement: 0.98,
};

const round = (value: number, digits = 4): number => Number(value.toFixed(digits));

type Detected = Box & { readonly score: number };

const detectionsOf = (answer: unknown): Detected[] =>
  (answer as { detections: { score: number; box: Box; label?: string }[] }).detections.map((d) => ({
    ...d.box,
    score: d.score,
    ...(d.label !== undefined && { label: d.label }),
  }));

const classesOf = (answer: unknown): number[] =>
  (answer as { classes: { index: number }[] }).classes.map((c) => c.index);

const visible = (point: Landmark): boolean =>
  (point.visibility ?? 1) >= VISIBLE && (point.presence ?? 1) >= VISIBLE && (point.score ?? 1) >= VISIBLE;

const classification = (pairs: readonly [PhotoAnswer, PhotoAnswer][]): TaskFidelity => {
  let same = 0;
  let overlap = 0;
  for (const [a, b] of pairs) {
    const top = classesOf(a.answer).slice(0, 5);
    const other = new Set(classesOf(b.answer).slice(0, 5));
    if (top[0] === classesOf(b.answer)[0]) same++;
    overlap += top.length === 0 ? 1 : top.filter((c) => other.has(c)).length / top.length;
  }
  return {
    kind: 'classification',
    photos: pairs.length,
    top1Agreement: round(same / pairs.length),
    top5Overlap: round(overlap / pairs.length),
  };
};

const detection = (pairs: readonly [PhotoAnswer, PhotoAnswer][]): TaskFidelity => {
  let detections = 0;
  let missed = 0;
  let extra = 0;
  const ious: number[] = [];
  for (const [a, b] of pairs) {
    const reference = detectionsOf(a.answer);
    const matched = matchDetections(detectionsOf(b.answer), reference);
    detections += reference.length;
    missed += matched.falseNegatives;
    extra += matched.falsePositives;
    for (const value of matched.ious) ious.push(value);
  }
  return {
    kind: 'detection',
    photos: pairs.length,
    detections,
    matched: ious.length,
    missed,
    extra,
    meanIoU: round(ious.length === 0 ? 1 : ious.reduce((s, v) => s + v, 0) / ious.length),
    minIoU: round(ious.reduce((m, v) => Math.min(m, v), 1)),
  };
};

/** Each visible point's distance in the model input's pixels (answers are in the photo's). */
const landmarks = (pairs: readonly [PhotoAnswer, PhotoAnswer][]): TaskFidelity => {
  let points = 0;
  let total = 0;
  let worst = 0;
  let inputSize = 0;
  for (const [a, b] of pairs) {
    const { scaleX, scaleY, inputWidth, inputHeight } = a.transform;
    inputSize = Math.max(inputSize, inputWidth, inputHeight);
    const reference = (a.answer as { landmarks: Landmark[] }).landmarks;
    const other = (b.answer as { landmarks: Landmark[] }).landmarks;
    reference.forEach((point, i) => {
      const moved = other[i];
      if (!visible(point) || !moved) return;
      const error = Math.hypot((point.x - moved.x) * scaleX, (point.y - moved.y) * scaleY);
      points++;
      total += error;
      worst = Math.max(worst, error);
    });
  }
  const mean = points === 0 ? 0 : total / points;
  return {
    kind: 'landmarks',
    photos: pairs.length,
    points,
    inputSize,
    maxErrorPx: round(worst, 2),
    meanErrorPx: round(mean, 2),
    maxErrorPercent: round((worst / Math.max(1, inputSize)) * 100, 3),
    meanErrorPercent: round((mean / Math.max(1, inputSize)) * 100, 3),
  };
};

/** Pixels of the output's map that keep their class (or, for a probability mask, their side of 0.5). */
const segmentation = (pairs: readonly [PhotoAnswer, PhotoAnswer][]): TaskFidelity => {
  let pixels = 0;
  let same = 0;
  for (const [a, b] of pairs) {
    const reference = a.answer as MaskMap;
    const other = b.answer as MaskMap;
    const n = Math.min(reference.mask.length, other.mask.length);
    const probability = reference.kind === 'probability';
    for (let i = 0; i < n; i++) {
      const x = reference.mask[i]!;
      const y = other.mask[i]!;
      if (probability ? x >= 128 === y >= 128 : x === y) same++;
    }
    pixels += reference.mask.length;
  }
  return { kind: 'segmentation', photos: pairs.length, pixels, pixelAgreement: round(same / Math.max(1, pixels), 5) };
};

/** How far a candidate's task answers stay from the reference's on the same photos. */
const compareAnswers = (task: Task, pairs: readonly [PhotoAnswer, PhotoAnswer][]): TaskFidelity | undefined => {
  if (pairs.length === 0) return undefined;
  switch (task) {
    case 'classification':
      return classification(pairs);
    case 'face-detection':
    case 'object-detection':
      return detection(pairs);
    case 'landmarks':
      return landmarks(pairs);
    case 'segmentation':
      return segmentation(pairs);
    case 'raw':
      return undefined;
  }
};

/** The key of TaskFloor each task's floor is set by. */
const FLOOR_KEY: Readonly<Record<Task, keyof TaskFloor | undefined>> = {
  landmarks: 'landmarkError',
  classification: 'top1Agreement',
  'face-detection': 'boxIoU',
  'object-detection': 'boxIoU',
  segmentation: 'pixelAgreement',
  raw: undefined,
};

/**
 * The floor's values, defaults filled in; a bare number sets the served
 * task's own (tfls compress --task-floor).
 */
const taskFloorOf = (task: Task, floor: TaskFloor | number | undefined): Required<TaskFloor> => {
  if (typeof floor !== 'number') return { ...DEFAULT_TASK_FLOOR, ...floor };
  const key = FLOOR_KEY[task];
  return key ? { ...DEFAULT_TASK_FLOOR, [key]: floor } : DEFAULT_TASK_FLOOR;
};

const pct = (share: number, digits = 1): string => `${Number((share * 100).toFixed(digits))}%`;

/** Whether the task's answers hold the floor. */
const taskHolds = (fidelity: TaskFidelity, floor: Required<TaskFloor>): boolean => {
  switch (fidelity.kind) {
    case 'landmarks':
      return fidelity.maxErrorPercent / 100 <= floor.landmarkError;
    case 'classification':
      return fidelity.top1Agreement >= floor.top1Agreement;
    case 'detection':
      return fidelity.missed === 0 && fidelity.extra === 0 && fidelity.minIoU >= floor.boxIoU;
    case 'segmentation':
      return fidelity.pixelAgreement >= floor.pixelAgreement;
  }
};

/**
 * How far a measure is from breaking the floor: at most 1 while it holds,
 * growing with the damage, continuous where the measure is, so that layers
 * can be ranked by it (a count of lost classes or boxes is not: past the
 * floor each one adds 1).
 */
const taskSeverity = (fidelity: TaskFidelity, floor: Required<TaskFloor>): number => {
  switch (fidelity.kind) {
    case 'landmarks':
      return fidelity.maxErrorPercent / 100 / floor.landmarkError;
    case 'segmentation':
      return (1 - fidelity.pixelAgreement) / (1 - floor.pixelAgreement);
    case 'classification': {
      const lost = Math.round((floor.top1Agreement - fidelity.top1Agreement) * fidelity.photos);
      return taskHolds(fidelity, floor) ? (1 - fidelity.top5Overlap) / 2 : 1 + Math.max(1, lost);
    }
    case 'detection': {
      const iou = (1 - fidelity.minIoU) / (1 - floor.boxIoU);
      return taskHolds(fidelity, floor) ? iou : 1 + fidelity.missed + fidelity.extra + Math.max(0, iou - 1);
    }
  }
};

/** The floor in the task's own words. */
const describeTaskFloor = (kind: TaskFidelity['kind'], floor: Required<TaskFloor>, inputSize?: number): string => {
  switch (kind) {
    case 'landmarks':
      return `every visible landmark within ${pct(floor.landmarkError)} of the input size${inputSize ? ` (${Number((floor.landmarkError * inputSize).toFixed(2))} px of ${inputSize})` : ''}`;
    case 'classification':
      return floor.top1Agreement >= 1
        ? 'the same top class on every photo'
        : `the same top class on ${pct(floor.top1Agreement)} of the photos`;
    case 'detection':
      return `every detection found again at IoU ${floor.boxIoU} or better, none added`;
    case 'segmentation':
      return `${pct(floor.pixelAgreement)} of the pixels keep their class`;
  }
};

/** What the task's answers did, in words. */
const describeTaskFidelity = (f: TaskFidelity): string => {
  const photos = `on ${f.photos} photo${f.photos === 1 ? '' : 's'}`;
  switch (f.kind) {
    case 'landmarks':
      return `landmarks ${photos}: worst visible point ${f.maxErrorPx} px of ${f.inputSize} (${f.maxErrorPercent}%), mean ${f.meanErrorPx} px, ${f.points} points`;
    case 'classification':
      return `classes ${photos}: top-1 the same on ${pct(f.top1Agreement)}, top-5 overlap ${pct(f.top5Overlap)}`;
    case 'detection':
      return `detections ${photos}: ${f.matched} of ${f.detections} found again (mean IoU ${f.meanIoU}, worst ${f.minIoU}), ${f.missed} missed, ${f.extra} added`;
    case 'segmentation':
      return `segmentation ${photos}: ${pct(f.pixelAgreement, 2)} of ${f.pixels} pixels keep their class`;
  }
};

/** The task's worst answer in a few words, for sentences: "worst 0.98% of the input (2.51 px)". */
const worstAnswer = (f: TaskFidelity): string => {
  switch (f.kind) {
    case 'landmarks':
      return `worst ${f.maxErrorPercent}% of the input, ${f.maxErrorPx} px`;
    case 'classification':
      return `top-1 the same on ${pct(f.top1Agreement)} of ${f.photos} photos`;
    case 'detection':
      return `${f.matched} of ${f.detections} found again (worst IoU ${f.minIoU}), ${f.extra} added`;
    case 'segmentation':
      return `${pct(f.pixelAgreement, 2)} of pixels keep their class`;
  }
};

/** The floor in a few words: "1% of the input". */
const shortFloor = (kind: TaskFidelity['kind'], floor: Required<TaskFloor>): string => {
  switch (kind) {
    case 'landmarks':
      return `${pct(floor.landmarkError)} of the input`;
    case 'classification':
      return `top-1 the same on ${pct(floor.top1Agreement)}`;
    case 'detection':
      return `all found again at IoU ${floor.boxIoU}, none added`;
    case 'segmentation':
      return `${pct(floor.pixelAgreement)} of pixels`;
  }
};

/** What the guard changed, in the task's measure: "the worst landmark from 13.4% to 0.94% of the input". */
const answerChange = (before: TaskFidelity, after: TaskFidelity): string => {
  if (before.kind === 'landmarks' && after.kind === 'landmarks')
    return `the worst landmark from ${before.maxErrorPercent}% to ${after.maxErrorPercent}% of the input`;
  if (before.kind === 'classification' && after.kind === 'classification')
    return `top-1 agreement from ${pct(before.top1Agreement)} to ${pct(after.top1Agreement)}`;
  if (before.kind === 'detection' && after.kind === 'detection')
    return `boxes found again from ${before.matched} to ${after.matched} of ${after.detections} (worst IoU ${before.minIoU} to ${after.minIoU}, added ${before.extra} to ${after.extra})`;
  if (before.kind === 'segmentation' && after.kind === 'segmentation')
    return `pixel agreement from ${pct(before.pixelAgreement, 2)} to ${pct(after.pixelAgreement, 2)}`;
  return `${worstAnswer(before)} to ${worstAnswer(after)}`;
};

/** What a task's answers are called in a sentence. */
const ANSWERS: Readonly<Record<TaskFidelity['kind'], string>> = {
  landmarks: 'landmarks',
  classification: 'classes',
  detection: 'detections',
  segmentation: 'masks',
};

export type { PhotoAnswer };
export {
  ANSWERS,
  answerChange,
  compareAnswers,
  describeTaskFidelity,
  describeTaskFloor,
  shortFloor,
  taskFloorOf,
  taskHolds,
  taskSeverity,
  worstAnswer,
};
