import { BuiltinOperator, MetadataT, type ModelT } from '../tflite/generated/schema_generated.js';
import { bufferBytes, ModelBuffer } from '../tflite/modelBuffers.js';
import { builtinCode } from '../tflite/opcodes.js';

/**
 * The oldest TFLite runtime for the op versions the compressors write
 * (tensorflow/lite/tools/versioning/runtime_version.cc). The converter keeps
 * this in a 16-byte `min_runtime_version` metadata buffer; Netron shows it.
 */
const RUNTIME: ReadonlyMap<number, Readonly<Record<number, string>>> = new Map<
  number,
  Readonly<Record<number, string>>
>([
  [BuiltinOperator.CONV_2D, { 2: '1.14.0', 3: '1.14.0', 5: '2.4.0' }],
  [BuiltinOperator.DEPTHWISE_CONV_2D, { 3: '1.14.0', 4: '2.2.0', 6: '2.3.0' }],
  [BuiltinOperator.FULLY_CONNECTED, { 4: '1.14.0', 9: '2.3.0' }],
  [BuiltinOperator.DEQUANTIZE, { 2: '1.13.1', 3: '1.15.0', 5: '2.7.0' }],
  [BuiltinOperator.QUANTIZE, { 2: '1.15.0' }],
]);

const NAME = 'min_runtime_version';
const SIZE = 16;

const compare = (a: string, b: string): number => {
  const [x, y] = [a.split('.').map(Number), b.split('.').map(Number)];
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
};

/** The model's min_runtime_version metadata ("2.3.0"), or null when it has none. */
const minRuntimeVersion = (model: ModelT): string | null => {
  const entry = model.metadata.find((m) => m.name === NAME);
  return entry ? new TextDecoder().decode(bufferBytes(model.buffers[entry.buffer])).replace(/\0+$/, '') : null;
};

/** Raises min_runtime_version to what the model's op versions need (never lowers it). */
const updateMinRuntimeVersion = (model: ModelT): void => {
  let needed = '';
  for (const code of model.operatorCodes) {
    const version = RUNTIME.get(builtinCode(code))?.[code.version];
    if (version && (needed === '' || compare(version, needed) > 0)) needed = version;
  }
  if (needed === '') return;
  const current = minRuntimeVersion(model) ?? '';
  if (/^\d+\.\d+\.\d+$/.test(current) && compare(current, needed) >= 0) return;
  const bytes = new Uint8Array(SIZE);
  bytes.set(new TextEncoder().encode(needed));
  model.buffers.push(new ModelBuffer(bytes));
  let entry = model.metadata.find((m) => m.name === NAME);
  if (!entry) {
    entry = new MetadataT(NAME, 0);
    model.metadata.push(entry);
  }
  entry.buffer = model.buffers.length - 1;
};

export { minRuntimeVersion, updateMinRuntimeVersion };
