import { syntheticInputs } from './syntheticInputs.js';
import type { Model } from './types.js';

/** XNNPACK taking at least this share of the graph is native running as it should: no probe, no WASM runtime. */
const CLEARLY_FINE = 0.9;
/** WASM must be this much faster to be chosen: a probe of a few runs is noisy, and native has no JIT warm-up to pay. */
const MARGIN = 1.1;
const PROBE_RUNS = 5;

/** Whether the native model is delegated well enough that the other engine need not be tried. */
const nativeIsFine = (native: Model): boolean =>
  native.delegate === 'xnnpack' && (native.nodes === 0 || native.delegatedNodes / native.nodes >= CLEARLY_FINE);

/** How the native delegate covers the graph, in words. */
const coverage = (native: Model): string =>
  native.delegate === 'xnnpack'
    ? `XNNPACK runs ${native.delegatedNodes} of ${native.nodes} nodes natively`
    : `the native XNNPACK delegate is not applied (${native.delegateReason ?? 'no reason given'})`;

/** Median time of a run, after one warm-up, on the same synthetic inputs. */
const medianRunMs = (model: Model): number => {
  const inputs = syntheticInputs(model.inputs, 1);
  model.run(inputs);
  const times: number[] = [];
  for (let i = 0; i < PROBE_RUNS; i++) {
    const started = performance.now();
    model.run(inputs);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
};

interface Choice {
  readonly model: Model;
  readonly reason: string;
}

/**
 * `auto` between a loaded native model and a WASM one the caller can load:
 * native as it is when XNNPACK covers the graph (the WASM runtime is never
 * loaded, so cold starts do not pay for it); otherwise a short timed probe of
 * both on the same inputs, and the faster serves. The other is disposed.
 */
const chooseEngine = async (native: Model, loadWasm: () => Promise<Model>): Promise<Choice> => {
  if (nativeIsFine(native)) return { model: native, reason: `native: ${coverage(native)}` };
  let wasm: Model;
  try {
    wasm = await loadWasm();
  } catch (error) {
    return {
      model: native,
      reason: `native: ${coverage(native)}, and WASM cannot load it (${(error as Error).message})`,
    };
  }
  const [nativeMs, wasmMs] = [medianRunMs(native), medianRunMs(wasm)];
  const figures = `timed probe, median of ${PROBE_RUNS} runs: native ${nativeMs.toFixed(2)} ms, WASM ${wasmMs.toFixed(2)} ms`;
  if (wasmMs * MARGIN < nativeMs) {
    native.dispose();
    return { model: wasm, reason: `wasm: ${coverage(native)}; ${figures}` };
  }
  wasm.dispose();
  return { model: native, reason: `native: ${coverage(native)}; ${figures}` };
};

export type { Choice };
export { chooseEngine, MARGIN };
