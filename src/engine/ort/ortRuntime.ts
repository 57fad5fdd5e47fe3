import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type * as OrtModule from 'onnxruntime-node';
import { ModelLoadError, UnsupportedError } from '../../errors.js';
import { loadOnce } from '../../loadOnce.js';

type Ort = typeof OrtModule;
type Session = OrtModule.InferenceSession;

const require = createRequire(import.meta.url);

/**
 * onnxruntime-node, imported on first use only: the native and WASM engines
 * and a cold start that never asks for `ort` do not load its 46 MB library.
 * Resolved as require resolves (NODE_PATH too, as a Lambda layer provides),
 * which a bare import() would not.
 */
const getOrt = loadOnce(async (): Promise<Ort> => {
  try {
    const loaded = (await import(pathToFileURL(require.resolve('onnxruntime-node')).href)) as Ort & { default?: Ort };
    return loaded.default ?? loaded;
  } catch (error) {
    throw new UnsupportedError(`ONNX Runtime (onnxruntime-node) could not be loaded: ${(error as Error).message}`, {
      cause: error,
    });
  }
});

/**
 * A session for an ONNX model on the CPU: `threads` intra-op threads (the
 * function's vCPUs, resolveThreads), one inter-op thread, and no spinning:
 * ONNX Runtime's threads otherwise spin between runs, which on Lambda bills
 * CPU for nothing and takes it from the event loop.
 */
const createSession = async (onnx: Uint8Array, threads: number): Promise<Session> => {
  const ort = await getOrt();
  try {
    return await ort.InferenceSession.create(onnx, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      logSeverityLevel: 3,
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    });
  } catch (error) {
    throw new ModelLoadError(`ONNX Runtime could not create a session: ${(error as Error).message}`, { cause: error });
  }
};

export type { Ort, Session };
export { createSession, getOrt };
