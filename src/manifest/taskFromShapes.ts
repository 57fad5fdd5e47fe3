import type { TensorInfo } from '../engine/types.js';
import type { Task } from './types.js';

const INTEGER = new Set(['int8', 'uint8', 'int16', 'int32', 'int64']);

/** Whether an output of [1, H, W] (or [1, H, W, C]) covers the image input's frame: same aspect, at least 1/16 of its size. */
const coversImage = (input: TensorInfo, height: number, width: number): boolean => {
  const [, inputHeight = 0, inputWidth = 0] = input.shape;
  if (inputHeight < 1 || inputWidth < 1 || height < 8 || width < 8) return false;
  const aspect = height / width / (inputHeight / inputWidth);
  return aspect > 0.95 && aspect < 1.05 && height * 16 >= inputHeight;
};

/**
 * The task a model's tensors imply when neither model.json nor metadata
 * names one: its only output a MoveNet-style [1, 1, N, 3] (keypoints), or a
 * map over the image (segmentation): scores [1, H, W, C] with C > 1, or an
 * integer class map [1, H, W] (a graph ending in ARG_MAX). Only for an image
 * input, and only for a single output: several outputs (heatmaps and
 * offsets, say) are something else.
 */
const taskFromShapes = (io: {
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
}): Task | undefined => {
  const input = io.inputs[0];
  const output = io.outputs[0];
  if (io.inputs.length !== 1 || io.outputs.length !== 1 || !input || !output) return undefined;
  const channels = input.shape[3];
  if (input.shape.length !== 4 || (channels !== 1 && channels !== 3)) return undefined;
  const [batch, a = 0, b = 0, c = 0] = output.shape;
  if (batch !== 1) return undefined;
  if (output.shape.length === 4 && a === 1 && c === 3 && b >= 1) return 'landmarks';
  if (output.shape.length === 3 && INTEGER.has(output.dtype) && coversImage(input, a, b)) return 'segmentation';
  if (output.shape.length === 4 && c > 1 && c <= 256 && coversImage(input, a, b)) return 'segmentation';
  return undefined;
};

export { taskFromShapes };
