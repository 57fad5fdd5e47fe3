import { formatBytes } from './sizes.js';
import { describeTaskFidelity } from './taskFidelity.js';
import type { CompressReport, LayerReport } from './types.js';

// The compression report as one self-contained HTML file: inline CSS and
// SVG, no script, nothing fetched, so it opens offline and anywhere.

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** Rounding to the quantization grid alone gives rmse/scale of 1/sqrt(12). */
const ROUNDING_ONLY = 1 / Math.sqrt(12);

const LABEL_WIDTH = 260;
const CHART_WIDTH = 760;
const ROW = 18;

interface Bar {
  readonly label: string;
  readonly value: number;
  readonly text: string;
  readonly className: string;
  readonly data: Readonly<Record<string, string | number>>;
}

const dataAttributes = (data: Bar['data']): string =>
  Object.entries(data)
    .map(([key, value]) => ` data-${key}="${escapeHtml(String(value))}"`)
    .join('');

/** Horizontal bars, one per row, scaled to the largest; `marker` draws a vertical reference line. */
const barChart = (
  bars: readonly Bar[],
  options: { id: string; marker?: { value: number; label: string }; max?: number } = { id: 'chart' },
): string => {
  const max = Math.max(options.max ?? 0, options.marker?.value ?? 0, ...bars.map((b) => b.value), Number.MIN_VALUE);
  const plot = CHART_WIDTH - LABEL_WIDTH - 90;
  const height = bars.length * ROW + 24;
  const x = (value: number) => LABEL_WIDTH + (Math.max(0, value) / max) * plot;
  const rows = bars
    .map((bar, i) => {
      const y = 8 + i * ROW;
      return `<g class="row"><text class="axis-label" x="${LABEL_WIDTH - 6}" y="${y + 12}" text-anchor="end">${escapeHtml(bar.label)}</text><rect class="${bar.className}"${dataAttributes(bar.data)} x="${LABEL_WIDTH}" y="${y + 2}" width="${Math.max(0.5, x(bar.value) - LABEL_WIDTH).toFixed(2)}" height="${ROW - 5}"><title>${escapeHtml(`${bar.label}: ${bar.text}`)}</title></rect><text class="value" x="${(x(bar.value) + 4).toFixed(2)}" y="${y + 12}">${escapeHtml(bar.text)}</text></g>`;
    })
    .join('');
  // The marker's label sits left of its line when the line is near the right edge.
  const markerX = options.marker ? x(options.marker.value) : 0;
  const leftOfLine = markerX > CHART_WIDTH - 200;
  const marker = options.marker
    ? `<line class="threshold" data-value="${options.marker.value}" x1="${markerX.toFixed(2)}" x2="${markerX.toFixed(2)}" y1="4" y2="${height - 14}"/><text class="threshold-label" x="${(markerX + (leftOfLine ? -3 : 3)).toFixed(2)}" y="${height - 3}" text-anchor="${leftOfLine ? 'end' : 'start'}">${escapeHtml(options.marker.label)}</text>`
    : '';
  return `<svg id="${options.id}" class="chart" xmlns="http://www.w3.org/2000/svg" width="${CHART_WIDTH}" height="${height}" viewBox="0 0 ${CHART_WIDTH} ${height}" role="img"><title>${escapeHtml(options.id)}</title>${rows}${marker}</svg>`;
};

const sizeChart = (report: CompressReport): string => {
  const { before, after } = report.constantBytes;
  const types = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort(
    (a, b) => Math.max(before[b] ?? 0, after[b] ?? 0) - Math.max(before[a] ?? 0, after[a] ?? 0),
  );
  const bars = types.flatMap((type) =>
    (['before', 'after'] as const).map((side) => {
      const bytes = (side === 'before' ? before : after)[type] ?? 0;
      return {
        label: `${type} ${side}`,
        value: bytes,
        text: formatBytes(bytes),
        className: `size-bar size-${side}`,
        data: { type, side, bytes },
      };
    }),
  );
  return barChart(bars, { id: 'size-chart' });
};

const layerChart = (layers: readonly LayerReport[], threshold: number | undefined): string => {
  const sorted = [...layers].sort((a, b) => b.rmseOverScale - a.rmseOverScale);
  const limit = threshold ?? Number.POSITIVE_INFINITY;
  return barChart(
    sorted.map((layer) => ({
      label: `${layer.name.length > 38 ? `…${layer.name.slice(-37)}` : layer.name}`,
      value: layer.rmseOverScale,
      text: `${layer.rmseOverScale.toFixed(3)} (${layer.op})`,
      className: `layer-bar${layer.rmseOverScale > limit ? ' over' : ''}`,
      data: { layer: layer.name, op: layer.op, value: layer.rmseOverScale },
    })),
    {
      id: 'layer-chart',
      marker:
        threshold === undefined
          ? { value: ROUNDING_ONLY, label: `rounding only (${ROUNDING_ONLY.toFixed(3)})` }
          : { value: threshold, label: `keep-float threshold ${threshold}` },
    },
  );
};

