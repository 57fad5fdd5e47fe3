import { ModelLoadError, type TflsError, UnsupportedError } from '../errors.js';
import { BuiltinOperator, TensorType } from '../tflite/generated/reader/schema_generated.js';
import { graphLoops } from '../tflite/graphLoops.js';
import { builtinCode } from '../tflite/opcodes.js';
import type { ModelFile } from '../tflite/openModel.js';
import { vectorOf } from '../tflite/vectorOf.js';
import type { NativeModel } from './native/NativeModel.js';
import type { Model } from './types.js';

/** XNNPACK taking at least this share of the graph is native running as it should. */
const CLEARLY_FINE = 0.9;

/** The rules `auto` applies, in order; `engineReason` starts with the engine and names the rule's finding. */
const RULES = {
  uint8:
    'the graph computes in uint8 (QU8), which TFLite 2.9 runs on its reference kernels (its XNNPACK has no QU8 operators) and LiteRT.js runs on XNNPACK',
  nativeCannotLoad: 'the native runtime cannot load it',
  covered: 'XNNPACK covers the graph natively',
  partial: 'the native XNNPACK delegate covers under 90% of the graph, and LiteRT.js runs all of it on XNNPACK',
  loops:
    'the graph loops (WHILE): native runs it off the event loop, where a run that never ends can be given up on (INFERENCE_TIMEOUT_SECONDS); LiteRT.js would run it on the event loop',
} as const;

/**
 * Whether operators compute on quantized uint8 tensors (TF1-converter
 * models, quantization-aware training exports). QUANTIZE and DEQUANTIZE
 * alone do not count: a uint8 input converted to int8 at the edge
 * (`tfls compress --io uint8`) leaves an int8 graph, which XNNPACK 2.9 runs.
 */
const computesInUint8 = (file: ModelFile): boolean => {
  const subgraph = file.root.subgraphs(0);
  if (!subgraph) return false;
  const edges = new Set<number>([BuiltinOperator.QUANTIZE, BuiltinOperator.DEQUANTIZE]);
  const uint8 = (index: number): boolean => {
    const tensor = index >= 0 ? subgraph.tensors(index) : null;
    return tensor?.type() === TensorType.UINT8 && (tensor.quantization()?.scaleLength() ?? 0) > 0;
  };
  return vectorOf(subgraph.operatorsLength(), (i) => subgraph.operators(i)).some((operator) => {
    const code = file.operatorCodes[operator.opcodeIndex()];
    if (!code || edges.has(builtinCode(code))) return false;
    return vectorOf(operator.inputsLength(), (i) => operator.inputs(i)).some(uint8);
  });
};

/** How the native delegate covers the graph, in words. */
const coverage = (native: Model): string =>
  native.delegate === 'xnnpack'
    ? `XNNPACK runs ${native.delegatedNodes ?? 0} of ${native.nodes} nodes natively`
    : `the native XNNPACK delegate is not applied (${native.delegateReason ?? 'no reason given'})`;

/**
 * Native serves as it is when XNNPACK takes most of the graph, or when the
 * delegate is off for a reason that is not the model's (turned off by the
 * caller, or a CPU XNNPACK cannot start on: delegateReason says what to fix).
 */
const nativeIsFine = (native: NativeModel): boolean =>
  native.delegate === 'xnnpack'
    ? native.nodes === 0 || (native.delegatedNodes ?? 0) / native.nodes >= CLEARLY_FINE
    : !native.delegateRefusedGraph;

interface Choice {
  readonly model: Model;
  readonly reason: string;
}

interface EngineLoaders {
  readonly native: () => NativeModel;
  /** `fallbackReason`: why native could not, when that is why WASM loads. */
  readonly wasm: (fallbackReason?: string) => Promise<Model>;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Errors that mean "this engine cannot take this model", after which another engine may. */
const engineRefused = (error: unknown): error is TflsError =>
  error instanceof ModelLoadError || error instanceof UnsupportedError;

/**
 * `auto`: a rule on what the model is, not a race. In order:
 * 1. a graph computing in uint8 goes to LiteRT.js (native when LiteRT.js refuses it);
 * 2. a model the native runtime cannot load (custom ops it lacks) goes to LiteRT.js;
 * 3. native serves when XNNPACK covers at least 90% of its nodes, or when the
 *    graph loops (its runs stay off the event loop, under the inference deadline);
 * 4. otherwise LiteRT.js, when it loads the model.
 * Deterministic, and one engine's load for rules 1 to 3; only rule 4 loads
 * both (native, to learn the coverage). Timed comparisons are for
 * `tfls bench --engine all`.
 */
const chooseEngine = async (file: ModelFile, load: EngineLoaders): Promise<Choice> => {
  if (computesInUint8(file)) {
    try {
      return { model: await load.wasm(), reason: `wasm: ${RULES.uint8}` };
    } catch (error) {
      if (!engineRefused(error)) throw error;
      return { model: load.native(), reason: `native: ${RULES.uint8}, but ${message(error)}` };
    }
  }
  let native: NativeModel;
  try {
    native = load.native();
  } catch (error) {
    if (!engineRefused(error)) throw error;
    const reason = `${RULES.nativeCannotLoad} (${message(error)})`;
    try {
      return { model: await load.wasm(`native engine: ${message(error)}`), reason: `wasm: ${reason}` };
    } catch (wasmError) {
      throw new ModelLoadError(`no engine could load the model: ${reason}; WASM engine: ${message(wasmError)}`, {
        cause: wasmError,
      });
    }
  }
  if (nativeIsFine(native)) return { model: native, reason: `native: ${coverage(native)}` };
  if (graphLoops(file)) return { model: native, reason: `native: ${coverage(native)}; ${RULES.loops}` };
  try {
    const wasm = await load.wasm();
    native.dispose();
    return { model: wasm, reason: `wasm: ${coverage(native)}; ${RULES.partial}` };
  } catch (error) {
    if (!engineRefused(error)) {
      native.dispose();
      throw error;
    }
    return { model: native, reason: `native: ${coverage(native)}, and LiteRT.js cannot load it (${message(error)})` };
  }
};

export type { Choice, EngineLoaders };
export { chooseEngine, computesInUint8, RULES };
