import type { AnchorSpec } from './types.js';

/**
 * MediaPipe's settings for its two BlazeFace models, keyed by input size
 * (mediapipe/modules/face_detection/face_detection_{short,full}_range.pbtxt):
 * with these, `{"task": "face-detection"}` is all either model needs.
 */
const SHORT_RANGE: AnchorSpec = {
  numLayers: 4,
  minScale: 0.1484375,
  maxScale: 0.75,
  inputWidth: 128,
  inputHeight: 128,
  offsetX: 0.5,
  offsetY: 0.5,
  strides: [8, 16, 16, 16],
  aspectRatios: [1],
  fixedAnchorSize: true,
  interpolatedScaleAspectRatio: 1,
};

const FULL_RANGE: AnchorSpec = {
  ...SHORT_RANGE,
  numLayers: 1,
  inputWidth: 192,
  inputHeight: 192,
  strides: [4],
  interpolatedScaleAspectRatio: 0,
};

const PRESETS: readonly { anchors: AnchorSpec; minScore: number }[] = [
  { anchors: SHORT_RANGE, minScore: 0.5 },
  { anchors: FULL_RANGE, minScore: 0.6 },
];

/** The preset for a model input of this size, if MediaPipe has one. */
const faceDetectionPreset = (width: number, height: number): { anchors: AnchorSpec; minScore: number } | undefined =>
  PRESETS.find((preset) => preset.anchors.inputWidth === width && preset.anchors.inputHeight === height);

export { faceDetectionPreset };
