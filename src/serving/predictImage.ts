import type { Tensor } from '../engine/types.js';
import { InputError } from '../errors.js';
import type { ImageDeadline } from '../image/imageDeadline.js';
import { imageToTensor } from '../image/imageToTensor.js';
import { resolveTensor } from '../manifest/resolveManifest.js';
import type { ServedModel } from '../repository/types.js';
import { encodeMask } from '../tasks/segmentation.js';
import { answerTask } from './taskAnswer.js';
import type { StageTimings } from './timings.js';

/**
 * One image through a served model: decode and resize as its manifest says,
 * run, and post-process by task into original-image pixels. Outputs are read
 * in place (consume), so a run allocates no output buffers.
 */
const predictImage = async (
  served: ServedModel,
  bytes: Uint8Array,
  /** The request's time for its images; none for a user's own files (evaluation). */
  deadline?: ImageDeadline,
): Promise<{ prediction: unknown; timings: StageTimings }> => {
  const { model, manifest } = served;
  if (model.inputs.length !== 1) {
    throw new InputError(
      `model ${JSON.stringify(served.name)} has ${model.inputs.length} inputs; an image fills one, so send tensors instead`,
    );
  }
  const info = model.inputs[resolveTensor(model.inputs, manifest.input.tensor, 'input')]!;
  const image = await imageToTensor(bytes, info, manifest.input, {
    maxPixels: manifest.maxPixels,
    maxAspectRatio: manifest.maxAspectRatio,
    ...(deadline && { deadline }),
  });
  const timings: StageTimings = {
    decodeMs: image.decodeMs,
    preprocessMs: image.preprocessMs,
    inferMs: 0,
    postprocessMs: 0,
  };
  const outputsInfo = model.outputs;
  const started = performance.now();
  const read = (outputs: Tensor[]): unknown => {
    timings.inferMs = performance.now() - started;
    return answerTask(manifest, outputs, outputsInfo, image.transform);
  };
  const inputShape = [1, ...info.shape.slice(1)];
  const postStarted = () => performance.now() - started - timings.inferMs;
  let prediction = await model.runAsync([{ data: image.data, shape: inputShape }], { consume: read });
  if (manifest.task === 'segmentation')
    prediction = await encodeMask(prediction as Parameters<typeof encodeMask>[0], image.transform);
  timings.postprocessMs = postStarted();
  return { prediction, timings };
};

export { predictImage };
