import type { TensorInfo } from '../engine/types.js';
import { resolveTensor } from '../manifest/resolveManifest.js';
import type { ModelManifest } from '../manifest/types.js';
import type { Fidelity } from './fidelity.js';
import { describeTaskFloor, taskFloorOf, taskHolds, taskSeverity } from './taskFidelity.js';
import type { OutputFidelity, TaskFloor } from './types.js';

/**
 * What "the compressed model matches" means for one compression: a cosine
 * floor over the outputs the served task reads (all of them when the task
 * is unknown), and, where the task is known, a floor in its own terms.
 */
interface Floor {
  readonly cosine: number;
  /** Indices of the outputs the cosine floor covers. */
  readonly covered: readonly number[];
  /** Where the task is known: its floor, defaults filled in. */
  readonly task?: Required<TaskFloor>;
}

interface Assessment {
  readonly met: boolean;
  /** At most 1 while the floor holds; the larger, the more damage (ranks layers). */
  readonly severity: number;
  /** The worst cosine over the covered outputs (matching outputs count as 1). */
  readonly worstCosine: number;
}

/**
 * An output within this of the original everywhere matches it whatever its
 * cosine: a score near zero (a presence flag on a photo without the object)
 * has no meaningful direction, and 0.0007 against 0 would read as cosine 0.
 */
const ABSOLUTE_TOLERANCE = 1e-3;

/** A zero vector on one side (cosine exactly 0) is judged by its error alone, within this. */
const ZERO_VECTOR_TOLERANCE = 0.01;

const matches = (o: OutputFidelity): boolean =>
  o.maxAbsError <= ABSOLUTE_TOLERANCE || (o.cosine === 0 && o.maxAbsError <= ZERO_VECTOR_TOLERANCE);

/** The worst output cosine, outputs that match within ABSOLUTE_TOLERANCE counting as 1. */
const worst = (fidelity: readonly OutputFidelity[]): number =>
  fidelity.reduce((min, o) => Math.min(min, matches(o) ? 1 : o.cosine), 1);

/** The outputs a served task reads: its named outputs, and for landmarks the single scores beside them. */
const taskOutputs = (manifest: ModelManifest, outputs: readonly TensorInfo[]): number[] => {
  const index = (ref: string | number) => resolveTensor(outputs, ref, 'output');
  switch (manifest.task) {
    case 'classification':
      return [index(manifest.classification.output)];
    case 'segmentation':
      return [index(manifest.segmentation.output)];
    case 'landmarks': {
      const points = index(manifest.landmarks.output);
      const scores = outputs.flatMap((o, i) => (i !== points && o.shape.reduce((n, d) => n * d, 1) === 1 ? [i] : []));
      return [points, ...scores];
    }
    case 'face-detection':
      return [index(manifest.faceDetection!.boxesOutput), index(manifest.faceDetection!.scoresOutput)];
    case 'object-detection': {
      const spec = manifest.objectDetection!;
      return [spec.boxesOutput, spec.classesOutput, spec.scoresOutput, spec.countOutput].map(index);
    }
    case 'raw':
      return outputs.map((_, i) => i);
  }
};

/** The floor for a model served as `manifest` (undefined: raw tensors). */
const floorFor = (
  manifest: ModelManifest | undefined,
  outputs: readonly TensorInfo[],
  cosine: number,
  task?: TaskFloor | number,
): Floor =>
  !manifest || manifest.task === 'raw'
    ? { cosine, covered: outputs.map((_, i) => i) }
    : { cosine, covered: taskOutputs(manifest, outputs), task: taskFloorOf(manifest.task, task) };

/** Whether a candidate holds the floor, and by how much it misses. */
const assess = (fidelity: Fidelity, floor: Floor): Assessment => {
  const covered = floor.covered.map((i) => fidelity.outputs[i]).filter((o): o is OutputFidelity => o !== undefined);
  const worstCosine = worst(covered);
  const cosineSeverity = (1 - worstCosine) / Math.max(1e-6, 1 - floor.cosine);
  const taskPart = floor.task && fidelity.task;
  const severity = Math.max(cosineSeverity, taskPart ? taskSeverity(fidelity.task!, floor.task!) : 0);
  const met = worstCosine >= floor.cosine && (!taskPart || taskHolds(fidelity.task!, floor.task!));
  return { met, severity, worstCosine };
};

/** The floor in words, for the report: the task's terms where it is known. */
const describeFloor = (floor: Floor, fidelity: Fidelity, outputNames: readonly string[]): string => {
  const cosine = `cosine ${floor.cosine} on ${floor.covered.length === outputNames.length ? 'every output' : floor.covered.map((i) => outputNames[i]).join(', ')}`;
  if (!floor.task || !fidelity.task) return cosine;
  const inputSize = fidelity.task.kind === 'landmarks' ? fidelity.task.inputSize : undefined;
  return `${describeTaskFloor(fidelity.task.kind, floor.task, inputSize)}, and ${cosine}`;
};

export type { Assessment, Floor };
export { assess, describeFloor, floorFor, matches, worst };
