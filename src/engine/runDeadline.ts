import { ModelUnavailableError } from '../errors.js';
import type { Model } from './types.js';

/**
 * The model, with asynchronous runs that give up after `timeoutMs`: the
 * caller gets a ModelUnavailableError and `onExceeded` hears of it (the
 * repository refuses the version from then on, so that one model cannot take
 * every engine thread). The run itself cannot be stopped (TFLite 2.9's C API
 * has no cancel): it keeps its thread until it ends, which for a loop without
 * end is never. LiteRT.js and ONNX Runtime run on the event loop's thread:
 * their runs block it, and no timer fires until they end.
 */
const withRunDeadline = (
  model: Model,
  timeoutMs: number,
  describe: string,
  onExceeded: (error: ModelUnavailableError) => void,
): Model => {
  const runAsync = (...args: Parameters<Model['runAsync']>) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new ModelUnavailableError(
          `${describe} did not answer within ${timeoutMs / 1000} s (INFERENCE_TIMEOUT_SECONDS) and is refused until a new version replaces it`,
        );
        onExceeded(error);
        reject(error);
      }, timeoutMs);
    });
    const run = (model.runAsync as (...a: Parameters<Model['runAsync']>) => Promise<unknown>).apply(model, args);
    return Promise.race([run, timeout]).finally(() => clearTimeout(timer));
  };
  return new Proxy(model, {
    get(target, property) {
      if (property === 'runAsync') return runAsync;
      const value = Reflect.get(target, property, target);
      // Methods of classes with private fields need the model itself as `this`.
      return typeof value === 'function' ? value.bind(target) : value;
    },
    set(target, property, value) {
      return Reflect.set(target, property, value, target);
    },
  });
};

export { withRunDeadline };
