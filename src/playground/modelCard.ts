import type { ModelMetadata, Prediction } from './api.js';

const cell = (tag: 'td' | 'th', text: string): HTMLElement => {
  const element = document.createElement(tag);
  element.textContent = text;
  return element;
};

const table = (rows: readonly (readonly string[])[], header: readonly string[]): HTMLTableElement => {
  const element = document.createElement('table');
  const head = document.createElement('tr');
  head.append(...header.map((h) => cell('th', h)));
  element.append(head);
  for (const row of rows) {
    const tr = document.createElement('tr');
    tr.append(...row.map((value) => cell('td', value)));
    element.append(tr);
  }
  return element;
};

const describe = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.join(', ')}]`;
  if (typeof value === 'object' && value !== null)
    return Object.entries(value)
      .map(([key, v]) => `${key} ${describe(v)}`)
      .join(' · ');
  return String(value);
};

/** A model card from the KServe v2 model metadata: tensors, task, engine, and the settings' source. */
const renderModelCard = (container: HTMLElement, metadata: ModelMetadata): void => {
  const p = metadata.parameters;
  const heading = document.createElement('h2');
  heading.textContent = `${metadata.name} ${p.version ? `v${String(p.version)}` : ''}`;
  const facts: [string, unknown][] = [
    ['task', p.task],
    ['engine', p.engine],
    ['delegate', p.delegate],
    [
      'XNNPACK nodes',
      // LiteRT.js does not say how many nodes its XNNPACK took: nothing to show then.
      p.delegatedNodes === undefined ? undefined : `${String(p.delegatedNodes)} of ${String(p.totalNodes)}`,
    ],
    ['threads', p.threads],
    ['settings from', p.settings],
    ['each from', p.settingsFrom],
    ['input', p.input],
    ['labels', p.labels],
    ['why this engine', p.engineReason],
    ['delegate note', p.delegateReason],
  ];
  const list = document.createElement('dl');
  for (const [name, value] of facts) {
    if (value === undefined) continue;
    const term = document.createElement('dt');
    term.textContent = name;
    const definition = document.createElement('dd');
    definition.textContent = describe(value);
    definition.dataset.fact = name;
    list.append(term, definition);
  }
  const tensors = (kind: string, list: ModelMetadata['inputs']) =>
    list.map((t) => [kind, t.name, t.datatype, `[${t.shape.join(', ')}]`]);
  container.replaceChildren(
    heading,
    list,
    table(
      [...tensors('input', metadata.inputs), ...tensors('output', metadata.outputs)],
      ['', 'name', 'type', 'shape'],
    ),
  );
};

/** The Server-Timing split as stacked bars, beside the round trip the page measured. */
const renderTimings = (container: HTMLElement, prediction: Prediction): void => {
  const total = prediction.timings.find((t) => t.name === 'total')?.ms;
  const stages = prediction.timings.filter((t) => t.name !== 'total');
  const sum = stages.reduce((s, t) => s + t.ms, 0) || 1;
  const bar = document.createElement('div');
  bar.className = 'timing-bar';
  const legend = document.createElement('ul');
  legend.className = 'timing-legend';
  for (const stage of stages) {
    const part = document.createElement('span');
    part.className = `stage stage-${stage.name}`;
    part.style.width = `${(stage.ms / sum) * 100}%`;
    part.title = `${stage.name} ${stage.ms.toFixed(2)} ms`;
    bar.append(part);
    const item = document.createElement('li');
    item.className = `stage-${stage.name}`;
    item.dataset.stage = stage.name;
    item.textContent = `${stage.name} ${stage.ms.toFixed(2)} ms`;
    legend.append(item);
  }
  const summary = document.createElement('p');
  summary.textContent = `server ${total === undefined ? sum.toFixed(1) : total.toFixed(1)} ms, round trip ${prediction.roundTripMs.toFixed(1)} ms${prediction.version ? `, model version ${prediction.version}` : ''}`;
  container.replaceChildren(bar, legend, summary);
};

export { renderModelCard, renderTimings };
