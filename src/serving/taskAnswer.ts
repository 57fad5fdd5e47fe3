import type { Tensor, TensorInfo } from '../engine/types.js';
import type { ImageTransform } from '../image/geometry.js';
import type { ModelManifest } from '../manifest/types.js';
import { classify } from '../tasks/classification.js';
import { detectFaces } from '../tasks/faceDetection.js';
import { landmarks } from '../tasks/landmarks.js';
import { detectObjects } from '../tasks/objectDetection.js';
import { rawOutputs } from '../tasks/raw.js';
import { segmentationMap } from '../tasks/segmentation.js';

/**
 * What a request for an image gets from the model's outputs, by task, in
 * original-image pixels: the serving pipeline's post-processing, shared with
 * the compression report's task fidelity. Segmentation answers its mask at
 * the output's resolution (predictImage encodes it over the photo). Reads the
 * outputs while they are valid (inside a run's consume).
 */
const answerTask = (
  manifest: ModelManifest,
  outputs: Tensor[],
  infos: readonly TensorInfo[],
  transform: ImageTransform,
): unknown => {
  switch (manifest.task) {
    case 'face-detection':
      return { detections: detectFaces(manifest.faceDetection!, outputs, infos, transform) };
    case 'object-detection':
      return { detections: detectObjects(manifest, outputs, infos, transform) };
    case 'landmarks':
      return landmarks(manifest, outputs, infos, transform);
    case 'classification':
      return { classes: classify(manifest, outputs, infos) };
    case 'segmentation':
      return segmentationMap(manifest, outputs, infos);
    case 'raw':
      return rawOutputs(outputs);
  }
};

export { answerTask };
