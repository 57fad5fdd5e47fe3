import { readFile } from 'node:fs/promises';
import { ConfigError, ModelFormatError } from '../errors.js';
import { BuiltinOperator } from '../tflite/generated/reader/schema_generated.js';
import { readMetadata } from '../tflite/metadata.js';
import { builtinCode } from '../tflite/opcodes.js';
import { type ModelFile, openModel } from '../tflite/openModel.js';
import { chooseEngine } from './chooseEngine.js';
import { ModelPool } from './ModelPool.js';
import { getBinding } from './native/binding.js';
import { NativeModel } from './native/NativeModel.js';
import { checkedExclusions, nameRefusal, type RefusedNode } from './native/refusedNodes.js';
import { checkTensorBudget } from './tensorBudget.js';
import { resolveThreads } from './threads.js';
import type { EngineChoice, LoadOptions, Model } from './types.js';
import { WasmModel } from './wasm/WasmModel.js';

const DEFAULT_MAX_TENSOR_BYTES = 2 ** 30;

/**
 * Whether TFLite may print to stderr while it loads (its XNNPACK INFO line,
 * its own copies of errors the caller gets anyway): off unless TFLS_VERBOSE=1
 * or the CLI's --verbose turns it on.
 */
const nativeLogs = { verbose: process.env.TFLS_VERBOSE === '1' };
/** The engines loadModel takes (and the CLI's --engine). */
const ENGINES: readonly EngineChoice[] = ['auto', 'native', 'wasm', 'ort'];

// TFLite 2.9 crashes re-preparing DENSIFY after an input resize.
const resizeBlocker = (file: ModelFile): string | undefined =>
  file.operatorCodes.some((code) => builtinCode(code) === BuiltinOperator.DENSIFY)
    ? 'it densifies sparse weights (DENSIFY), which TFLite 2.9 cannot re-prepare at a new shape'
    : undefined;

/**
 * A native interpreter. `refused`: the nodes an earlier interpreter of this
 * model found XNNPACK refuses, kept from it at once instead of searched for
 * again (a pool's later interpreters).
 */
const loadNative = (
  bytes: Uint8Array,
  file: ModelFile,
  options: LoadOptions,
  refused: readonly RefusedNode[] = [],
): NativeModel => {
  const binding = getBinding();
  const native = new binding.NativeModel(bytes, {
    threads: resolveThreads(options.threads),
    xnnpack: options.xnnpack ?? true,
    maxTensorBytes: options.maxTensorBytes ?? DEFAULT_MAX_TENSOR_BYTES,
    quiet: !nativeLogs.verbose,
    excludeNodes: checkedExclusions(file, refused),
  });
  return new NativeModel(native, {
    resizeBlocker: resizeBlocker(file),
    nameRefusal: (raw) => nameRefusal(file, raw),
    inherited: refused,
  });
};

const readSource = async (source: Uint8Array | string): Promise<Uint8Array> => {
  if (typeof source !== 'string') return source;
  try {
    return new Uint8Array(await readFile(source));
  } catch (error) {
    throw new ModelFormatError(
      `cannot read model file ${source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      {
        cause: error,
      },
    );
  }
};

/**
 * Loads a .tflite model from bytes or a path.
 *
 * The file is validated in TypeScript first (through flatbuffer accessors,
 * copying nothing), so that a damaged or hostile file is refused with a clear
 * error before native code sees it.
 * `engine: "auto"` (default) picks the engine by a fixed rule on what the
 * model is (src/engine/chooseEngine.ts) and says which in `engineReason`.
 *
 * @example const model = await loadModel('models/face-detection/1/model.tflite', { threads: 1 });
 */
const loadModel = async (source: Uint8Array | string, options: LoadOptions = {}): Promise<Model> => {
  const { model, file } = await loadEngine(source, options);
  model.metadata = readMetadata(file);
  return model;
};

const loadEngine = async (
  source: Uint8Array | string,
  options: LoadOptions,
): Promise<{ model: Model; file: ModelFile }> => {
  const engine = options.engine ?? 'auto';
  if (!ENGINES.includes(engine))
    throw new ConfigError(`engine must be one of ${ENGINES.join(', ')}, got ${JSON.stringify(engine)}`);
  const bytes = await readSource(source);
  const file = openModel(bytes);
  checkTensorBudget(file, options.maxTensorBytes ?? DEFAULT_MAX_TENSOR_BYTES);
  if (engine === 'ort') {
    // Imported here: onnxruntime-node and the translation load only for models that ask for them.
    const { loadOrtModel } = await import('./ort/loadOrt.js');
    const references = [async () => loadNative(bytes, file, options), () => WasmModel.load(bytes, { file })];
    return { model: await loadOrtModel(bytes, options, references), file };
  }
  const pooled = (first: NativeModel): Model => {
    const size = options.interpreters ?? 1;
    // What the first interpreter found XNNPACK refuses, the others are told.
    return size > 1 ? new ModelPool(first, () => loadNative(bytes, file, options, first.refusedNodes), size) : first;
  };
  if (engine === 'wasm') return { model: await WasmModel.load(bytes, { file }), file };
  if (engine === 'native') return { model: pooled(loadNative(bytes, file, options)), file };
  const choice = await chooseEngine(file, {
    native: () => loadNative(bytes, file, options),
    wasm: (fallbackReason) => WasmModel.load(bytes, { file, fallbackReason }),
  });
  choice.model.engineReason = choice.reason;
  return { model: choice.model instanceof NativeModel ? pooled(choice.model) : choice.model, file };
};

export { ENGINES, loadModel, nativeLogs };
