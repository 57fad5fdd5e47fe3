import { UnsupportedError } from '../errors.js';
import { builtinCode, CUSTOM as CUSTOM_CODE, opName } from '../tflite/opcodes.js';
import type { TfliteFile } from '../tflite/readModel.js';
import { BUILTINS, CUSTOM, type OpTranslator } from './ops/registry.js';
import { Translation } from './translation.js';

/** Bumped when a change to the translation changes the graphs it writes. */
const TRANSLATION_VERSION = '1';

interface TranslationReport {
  /** TFLite operators translated (all of them). */
  readonly operators: number;
  /** Nodes of the ONNX graph written. */
  readonly onnxNodes: number;
  /** The ONNX graph's input and output names, in the TFLite model's order. */
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
}

interface TranslatedModel {
  readonly onnx: Uint8Array;
  readonly report: TranslationReport;
}

const translatorFor = (file: TfliteFile, opcodeIndex: number): OpTranslator | undefined => {
  const code = file.model.operatorCodes[opcodeIndex];
  if (!code) return undefined;
  const builtin = builtinCode(code);
  return builtin === CUSTOM_CODE ? CUSTOM.get(String(code.customCode ?? '')) : BUILTINS.get(builtin);
};

/**
 * Translates a TFLite model (its main subgraph) into an ONNX model that ONNX
 * Runtime runs: NHWC inputs and outputs as TFLite has them, NCHW inside,
 * quantized tensors in QDQ form. Throws UnsupportedError naming every op
 * the translation does not cover, or the op and the reason when one of its
 * uses cannot be translated.
 */
const translateModel = (file: TfliteFile): TranslatedModel => {
  const subgraph = file.model.subgraphs[0];
  if (!subgraph) throw new UnsupportedError('the model has no subgraph');
  const missing = new Set<string>();
  for (const op of subgraph.operators)
    if (!translatorFor(file, op.opcodeIndex)) missing.add(opName(file.model.operatorCodes[op.opcodeIndex]!));
  if (missing.size > 0)
    throw new UnsupportedError(`ops not translated to ONNX: ${[...missing].sort().join(', ')}`, {
      details: { ops: [...missing] },
    });
  const t = new Translation(file.model, subgraph);
  const inputNames = subgraph.inputs.map((index) => {
    const name = t.graph.uniqueName(t.hint(index));
    t.graph.input(name, t.onnxType(index), t.shape(index));
    t.defineInput(index, name);
    return name;
  });
  subgraph.operators.forEach((op, i) => {
    try {
      translatorFor(file, op.opcodeIndex)!(t, op);
    } catch (error) {
      if (!(error instanceof UnsupportedError)) throw error;
      throw new UnsupportedError(`${t.opName(op)} (operator ${i}) cannot be translated: ${error.message}`, {
        cause: error,
        details: { ops: [t.opName(op)] },
      });
    }
  });
  const used = new Set(inputNames);
  const outputNames = subgraph.outputs.map((index) => {
    let name = t.outputValue(index);
    if (used.has(name) || t.isConstant(index)) name = t.graph.op('Identity', [name], `${t.hint(index)}_output`);
    used.add(name);
    t.graph.output(name, t.onnxType(index), t.shape(index));
    return name;
  });
  const onnx = t.graph.encode(String(subgraph.name ?? 'main'), TRANSLATION_VERSION);
  return {
    onnx,
    report: { operators: subgraph.operators.length, onnxNodes: t.graph.nodeCount, inputNames, outputNames },
  };
};

export type { TranslatedModel, TranslationReport };
export { TRANSLATION_VERSION, translateModel };
