import { formatBytes } from '../compress/sizes.js';
import { describeTaskFidelity, shortFloor } from '../compress/taskFidelity.js';
import type { CompressReport } from '../compress/types.js';
import { table } from './format.js';

/** The summary's last column wraps here, so that the recommendation reads as a paragraph. */
const WIDTH = 100;

const wrap = (text: string, width: number): string[] => {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
};

/** A label and a long value, the value wrapped over as many rows as it needs. */
const rows = (label: string, value: string): string[][] =>
  wrap(value, WIDTH).map((line, i) => [i === 0 ? label : '', line]);

const pct = (v: number | undefined) => `${((v ?? 0) * 100).toFixed(1)}%`;

/** The --eval line: the labeled set's measure before and after, and the agreement. */
const evalRows = (r: CompressReport): string[][] => {
  if (!r.eval) return [];
  const { before, after, kind, items } = r.eval;
  const measure = (e: typeof before) =>
    kind === 'classification'
      ? `top-1 ${pct(e.top1)}, top-5 ${pct(e.top5)}`
      : kind === 'detection'
        ? `precision ${pct(e.precision)}, recall ${pct(e.recall)}, mean IoU ${e.meanIoU}`
        : (e.outputs ?? []).map((o) => `${o.name} cosine ${o.cosine}`).join(', ');
  const agreement = kind === 'tensors' ? after.agreement : pct(after.agreement);
  return rows('eval', `${items} ${kind} items: ${measure(before)} → ${measure(after)}; agreement ${agreement}`);
};

/** Operators left in float, counted by type: "RESHAPE ×4, CONCATENATION ×2". */
const countByOp = (ops: readonly { op: string }[]): string => {
  const counts = new Map<string, number>();
  for (const { op } of ops) counts.set(op, (counts.get(op) ?? 0) + 1);
  return [...counts].map(([op, n]) => `${op}${n > 1 ? ` ×${n}` : ''}`).join(', ');
};

/** The int8 lines: calibration and delegation, the worst layer, what stayed float (counted, not listed). */
const int8Rows = (r: CompressReport): string[][] => {
  if (!r.calibration) return [];
  const worst = r.layers?.[0];
  const xnnpack = r.delegatedToXnnpack
    ? `XNNPACK took ${r.delegatedToXnnpack.delegated} of ${r.delegatedToXnnpack.nodes} nodes`
    : 'the native engine is unavailable';
  const out = rows(
    'calibration',
    `${r.calibration.samples} inputs, ${r.calibration.method} (${r.calibration.source}); ${xnnpack}`,
  );
  // Fused names run long: the first of them says which layer it is.
  if (worst)
    out.push(
      ...rows(
        'worst layer',
        `${worst.name.split(';')[0]} (${worst.op}): rmse/scale ${Number(worst.rmseOverScale.toPrecision(3))}, of ${r.layers!.length}`,
      ),
    );
  if (r.floatOps && r.floatOps.length > 0)
    out.push(...rows('float ops', `${r.floatOps.length} stayed float: ${countByOp(r.floatOps)}`));
  if (r.autoKeepFloat) {
    const a = r.autoKeepFloat;
    out.push(
      ...rows(
        'auto keep',
        `${a.kept.length} layer(s) over ${a.threshold} kept float: worst rmse/scale ${a.before.worstLayer?.rmseOverScale} → ${a.after.worstLayer?.rmseOverScale}, size +${a.sizeCostPercent}%`,
      ),
    );
  }
  return out;
};

const guardRows = (r: CompressReport): string[][] => {
  const g = r.guard;
  if (!g) return [];
  const floor = g.task ? shortFloor(g.task.after.kind, g.task.floor) : `cosine ${g.floor}`;
  if (g.reachable !== undefined)
    return rows(
      'guard',
      `floor (${floor}) out of reach: even every layer in float16 gets only cosine ${g.reachable}; nothing kept`,
    );
  if (g.kept.length === 0) return rows('guard', `floor (${floor}) held at once`);
  const cost = g.keptBytes !== undefined ? ` (+${formatBytes(g.keptBytes)})` : '';
  return rows(
    'guard',
    `${g.kept.length} layer(s) kept in float16${cost} ${g.met ? 'to hold' : 'but missed'} the floor: ${floor}`,
  );
};

/** Each output's closeness; past two, the worst one and how many more. */
const fidelityRows = (r: CompressReport): string[][] => {
  const outputs = r.fidelity.outputs;
  const shown = outputs.length <= 2 ? outputs : [[...outputs].sort((a, b) => a.cosine - b.cosine)[0]!];
  const lines = shown.map((o, i) => [
    i === 0 ? 'fidelity' : '',
    `${o.name}: cosine ${o.cosine}, max error ${o.maxAbsError}, rmse ${o.rmse}`,
  ]);
  const more = shown.length < outputs.length ? `the worst of ${outputs.length} outputs (--json for all), ` : '';
  return [...lines, ...rows('', `${more}on ${r.fidelity.source}`)];
};

/** The summary tfls compress prints: the verdict first, about 20 lines, lists counted rather than spelled out. */
const compressSummary = (r: CompressReport): string => {
  if (r.unchanged)
    return table([
      ['mode', r.mode],
      ...(r.inputPrecision ? rows('input', r.inputPrecision.description) : []),
      ['size', `${formatBytes(r.inputBytes)}, unchanged (${r.ratio}x smaller than float32 already)`],
      ...evalRows(r),
      ...rows('', r.recommendation),
    ]);
  return table([
    ['mode', r.mode],
    ...(r.verdict ? rows('verdict', r.verdict) : []),
    [
      'size',
      `${formatBytes(r.inputBytes)} → ${formatBytes(r.outputBytes)} (${r.ratio}x smaller than float32, ${r.ratioToInput}x than the input)`,
    ],
    [
      'tensors',
      `${r.tensors.length} rewritten, ${r.skipped.length} left as they were${r.keptFloat ? `, ${r.keptFloat.length} kept in float16` : ''}`,
    ],
    ...int8Rows(r),
    ...guardRows(r),
    ...(r.fidelity.task ? rows('task', describeTaskFidelity(r.fidelity.task)) : []),
    ...fidelityRows(r),
    ...evalRows(r),
    ...(r.pruning ? rows('pruning', r.pruning.note) : []),
    ...rows('latency', r.latency.summary ?? `p50 ${r.latency.beforeP50Ms} → ${r.latency.afterP50Ms} ms`),
    ...rows('', r.recommendation),
  ]);
};

export { compressSummary };
