import { ModelLoadError, UnsupportedError } from '../../errors.js';
import { runGate } from '../../onnx/gate.js';
import { translateModel } from '../../onnx/translateModel.js';
import { readModel } from '../../tflite/readModel.js';
import { resolveThreads } from '../threads.js';
import type { LoadOptions, Model } from '../types.js';
import { OrtModel } from './OrtModel.js';
import { tensorInfos } from './tensorInfos.js';

/**
 * The `ort` engine: the model translated to ONNX, a session on ONNX Runtime,
 * and the gate: the translation is served only if it answers like TFLite
 * (`loadReference`: the native engine, or WASM when native cannot load the
 * model) on the model's synthetic inputs. Untranslatable ops are an
 * UnsupportedError naming them; a failed gate a ModelLoadError with its
 * numbers. `engineReason` says what was translated and what the gate measured.
 */
const loadOrtModel = async (
  bytes: Uint8Array,
  options: LoadOptions,
  loadReference: () => Promise<Model>,
): Promise<Model> => {
  const file = readModel(bytes);
  let translated: ReturnType<typeof translateModel>;
  try {
    translated = translateModel(file);
  } catch (error) {
    if (!(error instanceof UnsupportedError)) throw error;
    throw new UnsupportedError(`the ort engine cannot take this model: ${error.message}`, {
      cause: error,
      ...(error.details && { details: error.details }),
    });
  }
  const subgraph = file.model.subgraphs[0]!;
  const model = await OrtModel.create(
    { onnx: translated.onnx, ...translated.report },
    tensorInfos(subgraph, subgraph.inputs, 'input'),
    tensorInfos(subgraph, subgraph.outputs, 'output'),
    resolveThreads(options.threads),
  );
  try {
    const reference = await loadReference();
    let verdict: Awaited<ReturnType<typeof runGate>>;
    try {
      verdict = await runGate(model, reference);
    } finally {
      reference.dispose();
    }
    if (!verdict.pass)
      throw new ModelLoadError(`the ONNX translation does not answer like TFLite: ${verdict.summary}`, {
        details: { gate: verdict },
      });
    const { operators, onnxNodes } = translated.report;
    model.engineReason = `ort: ${operators} TFLite ops translated to ${onnxNodes} ONNX nodes; ${verdict.summary}`;
    return model;
  } catch (error) {
    model.dispose();
    throw error;
  }
};

export { loadOrtModel };
