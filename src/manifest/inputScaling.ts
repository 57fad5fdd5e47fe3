import type { TensorInfo } from '../engine/types.js';
import type { SettingSource } from './metadataDefaults.js';
import type { ImageInputSpec } from './types.js';

type Scaling = Pick<ImageInputSpec, 'range' | 'mean' | 'std'>;

/**
 * How pixels 0..255 become an image input's values when model.json gives
 * none of `range`, `mean`, `std`:
 *
 * - a uint8 input takes the pixel bytes as they are, as the TFLite Task
 *   Library feeds it: expressed as the range its quantization maps bytes to
 *   (real = (q - zeroPoint) * scale), so that quantizing gives each byte
 *   back; without quantization parameters (MoveNet), [0, 255]. Consistent
 *   metadata (mean 127.5 / std 127.5 with scale 1/128, zero point 128) gives
 *   the same bytes within rounding; metadata that is not (AutoML's mean 0 /
 *   std 1 over a [-1, 1] quantization) would saturate every pixel;
 * - otherwise the metadata's NormalizationOptions, applied to float inputs
 *   and, through the input's quantization, to int8 ones (the metadata schema's
 *   rule: normalize, then quantize);
 * - otherwise the task's default range.
 */
const inputScaling = (
  tensor: TensorInfo | undefined,
  normalization: { readonly mean: readonly number[]; readonly std: readonly number[] } | undefined,
  taskDefault: Scaling,
): { scaling: Scaling; from: SettingSource } => {
  if (tensor?.dtype === 'uint8') {
    const scale = tensor.quantization?.scale[0];
    const zeroPoint = tensor.quantization?.zeroPoint[0] ?? 0;
    const range: [number, number] = scale ? [-zeroPoint * scale, (255 - zeroPoint) * scale] : [0, 255];
    return { scaling: { range }, from: 'tensor' };
  }
  if (normalization)
    return {
      scaling: { range: taskDefault.range, mean: [...normalization.mean], std: [...normalization.std] },
      from: 'metadata',
    };
  return { scaling: { range: taskDefault.range }, from: 'default' };
};

export { inputScaling };