const tensorChart = (report: CompressReport): string => {
  const worst = [...report.tensors].sort((a, b) => b.rmse - a.rmse).slice(0, 40);
  return barChart(
    worst.map((t) => ({
      label: t.name.length > 38 ? `…${t.name.slice(-37)}` : t.name,
      value: t.rmse,
      text: `${t.rmse.toExponential(2)} (${t.from} → ${t.to})`,
      className: 'tensor-bar',
      data: { tensor: t.name, value: t.rmse },
    })),
    { id: 'tensor-chart' },
  );
};

const fidelityTable = (report: CompressReport): string => {
  const rows = report.fidelity.outputs
    .map(
      (o) =>
        `<tr class="fidelity-row" data-output="${escapeHtml(o.name)}"><td>${escapeHtml(o.name)}</td><td class="num">${o.cosine}</td><td><span class="meter"><span style="width:${(Math.max(0, Math.min(1, o.cosine)) * 100).toFixed(2)}%"></span></span></td><td class="num">${o.maxAbsError}</td><td class="num">${o.rmse}</td></tr>`,
    )
    .join('');
  return `<table id="fidelity"><tr><th>output</th><th>cosine</th><th></th><th>max error</th><th>rmse</th></tr>${rows}</table><p class="note">On ${report.fidelity.samples} inputs: ${escapeHtml(report.fidelity.source)}.</p>`;
};

const latencyChart = (report: CompressReport): string =>
  barChart(
    [
      {
        label: 'before (p50)',
        value: report.latency.beforeP50Ms,
        text: `${report.latency.beforeP50Ms} ms`,
        className: 'latency-bar',
        data: { side: 'before', ms: report.latency.beforeP50Ms },
      },
      {
        label: 'after (p50)',
        value: report.latency.afterP50Ms,
        text: `${report.latency.afterP50Ms} ms`,
        className: 'latency-bar',
        data: { side: 'after', ms: report.latency.afterP50Ms },
      },
    ],
    { id: 'latency-chart' },
  );

const STYLE = `
body{font-family:system-ui,sans-serif;color:#1d2330;margin:1.5rem auto;max-width:820px;padding:0 1rem;line-height:1.45}
dd,td,li,code,p{overflow-wrap:anywhere}.verdict{font-size:1.1rem;font-weight:600;margin:.4rem 0}
details{margin:.4rem 0}summary{cursor:pointer;color:#3b4252}ul.names{margin:.3rem 0;padding-left:1.2rem;font-size:.85rem}
h1{font-size:1.4rem;margin-bottom:.2rem}h2{font-size:1.05rem;margin-top:2rem;border-bottom:1px solid #dde1e7;padding-bottom:.2rem}
.summary{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}.summary dt{color:#5a6272}.summary dd{margin:0}
.recommendation{background:#e8f6f5;border-left:4px solid #0b7a75;padding:.6rem .9rem;margin:.6rem 0}
.drift .recommendation{background:#fdf0ee;border-left-color:#c62828}
.chart{max-width:100%;height:auto;font-size:11px}.axis-label{fill:#3b4252}.value{fill:#5a6272}
.size-before{fill:#9aa3b2}.size-after{fill:#0b7a75}.layer-bar{fill:#5470c6}.layer-bar.over{fill:#c62828}
.tensor-bar{fill:#5470c6}.sparsity-bar{fill:#91cc75}.latency-bar{fill:#fac858}.threshold{stroke:#c62828;stroke-width:1.5;stroke-dasharray:4 3}
.threshold-label{fill:#c62828}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.2rem .4rem;border-bottom:1px solid #dde1e7}
.num{font-variant-numeric:tabular-nums}.meter{display:inline-block;width:8rem;height:.7rem;background:#e3e6eb;border-radius:2px;overflow:hidden}
.meter span{display:block;height:100%;background:#0b7a75}.note{color:#5a6272;font-size:.9rem}code{font-size:.9em}`;

