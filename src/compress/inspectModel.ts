import { basename } from 'node:path';
import { dtypeFromSchemaType } from '../dtypes.js';
import { loadModel } from '../engine/loadModel.js';
import type { EngineName, Quantization } from '../engine/types.js';
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
  readonly engines: Readonly<Record<EngineName, EngineCheck>>;
}

const describe = (tensor: TensorT): InspectTensor => {
  const q = tensor.quantization;
  return {
    name: flatText(tensor.name) ?? '',
    dtype: dtypeFromSchemaType(tensor.type) ?? schemaTypeName(tensor.type),
    shape: [...tensor.shape],
    quantization:
      q && q.scale.length > 0
        ? { scale: [...q.scale], zeroPoint: q.zeroPoint.map(Number), quantizedDimension: q.quantizedDimension }
        : null,
  };
};

/** Whether an engine loads the model; natively, how much of the graph XNNPACK takes. */
interface EngineCheck {
  readonly ok: boolean;
  readonly reason?: string;
  readonly delegatedNodes?: number;
  readonly totalNodes?: number;
}

const tryEngine = async (bytes: Uint8Array, engine: EngineName): Promise<EngineCheck> => {
  try {
    const model = await loadModel(bytes, { engine, threads: 1 });
    model.dispose();
    return engine === 'native'
      ? { ok: true, delegatedNodes: model.delegatedNodes, totalNodes: model.nodes }
      : { ok: true };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
};

/** What a .tflite file holds, and whether each engine here can load it. */
const inspectModel = async (bytes: Uint8Array, file = 'model.tflite'): Promise<InspectReport> => {
  const parsed: TfliteFile = readModel(bytes);
  const { model } = parsed;
  const main = model.subgraphs[0]!;
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
    metadata: readMetadata(parsed),
    engines: { native: await tryEngine(bytes, 'native'), wasm: await tryEngine(bytes, 'wasm') },
  };
};

export type { InspectReport, InspectTensor };
export { inspectModel };
