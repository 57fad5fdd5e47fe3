import { inspectModel } from '../../compress/inspectModel.js';
import type { TypedArray } from '../../dtypes.js';
import { loadModel } from '../../engine/loadModel.js';
import { zeroInputs } from '../../engine/syntheticInputs.js';
import type { Model } from '../../engine/types.js';
import { ManifestError, ModelFormatError, oneLine } from '../../errors.js';
import { resolveManifest } from '../../manifest/resolveManifest.js';
import { parseInferRequest } from '../../protocols/kserve.js';
import { readModel } from '../../tflite/readModel.js';
import { type IngestPolicy, manifestOf } from './policy.js';
import { IngestRejection, type IngestStage } from './rejection.js';

/** What the checks found, for report.json. */
interface ModelChecks {
  readonly format: 'ok';
  readonly engine: Model['engine'];
  readonly delegate: string;
  readonly delegateReason?: string;
  readonly fallbackReason?: string;
  readonly nodes: number;
  /** Absent when the engine does not say (LiteRT.js). */
  readonly delegatedNodes?: number;
  readonly smoke: { readonly input: 'zeros' | 'smokeTest'; readonly ms: number; readonly finiteOutputs: boolean };
  readonly inspect: {
    readonly bytes: number;
    readonly inputs: unknown;
    readonly outputs: unknown;
    readonly operators: Readonly<Record<string, number>>;
    readonly customOps: readonly string[];
    readonly tensorBytesByType: Readonly<Record<string, number>>;
    readonly minRuntimeVersion: string | null;
    readonly engines: unknown;
  };
}

const reason = (error: unknown): string => oneLine(error instanceof Error ? error.message : String(error));

/**
 * The gate every upload (and every compressed result) passes before it may
 * be published: the validating reader, an engine that creates the
 * interpreter (native, else WASM with the reason), model.json against the
 * model's tensors, and one inference on zeros or the declared sample.
 */
const checkModel = async (
  bytes: Uint8Array,
  policy: IngestPolicy,
  threads: number,
  stage: (name: IngestStage) => void = () => undefined,
): Promise<ModelChecks> => {
  stage('format');
  try {
    readModel(bytes);
  } catch (error) {
    if (error instanceof ModelFormatError) throw new IngestRejection('format', reason(error));
    throw error;
  }
  stage('load');
  const inspect = await inspectModel(bytes);
  if (!inspect.engines.native.ok && !inspect.engines.wasm.ok) {
    throw new IngestRejection(
      'load',
      `no engine can run this model: native: ${inspect.engines.native.reason}; wasm: ${inspect.engines.wasm.reason}`,
      { customOps: inspect.customOps, operators: inspect.operators },
    );
  }
  let model: Model;
  try {
    model = await loadModel(bytes, { threads });
  } catch (error) {
    throw new IngestRejection('load', reason(error));
  }
  try {
    stage('manifest');
    try {
      await resolveManifest(manifestOf(policy), model, (file) =>
        Promise.reject(
          new Error(`labels files are not uploaded with a model; give "labels" as an array instead of ${file}`),
        ),
      );
    } catch (error) {
      if (error instanceof ManifestError) throw new IngestRejection('manifest', reason(error));
      throw error;
    }
    let inputs: TypedArray[];
    try {
      inputs = policy.smokeTest
        ? parseInferRequest(policy.smokeTest, model.inputs).inputs.map((input) => (input as { data: TypedArray }).data)
        : zeroInputs(model.inputs);
    } catch (error) {
      throw new IngestRejection('policy', `smokeTest does not fit the model: ${reason(error)}`);
    }
    stage('smoke');
    const started = performance.now();
    let finiteOutputs = true;
    try {
      await model.runAsync(inputs, {
        consume: (outputs) => {
          for (const output of outputs)
            if (output.dtype === 'float32' || output.dtype === 'float16')
              for (const value of output.data as Float32Array) if (!Number.isFinite(value)) finiteOutputs = false;
        },
      });
    } catch (error) {
      throw new IngestRejection('smoke', `the model failed its smoke run: ${reason(error)}`);
    }
    return {
      format: 'ok',
      engine: model.engine,
      delegate: model.delegate,
      ...(model.delegateReason && { delegateReason: model.delegateReason }),
      ...(model.fallbackReason && { fallbackReason: model.fallbackReason }),
      nodes: model.nodes,
      delegatedNodes: model.delegatedNodes,
      smoke: {
        input: policy.smokeTest ? 'smokeTest' : 'zeros',
        ms: Math.round((performance.now() - started) * 1000) / 1000,
        finiteOutputs,
      },
      inspect: {
        bytes: inspect.bytes,
        inputs: inspect.inputs,
        outputs: inspect.outputs,
        operators: inspect.operators,
        customOps: inspect.customOps,
        tensorBytesByType: inspect.tensorBytesByType,
        minRuntimeVersion: inspect.minRuntimeVersion,
        engines: inspect.engines,
      },
    };
  } finally {
    model.dispose();
  }
};

export type { ModelChecks };
export { checkModel };