/** With --prune: each layer's sparsity, most pruned first, and what it bought. */
const pruningSection = (report: CompressReport): string => {
  const p = report.pruning;
  if (!p) return '';
  const layers = [...p.layers].sort((a, b) => b.sparsity - a.sparsity);
  const chart = barChart(
    layers.map((l) => ({
      label: l.name.length > 38 ? `…${l.name.slice(-37)}` : l.name,
      value: l.sparsity,
      text: `${(l.sparsity * 100).toFixed(0)}% of ${l.elements} (${l.op})`,
      className: 'sparsity-bar',
      data: { layer: l.name, value: l.sparsity },
    })),
    { id: 'sparsity-chart', max: 1 },
  );
  return `<h2>Pruning: sparsity per layer</h2><p class="note">${escapeHtml(p.note)}</p>${chart}`;
};

/** With --eval: the labeled set's measures before and after, side by side. */
const evalSection = (report: CompressReport): string => {
  if (!report.eval) return '';
  const { before, after, kind, items, data } = report.eval;
  const pct = (v: number | undefined) => (v === undefined ? '' : `${(v * 100).toFixed(1)}%`);
  const rows: [string, string, string][] =
    kind === 'classification'
      ? [
          ['top-1', pct(before.top1), pct(after.top1)],
          ['top-5', pct(before.top5), pct(after.top5)],
        ]
      : kind === 'detection'
        ? [
            ['precision (IoU 0.5)', pct(before.precision), pct(after.precision)],
            ['recall (IoU 0.5)', pct(before.recall), pct(after.recall)],
            ['mean IoU', String(before.meanIoU), String(after.meanIoU)],
          ]
        : (before.outputs ?? []).map((o, i) => [
            `${o.name} cosine`,
            String(o.cosine),
            String(after.outputs?.[i]?.cosine ?? ''),
          ]);
  rows.push(['agreement with the input', '', kind === 'tensors' ? String(after.agreement) : pct(after.agreement)]);
  rows.push(['p50 per item (pipeline)', `${before.p50Ms} ms`, `${after.p50Ms} ms`]);
  const body = rows
    .map(
      ([name, a, b]) =>
        `<tr class="eval-row"><td>${escapeHtml(name)}</td><td class="num">${escapeHtml(a)}</td><td class="num">${escapeHtml(b)}</td></tr>`,
    )
    .join('');
  return `<h2>On the labeled set</h2><p class="note">${items} ${escapeHtml(kind)} items from ${escapeHtml(data)}, through the serving pipeline.</p><table id="eval"><tr><th></th><th>before</th><th>after</th></tr>${body}</table>`;
};

/** Operators left in float, grouped by why: "RESHAPE ×3, CONCATENATION ×2 (reason)". */
const floatOpsByReason = (ops: NonNullable<CompressReport['floatOps']>): string => {
  const byReason = new Map<string, Map<string, number>>();
  for (const { op, reason } of ops) {
    const counts = byReason.get(reason) ?? new Map<string, number>();
    counts.set(op, (counts.get(op) ?? 0) + 1);
    byReason.set(reason, counts);
  }
  return [...byReason]
    .map(
      ([reason, counts]) =>
        `${[...counts].map(([op, n]) => `${escapeHtml(op)}${n > 1 ? ` ×${n}` : ''}`).join(', ')} (${escapeHtml(reason)})`,
    )
    .join('; ');
};

/** Names shown in a collapsed list before "and N more". */
const LIST_LIMIT = 30;

/** A long list of names, collapsed under a one-line summary and cut at LIST_LIMIT with a count. */
const collapsedList = (id: string, title: string, items: readonly string[]): string => {
  if (items.length === 0) return '';
  const shown = items
    .slice(0, LIST_LIMIT)
    .map((i) => `<li><code>${escapeHtml(i)}</code></li>`)
    .join('');
  const more =
    items.length > LIST_LIMIT
      ? `<li class="more">and ${items.length - LIST_LIMIT} more (the JSON report lists them all)</li>`
      : '';
  return `<details id="${id}"><summary>${escapeHtml(title)}</summary><ul class="names">${shown}${more}</ul></details>`;
};

/** Where the bytes go against the damage: each candidate layer quantized alone, worst first. */
const damageSection = (report: CompressReport): string => {
  const damage = report.guard?.damage;
  if (!damage || damage.length === 0) return '';
  const kept = new Set(report.guard!.kept);
  const rows = damage
    .slice(0, LIST_LIMIT)
    .map(
      (d) =>
        `<tr class="damage-row${kept.has(d.name) ? ' kept' : ''}"><td>${escapeHtml(d.name)}</td><td class="num">${d.severity}</td><td class="num">${escapeHtml(formatBytes(d.extraBytes))}</td><td>${kept.has(d.name) ? 'float16' : 'int8'}</td></tr>`,
    )
    .join('');
  const more =
    damage.length > LIST_LIMIT
      ? `<p class="note">and ${damage.length - LIST_LIMIT} more layers, less damaging (the JSON report lists them all).</p>`
      : '';
  return `<details id="damage"><summary>Where the bytes go: ${damage.length} layers, each quantized alone (1 is the floor)</summary><table><tr><th>layer</th><th>damage alone</th><th>float16 costs</th><th>kept as</th></tr>${rows}</table>${more}</details>`;
};

