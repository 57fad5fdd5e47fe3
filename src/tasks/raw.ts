import type { Tensor } from '../engine/types.js';
import { nest, toJsonValues } from '../protocols/tensorJson.js';

/** Every output, nested by its shape without the batch dimension, keyed by name (as TF Serving answers). */
const rawOutputs = (outputs: readonly Tensor[]): Record<string, unknown> =>
  Object.fromEntries(outputs.map((t) => [t.name, nest(toJsonValues(t.data, t.dtype), t.shape.slice(1))]));

export { rawOutputs };
