import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  InferenceError,
  InputError,
  ModelBusyError,
  ModelDisposedError,
  ModelFormatError,
  ModelLoadError,
  oneLine,
  TflsError,
  UnsupportedError,
} from '../../errors.js';

/** The shapes the addon (layers/native/src) exchanges with TypeScript. */
interface RawTensorInfo {
  name: string;
  type: number;
  shape: number[];
  bytes: number;
  quantization: { scale: number[]; zeroPoint: number[]; quantizedDimension: number };
}

interface RawModelInfo {
  inputs: RawTensorInfo[];
  outputs: RawTensorInfo[];
  delegate: 'xnnpack' | 'none';
  delegateReason: string;
  threads: number;
  nodes: number;
  delegatedNodes: number;
  /** Nodes kept from XNNPACK, on the built-in kernels, because it refused them; with what it said. */
  refusedNodes: { node: number; reason: string }[];
  /** What the load cost: interpreter creations, and XNNPACK runtimes built to find the refused nodes. */
  attempts: number;
  trials: number;
  tfliteVersion: string;
}

interface RawOutput {
  shape: number[];
  data: ArrayBuffer;
}

interface RawNativeModel {
  info(): RawModelInfo;
  run(inputs: Uint8Array[], reuseOutputs: boolean): RawOutput[];
  runAsync(inputs: Uint8Array[], reuseOutputs: boolean): Promise<RawOutput[]>;
  resizeInputs(shapes: number[][]): void;
  dispose(): void;
}

interface Binding {
  NativeModel: new (
    bytes: Uint8Array,
    options: {
      threads: number;
      xnnpack: boolean;
      maxTensorBytes: number;
      quiet: boolean;
      /** Operator indices of the main subgraph to keep from XNNPACK, sorted, each checked against the file. */
      excludeNodes: number[];
    },
  ) => RawNativeModel;
  setErrorFactory(factory: (code: string, message: string) => Error): void;
  tfliteVersion(): string;
}

const ERRORS: Readonly<Record<string, new (message: string) => TflsError>> = {
  ERR_TFLITE_INVALID_MODEL: ModelFormatError,
  ERR_TFLITE_CREATE_FAILED: ModelLoadError,
  ERR_TFLITE_ALLOCATE_FAILED: ModelLoadError,
  ERR_TFLITE_INVOKE_FAILED: InferenceError,
  ERR_TFLITE_RESIZE_FAILED: InputError,
  ERR_TFLITE_INVALID_ARGUMENT: InputError,
  ERR_TFLITE_DISPOSED: ModelDisposedError,
  ERR_TFLITE_BUSY: ModelBusyError,
};

const createError = (code: string, message: string): Error => {
  const ErrorClass = ERRORS[code] ?? TflsError;
  return new ErrorClass(oneLine(message));
};

const ADDON_PACKAGE = 'tflite-serverless-native';

/**
 * Where the addon may be, in order: TFLITE_NATIVE_ADDON; this checkout's
 * build (dist/native/linux-<arch>); the Lambda layer's package, found through
 * NODE_PATH (/opt/nodejs/node_modules/tflite-serverless-native).
 */
const candidates = (): string[] => {
  const here = dirname(fileURLToPath(import.meta.url));
  const platform = `${process.platform}-${process.arch}`;
  const found: string[] = [];
  if (process.env.TFLITE_NATIVE_ADDON) found.push(resolve(process.env.TFLITE_NATIVE_ADDON));
  for (const up of ['../../..', '../../../..']) {
    const path = join(here, up, 'dist', 'native', platform, 'tflite_native.node');
    if (existsSync(path)) found.push(path);
  }
  found.push(`${ADDON_PACKAGE}/tflite_native.node`);
  return found;
};

let binding: Binding | undefined;
let loadError: Error | undefined;

/** The addon, loaded once; throws UnsupportedError listing what was tried and how to fix it. */
const getBinding = (): Binding => {
  if (binding) return binding;
  if (loadError) throw loadError;
  const require = createRequire(import.meta.url);
  const failures: string[] = [];
  for (const candidate of candidates()) {
    try {
      const loaded = require(candidate) as Binding;
      loaded.setErrorFactory(createError);
      binding = loaded;
      return loaded;
    } catch (error) {
      failures.push(`${candidate}: ${oneLine((error as Error).message)}`);
    }
  }
  const built = process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'arm64');
  loadError = new UnsupportedError(
    `the native TFLite addon could not be loaded for ${process.platform}-${process.arch} (tried ${failures.join('; ')}). ` +
      (built
        ? 'Possible solutions: install g++ and run `npm rebuild` (the install builds the addon), or on Lambda attach the layer from `npm run build:layer`.'
        : 'It is built for Linux x64 and arm64 only: on this platform the WASM engine serves (TFLITE_ENGINE=wasm), or build and run on Linux.'),
  );
  throw loadError;
};

export type { Binding, RawModelInfo, RawNativeModel, RawOutput, RawTensorInfo };
export { getBinding };
