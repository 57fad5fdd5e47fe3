import { ModelLoadError, UnsupportedError } from '../../errors.js';
import { type GateVerdict, runGate } from '../../onnx/gate.js';
import { translateModel } from '../../onnx/translateModel.js';
import { readModel } from '../../tflite/readModel.js';
import { resolveThreads } from '../threads.js';
import type { LoadOptions, Model } from '../types.js';
import { OrtModel } from './OrtModel.js';
import { tensorInfos } from './tensorInfos.js';

/**
 * The `ort` engine: the model translated to ONNX, a session on ONNX Runtime,
 * and the gate: the translation is served only if it answers like TFLite on
 * the model's synthetic inputs. `references` are TFLite runtimes tried in
 * order (the native 2.9 one, then LiteRT.js): the first that loads the model
 * judges, and when the translation does not answer like it the next one is
 * asked too. TFLite 2.9's built-in uint8 kernels round twice where current
 * TFLite (LiteRT.js, XNNPACK) and ONNX Runtime round once: on converter-made
 * uint8 models the translation matches LiteRT.js bit for bit and misses 2.9
 * by a step here and there, as LiteRT.js itself does. Untranslatable ops are
 * an UnsupportedError naming them; a failed gate a ModelLoadError with every
 * reference's numbers. `engineReason` says what was translated and measured.
 */
const loadOrtModel = async (
  bytes: Uint8Array,
  options: LoadOptions,
  references: readonly (() => Promise<Model>)[],
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
    const misses: GateVerdict[] = [];
    for (const load of references) {
      let reference: Model;
      try {
        reference = await load();
      } catch (error) {
        if (error instanceof ModelLoadError || error instanceof UnsupportedError) continue;
        throw error;
      }
      let verdict: GateVerdict;
      try {
        verdict = await runGate(model, reference);
      } finally {
        reference.dispose();
      }
      if (!verdict.pass) {
        misses.push(verdict);
        continue;
      }
      const { operators, onnxNodes } = translated.report;
      const missed = misses.map((m) => `; not like ${m.summary}`).join('');
      model.engineReason = `ort: ${operators} TFLite ops translated to ${onnxNodes} ONNX nodes; ${verdict.summary}${missed}`;
      return model;
    }
    if (misses.length === 0)
      throw new ModelLoadError('no TFLite runtime could load the model to check the translation against');
    throw new ModelLoadError(
      `the ONNX translation does not answer like TFLite: ${misses.map((m) => m.summary).join('; ')}`,
      {
        details: { gate: misses },
      },
    );
  } catch (error) {
    model.dispose();
    throw error;
  }
};

export { loadOrtModel };
