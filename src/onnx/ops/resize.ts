import {
  type OperatorT,
  ResizeBilinearOptionsT,
  ResizeNearestNeighborOptionsT,
} from '../../tflite/generated/schema_generated.js';
import { attr } from '../graphBuilder.js';
import { permute, TO_NCHW } from '../layout.js';
import type { Translation } from '../translation.js';

/**
 * RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR to the output's static size.
 * TFLite's sampling grids map to ONNX's coordinate transformations:
 * align_corners → align_corners, half_pixel_centers → half_pixel (bilinear;
 * TFLite clamps the sample points at the border, as ONNX Runtime does) or
 * tf_half_pixel_for_nn (nearest), neither → asymmetric; nearest rounds down,
 * or half up with align_corners.
 */
const resize = (mode: 'linear' | 'nearest') => (t: Translation, op: OperatorT) => {
  const [input, output] = [op.inputs[0]!, op.outputs[0]!];
  const options = op.builtinOptions;
  const alignCorners =
    (options instanceof ResizeBilinearOptionsT || options instanceof ResizeNearestNeighborOptionsT) &&
    options.alignCorners;
  const halfPixel =
    (options instanceof ResizeBilinearOptionsT || options instanceof ResizeNearestNeighborOptionsT) &&
    options.halfPixelCenters;
  const transform = alignCorners
    ? 'align_corners'
    : halfPixel
      ? mode === 'linear'
        ? 'half_pixel'
        : 'tf_half_pixel_for_nn'
      : 'asymmetric';
  const sizes = t.graph.int64s(permute(t.shape(output), TO_NCHW), `${t.hint(output)}_size`);
  const attributes = [attr.string('mode', mode), attr.string('coordinate_transformation_mode', transform)];
  if (mode === 'nearest') attributes.push(attr.string('nearest_mode', alignCorners ? 'round_prefer_ceil' : 'floor'));
  const resized = t.graph.op('Resize', [t.float(input, 'nchw'), '', '', sizes], t.hint(output), attributes);
  t.store(output, resized, 'nchw');
};

export { resize };