/** What the served task answers after compression, against the original's answers. */
const taskRows = (report: CompressReport): [string, string][] => {
  const task = report.fidelity.task;
  return task ? [[`task (${report.fidelity.taskName})`, describeTaskFidelity(task)]] : [];
};

/** The report of `tfls compress --report FILE.html`: the verdict and the recommendation first, details after. */
const compressReportHtml = (report: CompressReport, title: string): string => {
  const int8 = report.layers !== undefined;
  const threshold = report.autoKeepFloat?.threshold;
  const guard = report.guard;
  const summary: [string, string][] = [
    [
      'size',
      `${formatBytes(report.inputBytes)} → ${formatBytes(report.outputBytes)} (${report.ratio}x smaller than float32, ${report.ratioToInput}x than the input)`,
    ],
    ...(report.inputPrecision ? ([['input', report.inputPrecision.description]] as [string, string][]) : []),
    ['tensors', `${report.tensors.length} rewritten, ${report.skipped.length} left as they were`],
    ...taskRows(report),
    ...(guard
      ? ([
          [
            'guard',
            `${guard.task?.statement ?? `cosine ${guard.floor}`}: ${guard.met ? 'held' : 'missed'}${guard.kept.length > 0 ? `, ${guard.kept.length} layer(s) kept in float16${guard.keptBytes !== undefined ? ` (+${formatBytes(guard.keptBytes)})` : ''}` : ''}`,
          ],
        ] as [string, string][])
      : []),
    ...(report.calibration
      ? ([
          [
            'calibration',
            `${report.calibration.samples} inputs, ${report.calibration.method}: ${report.calibration.source}`,
          ],
        ] as [string, string][])
      : []),
    ...(report.delegatedToXnnpack
      ? ([['XNNPACK', `${report.delegatedToXnnpack.delegated} of ${report.delegatedToXnnpack.nodes} nodes`]] as [
          string,
          string,
        ][])
      : []),
    ['latency', report.latency.summary ?? `p50 ${report.latency.beforeP50Ms} → ${report.latency.afterP50Ms} ms`],
  ];
  const floatOps = report.floatOps ?? [];
  const lists =
    collapsedList('kept', `${report.keptFloat?.length ?? 0} layer(s) kept in float16`, report.keptFloat ?? []) +
    (floatOps.length > 0
      ? `<details id="float-ops"><summary>${floatOps.length} operator(s) stayed float</summary><p class="note">${floatOpsByReason(floatOps)}</p></details>`
      : '');
  const errorSection = int8
    ? `<h2>Per-layer error: rmse / scale, worst first</h2><p class="note">${report.layers!.length} quantized tensors against float (TensorFlow's quantization debugger metric). About ${ROUNDING_ONLY.toFixed(3)} is rounding alone; ${threshold === undefined ? 'the dashed line marks it' : `layers past the dashed line (${threshold}, --auto-keep-float) were kept in float16`}.</p>${layerChart(report.layers!, threshold)}`
    : report.tensors.length > 0
      ? `<h2>Weight error by tensor (rmse), worst first</h2><p class="note">${Math.min(40, report.tensors.length)} of ${report.tensors.length} rewritten constants.</p>${tensorChart(report)}`
      : '';
  const drift = report.unchanged === undefined && guard !== undefined && !guard.met;
  const details = report.unchanged
    ? ''
    : `${damageSection(report)}
<h2>Size by tensor type, before and after</h2>${sizeChart(report)}
${errorSection}
${pruningSection(report)}
<h2>Output fidelity</h2>${fidelityTable(report)}
${evalSection(report)}
<h2>Latency, ${escapeHtml(report.latency.engine)} (${escapeHtml(report.latency.delegate)})</h2><p class="note">${escapeHtml(report.latency.summary ?? '')}</p>${latencyChart(report)}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`${title}: ${report.mode} compression report`)}</title><style>${STYLE}</style></head>
<body${drift ? ' class="drift"' : ''}>
<h1>${escapeHtml(title)}: ${escapeHtml(report.mode)}</h1>
<p class="verdict" id="verdict">${escapeHtml(report.verdict ?? '')}</p>
<p class="recommendation" id="recommendation">${escapeHtml(report.recommendation)}</p>
<dl class="summary">${summary.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>
${lists}
${details}
</body></html>
`;
};

export { compressReportHtml };
