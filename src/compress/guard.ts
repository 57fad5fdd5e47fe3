import type { Fidelity, FidelityProbe } from './fidelity.js';
import { assess, describeFloor, type Floor } from './floor.js';
import { type LayerDamage, searchMixedPrecision } from './mixedPrecision.js';
import type { GuardReport } from './types.js';

interface GuardOutcome {
  /** Layers the guard keeps in float16 (empty when the floor held, or could not be reached). */
  readonly kept: string[];
  /** The guarded model and its fidelity on every sample, when the guard kept layers. */
  readonly bytes?: Uint8Array;
  readonly fidelity?: Fidelity;
  readonly report: GuardReport;
  /** Every candidate's damage alone, worst first (empty when the floor held at once). */
  readonly damage: readonly LayerDamage[];
}

/** What the guard did, for the report: the floor, what it kept, the fidelity before and after. */
const guardReport = (
  floor: Floor,
  outputNames: readonly string[],
  kept: readonly string[],
  before: Fidelity,
  after: Fidelity,
  options: { reachable?: Fidelity; keptBytes?: number; rawBytes?: number; damage?: readonly LayerDamage[] } = {},
): GuardReport => {
  const first = assess(before, floor);
  const last = assess(after, floor);
  const task = floor.task && before.task && after.task;
  return {
    floor: floor.cosine,
    kept,
    worstBefore: first.worstCosine,
    worstAfter: last.worstCosine,
    met: last.met,
    ...(options.reachable && { reachable: assess(options.reachable, floor).worstCosine }),
    outputs: floor.covered.map((i) => outputNames[i]!),
    ...(task && {
      task: {
        floor: floor.task!,
        statement: describeFloor(floor, after, outputNames),
        before: before.task!,
        after: after.task!,
        ...(options.reachable?.task && { reachable: options.reachable.task }),
      },
    }),
    ...(options.keptBytes !== undefined && { keptBytes: options.keptBytes }),
    ...(options.rawBytes !== undefined && { rawBytes: options.rawBytes }),
    ...(options.damage && options.damage.length > 0 && { damage: options.damage }),
  };
};

/**
 * The fidelity guard: when the mode's raw result misses the floor, keep the
 * fewest, cheapest layers in float16 that hold it (searchMixedPrecision, on
 * `searchProbe`), then measure the result on every sample.
 */
const holdFloor = async (options: {
  readonly floor: Floor;
  readonly outputNames: readonly string[];
  /** The raw result's fidelity on every sample, and its size. */
  readonly before: Fidelity;
  readonly rawBytes: number;
  readonly candidates: readonly string[];
  readonly build: (keep: ReadonlySet<string>) => Uint8Array;
  readonly searchProbe: FidelityProbe;
  readonly probe: FidelityProbe;
  readonly progress: (fraction: number) => void;
}): Promise<GuardOutcome> => {
  const { floor, outputNames, before } = options;
  const { rawBytes } = options;
  if (assess(before, floor).met)
    return { kept: [], report: guardReport(floor, outputNames, [], before, before, { rawBytes }), damage: [] };
  const search = await searchMixedPrecision(
    options.candidates,
    options.build,
    options.searchProbe,
    floor,
    options.progress,
  );
  if (!search.trial)
    return {
      kept: [],
      report: guardReport(floor, outputNames, [], before, before, {
        reachable:
          options.searchProbe === options.probe
            ? search.reachable.fidelity
            : await options.probe.measureFile(search.reachable.bytes),
        damage: search.damage,
        rawBytes,
      }),
      damage: search.damage,
    };
  const after =
    options.searchProbe === options.probe ? search.trial.fidelity : await options.probe.measureFile(search.trial.bytes);
  const keptBytes = search.trial.bytes.length - rawBytes;
  return {
    kept: search.keep,
    bytes: search.trial.bytes,
    fidelity: after,
    report: guardReport(floor, outputNames, search.keep, before, after, { keptBytes, rawBytes, damage: search.damage }),
    damage: search.damage,
  };
};

export type { GuardOutcome };
export { holdFloor };
