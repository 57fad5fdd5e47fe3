import { basename } from 'node:path';
import { dtypeFromSchemaType } from '../dtypes.js';
import { loadModel } from '../engine/loadModel.js';
import { schemaQuantization } from '../engine/tensorInfo.js';
import type { EngineName, Quantization, TensorInfo } from '../engine/types.js';
import { resolveManifest } from '../manifest/resolveManifest.js';
import type { ImageInputSpec, ModelManifest } from '../manifest/types.js';
import type { TensorT } from '../tflite/generated/schema_generated.js';
import { flatText, type MetadataSummary, readMetadata } from '../tflite/metadata.js';
import { builtinCode, CUSTOM, opName } from '../tflite/opcodes.js';
import { readModel, type TfliteFile } from '../tflite/readModel.js';
import { schemaTypeName } from '../tflite/tensorTypes.js';
import { minRuntimeVersion } from './runtimeVersion.js';
import { float32Bytes, tensorBytesByType } from './sizes.js';

interface InspectTensor {
  readonly name: string;
  /** The engine's dtype, or the schema's type name for types no engine here exchanges. */
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly quantization: Quantization | null;
}

/** `tfls inspect --json`: a fixed contract. */
interface InspectReport {
  readonly file: string;
  readonly bytes: number;
  readonly float32Bytes: number;
  readonly schemaVersion: number;
  readonly description: string | null;
  readonly minRuntimeVersion: string | null;
  readonly inputs: readonly InspectTensor[];
  readonly outputs: readonly InspectTensor[];
  readonly operators: Readonly<Record<string, number>>;
  readonly customOps: readonly string[];
  readonly tensorBytesByType: Readonly<Record<string, number>>;
  readonly metadata: MetadataSummary | null;
  /** What serving does with the file: its model.json (when given) over its metadata over the task defaults. */
  readonly serving: ServingSettings;
  /** `ort` only when asked for (tfls inspect): it loads ONNX Runtime, translates and runs the gate. */
  readonly engines: Readonly<Record<'native' | 'wasm', EngineCheck>> & { readonly ort?: EngineCheck };
  /** The engine `auto` serves the file on, and the rule that chose it (or why none could). */
  readonly auto: AutoChoice;
}

type AutoChoice = { readonly engine: EngineName; readonly reason: string } | { readonly error: string };

type ServingSettings =
  | {
      readonly task: string;
      readonly labels: number;
      readonly input: Omit<ImageInputSpec, 'tensor'>;
      readonly sources: ModelManifest['sources'];
    }
  | { readonly error: string };

/** The settings resolveManifest gives this file, as the repository would serve it. */
const servingSettings = async (
  io: { inputs: TensorInfo[]; outputs: TensorInfo[]; metadata: MetadataSummary | null },
  manifest: unknown,
  readFile: (name: string) => Promise<string>,
): Promise<ServingSettings> => {
  try {
    const resolved = await resolveManifest(manifest, io, readFile);
    const { tensor: _tensor, ...input } = resolved.input;
    return { task: resolved.task, labels: resolved.labels?.length ?? 0, input, sources: resolved.sources };
  } catch (error) {
    return { error: (error as Error).message };
  }
};

const describe = (tensor: TensorT): InspectTensor => ({
  name: flatText(tensor.name) ?? '',
  dtype: dtypeFromSchemaType(tensor.type) ?? schemaTypeName(tensor.type),
  shape: [...tensor.shape],
  quantization: schemaQuantization(tensor.quantization),
});

/** Whether an engine loads the model; natively, how much of the graph XNNPACK takes. */
interface EngineCheck {
  readonly ok: boolean;
  readonly reason?: string;
  readonly delegatedNodes?: number;
  readonly totalNodes?: number;
  /** Natively: why XNNPACK is off, or which nodes it refused. */
  readonly delegateReason?: string;
}

const tryEngine = async (bytes: Uint8Array, engine: EngineName): Promise<EngineCheck> => {
  try {
    const model = await loadModel(bytes, { engine, threads: 1 });
    model.dispose();
    return engine === 'native'
      ? {
          ok: true,
          delegatedNodes: model.delegatedNodes,
          totalNodes: model.nodes,
          ...(model.delegateReason && { delegateReason: model.delegateReason }),
        }
      : engine === 'ort'
        ? { ok: true, reason: model.engineReason ?? '', totalNodes: model.nodes }
        : { ok: true };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
};

const autoChoice = async (bytes: Uint8Array): Promise<AutoChoice> => {
  try {
    const model = await loadModel(bytes, { threads: 1 });
    model.dispose();
    return { engine: model.engine, reason: model.engineReason ?? '' };
  } catch (error) {
    return { error: (error as Error).message };
  }
};

/** What a .tflite file holds, and whether each engine here can load it. */
const inspectModel = async (
  bytes: Uint8Array,
  file = 'model.tflite',
  served: { manifest?: unknown; readFile?: (name: string) => Promise<string> } = {},
  checks: { readonly ort?: boolean } = {},
): Promise<InspectReport> => {
  const parsed: TfliteFile = readModel(bytes);
  const { model } = parsed;
  const main = model.subgraphs[0]!;
  const metadata = readMetadata(parsed);
  const info = (index: number): TensorInfo => {
    const t = describe(main.tensors[index]!);
    return { name: t.name, dtype: t.dtype as TensorInfo['dtype'], shape: t.shape, quantization: t.quantization };
  };
  const operators: Record<string, number> = {};
  for (const subgraph of model.subgraphs) {
    for (const op of subgraph.operators) {
      const name = opName(model.operatorCodes[op.opcodeIndex]!);
      operators[name] = (operators[name] ?? 0) + 1;
    }
  }
  return {
    file: basename(file),
    bytes: bytes.length,
    float32Bytes: float32Bytes(parsed),
    schemaVersion: model.version,
    description: flatText(model.description),
    minRuntimeVersion: minRuntimeVersion(model),
    inputs: main.inputs.map((i) => describe(main.tensors[i]!)),
    outputs: main.outputs.map((i) => describe(main.tensors[i]!)),
    operators,
    customOps: model.operatorCodes
      .filter((code) => builtinCode(code) === CUSTOM)
      .map((code) => String(code.customCode)),
    tensorBytesByType: tensorBytesByType(parsed),
    metadata,
    serving: await servingSettings(
      { inputs: main.inputs.map(info), outputs: main.outputs.map(info), metadata },
      served.manifest,
      served.readFile ?? (() => Promise.reject(new Error('no model.json directory'))),
    ),
    engines: {
      native: await tryEngine(bytes, 'native'),
      wasm: await tryEngine(bytes, 'wasm'),
      ...(checks.ort && { ort: await tryEngine(bytes, 'ort') }),
    },
    auto: await autoChoice(bytes),
  };
};

export type { InspectReport, InspectTensor };
export { inspectModel };
