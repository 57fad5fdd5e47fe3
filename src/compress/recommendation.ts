import { matches, worst as worstCosine } from './mixedPrecision.js';
import type { CompressMode, GuardReport, OutputFidelity } from './types.js';

interface Facts {
  readonly mode: CompressMode;
  readonly ratio: number;
  readonly outputBytes: number;
  readonly outputs: readonly OutputFidelity[];
  readonly beforeP50Ms: number;
  readonly afterP50Ms: number;
  readonly delegate: string;
  readonly keptFloat: readonly string[];
  readonly minCosine: number;
  readonly guard?: GuardReport;
}

/** What the fidelity guard did, in a sentence (empty when it had nothing to do). */
const guardSentence = (guard: GuardReport | undefined): string => {
  if (guard?.reachable !== undefined)
    return ` The fidelity guard kept nothing: even every quantized layer in float16 reaches only cosine ${guard.reachable} of its floor ${guard.floor}, so the loss is elsewhere (the inputs, outputs or ops the mode fixes); check the drifting outputs on your own data.`;
  if (!guard || guard.kept.length === 0) return '';
  return guard.met
    ? ` The fidelity guard kept ${guard.kept.length} layer(s) in float16 to lift the worst output from cosine ${guard.worstBefore} to ${guard.worstAfter} (floor ${guard.floor}; --no-guard for the raw result).`
    : ` The fidelity guard kept ${guard.kept.length} layer(s) in float16 but reached only cosine ${guard.worstAfter} of its floor ${guard.floor}.`;
};

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(2)} MB`;

/** What the report's numbers mean, in plain words. */
const recommend = (f: Facts): string => {
  const worst = worstCosine(f.outputs);
  const speed =
    f.afterP50Ms > f.beforeP50Ms * 1.1
      ? `it runs slower than the original (p50 ${f.beforeP50Ms} → ${f.afterP50Ms} ms)`
      : f.afterP50Ms < f.beforeP50Ms * 0.9
        ? `it runs faster than the original (p50 ${f.beforeP50Ms} → ${f.afterP50Ms} ms)`
        : `it runs at the original's speed (p50 ${f.beforeP50Ms} → ${f.afterP50Ms} ms)`;
  const fidelity =
    worst >= f.minCosine
      ? `outputs match the original (worst cosine ${worst})`
      : `some outputs drift: ${f.outputs
          .filter((o) => !matches(o) && o.cosine < f.minCosine)
          .map((o) => `${o.name} cosine ${o.cosine}`)
          .join(', ')}; check them on your own data before deploying`;
  const size = `${mb(f.outputBytes)}, ${f.ratio.toFixed(2)}x smaller than float32`;
  switch (f.mode) {
    case 'float32':
      return `Float32 baseline (${mb(f.outputBytes)}): for runtimes without float16 support. On XNNPACK the float16 file runs as fast at half the size; prefer it.`;
    case 'float16':
      return `Float16 weights: ${size}; ${fidelity}; ${speed}, because XNNPACK unpacks float16 weights at load. A safe default for Lambda.`;
    case 'dynamic':
      return (
        `Dynamic-range int8 weights: ${size}; ${fidelity}; ${speed}. XNNPACK has no dynamic-range kernels, so the quantized ` +
        `convolutions run on TFLite's slower hybrid kernels: choose this when size matters more than latency. ` +
        (f.keptFloat.length > 0 && !f.guard?.kept.length
          ? `${f.keptFloat.length} sensitive layer(s) were kept in float16 to hold fidelity. `
          : '') +
        'For speed as well as size, use full int8 (--mode int8).' +
        guardSentence(f.guard)
      );
    case 'int8':
      return (
        `Full-integer int8: ${size}; ${fidelity}; ${speed} (XNNPACK runs int8 with its QS8 kernels` +
        `${f.delegate === 'xnnpack' ? '' : ', but the delegate was not available here'}). ` +
        (f.keptFloat.length > 0 ? `${f.keptFloat.length} layer(s) stayed float.` : '') +
        guardSentence(f.guard)
      ).trim();
  }
};

export { recommend };
