import type { Fidelity } from './fidelity.js';
import { assess, type Floor, matches } from './floor.js';
import { ANSWERS, answerChange, shortFloor, worstAnswer } from './taskFidelity.js';
import type { CompressMode, GuardReport, LatencyReport } from './types.js';

interface Facts {
  readonly mode: CompressMode;
  readonly ratio: number;
  readonly outputBytes: number;
  readonly fidelity: Fidelity;
  /** The served task, when known. */
  readonly task?: string;
  readonly floor: Floor;
  /** The floor in words ("every visible landmark within 1% of the input size..."). */
  readonly floorStatement: string;
  readonly latency: LatencyReport;
  readonly keptFloat: readonly string[];
  readonly guard?: GuardReport;
}

/** A ratio as people read it: 3 significant digits. */
const times = (value: number): string => `${Number(value.toPrecision(3))}x`;

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(2)} MB`;
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;

/** What the fidelity guard did, in a sentence (empty when it had nothing to do). */
const guardSentence = (guard: GuardReport | undefined): string => {
  if (!guard) return '';
  const target = guard.task ? guard.task.statement : `cosine ${guard.floor}`;
  if (guard.reachable !== undefined)
    return ` The fidelity guard kept nothing: even every quantized layer in float16 misses its floor (${target}; worst cosine ${guard.reachable}${guard.task?.reachable ? `, ${worstAnswer(guard.task.reachable)}` : ''}), so the loss is elsewhere (the inputs, outputs or ops the mode fixes); check the answers on your own data.`;
  if (guard.kept.length === 0) return '';
  const cost = guard.keptBytes !== undefined ? ` (+${kb(guard.keptBytes)})` : '';
  const change = guard.task
    ? answerChange(guard.task.before, guard.task.after)
    : `the worst output from cosine ${guard.worstBefore} to ${guard.worstAfter}`;
  const floor = guard.task ? shortFloor(guard.task.after.kind, guard.task.floor) : guard.floor;
  return guard.met
    ? ` The fidelity guard kept ${guard.kept.length} layer(s) in float16${cost} to bring ${change} (floor ${floor}; --no-guard for the raw result).`
    : ` The fidelity guard kept ${guard.kept.length} layer(s) in float16${cost} but missed its floor (${target}): ${change}.`;
};

/** Whether the answers hold, in words: "match" only when the floor holds. */
const fidelityClause = (f: Facts): string => {
  const { met, worstCosine } = assess(f.fidelity, f.floor);
  const covered = new Set(f.floor.covered);
  const drifting = (read: boolean) =>
    f.fidelity.outputs
      .filter((o, i) => covered.has(i) === read && !matches(o) && o.cosine < f.floor.cosine)
      .map((o) => `${o.name} cosine ${o.cosine}`);
  const unread = drifting(false);
  const aside = unread.length > 0 ? ` (outputs the ${f.task} task does not read drift: ${unread.join(', ')})` : '';
  const task = f.fidelity.task;
  if (met)
    return task && f.floor.task
      ? `the ${ANSWERS[task.kind]} hold their floor (${worstAnswer(task)}; floor ${shortFloor(task.kind, f.floor.task)})${aside}`
      : `outputs match the original (worst cosine ${worstCosine})`;
  const what = [task && worstAnswer(task), ...drifting(true)].filter(Boolean).join('; ');
  return `the ${task ? ANSWERS[task.kind] : 'outputs'} drift: ${what} (floor: ${f.floorStatement}); check them on your own data before deploying${aside}`;
};

/** The speed, only as far as the interleaved timings show it. */
const speedClause = (latency: LatencyReport): string => {
  const p50 = `p50 ${latency.beforeP50Ms} → ${latency.afterP50Ms} ms`;
  const where = latency.afterEngine ? `${latency.engine} before, ${latency.afterEngine} after` : latency.engine;
  if (latency.verdict === 'slower') return `it runs ${times(latency.ratio ?? 1)} slower on ${where} (${p50})`;
  if (latency.verdict === 'faster') return `it runs ${times(1 / (latency.ratio ?? 1))} faster on ${where} (${p50})`;
  return `no measurable change in speed on ${where}`;
};

/** What the report's numbers mean, in plain words. */
const recommend = (f: Facts): string => {
  const { met } = assess(f.fidelity, f.floor);
  const fidelity = fidelityClause(f);
  const speed = speedClause(f.latency);
  const size = `${mb(f.outputBytes)}, ${f.ratio.toFixed(2)}x smaller than float32`;
  switch (f.mode) {
    case 'float32':
      return `Float32 baseline (${mb(f.outputBytes)}): for runtimes without float16 support; ${speed}. XNNPACK unpacks float16 weights to float32 at load, so on it the float16 file computes as this one does at half the size; prefer it.`;
    case 'float16':
      return `Float16 weights: ${size}; ${fidelity}; ${speed}. XNNPACK unpacks float16 weights to float32 at load, so it computes as the float32 model does.${met && f.latency.verdict !== 'slower' ? ' A safe default for Lambda.' : ''}`;
    case 'dynamic': {
      const slower = f.latency.verdict === 'slower' ? ' Choose it only when size matters more than latency.' : '';
      return `int8 weights, float compute: ${size}; ${fidelity}; ${speed}.${slower}${guardSentence(f.guard)}`;
    }
    case 'int8': {
      const byGuard = new Set(f.guard?.kept ?? []);
      const asked = f.keptFloat.filter((name) => !byGuard.has(name));
      const delegate = f.latency.delegate === 'xnnpack' ? '' : ', but the delegate was not available here';
      return [
        `Full-integer int8: ${size}; ${fidelity}; ${speed} (XNNPACK runs int8 with its QS8 kernels${delegate}).`,
        asked.length > 0 ? `${asked.length} layer(s) stayed float as asked.` : '',
        guardSentence(f.guard).trim(),
      ]
        .filter(Boolean)
        .join(' ');
    }
  }
};

/** The report's headline: size, whether the answers hold, speed. */
const verdictLine = (f: Facts): string => {
  const { met, worstCosine } = assess(f.fidelity, f.floor);
  const task = f.fidelity.task;
  const answers = task
    ? `${ANSWERS[task.kind]} ${met ? 'hold' : 'drift'} (${worstAnswer(task)})`
    : `outputs ${met ? 'match' : 'drift'} (worst cosine ${worstCosine})`;
  const speed =
    f.latency.verdict === 'slower'
      ? `${times(f.latency.ratio ?? 1)} slower`
      : f.latency.verdict === 'faster'
        ? `${times(1 / (f.latency.ratio ?? 1))} faster`
        : 'no measurable change in speed';
  return `${f.ratio.toFixed(2)}x smaller than float32; ${answers}; ${speed}`;
};

export { recommend, verdictLine };
