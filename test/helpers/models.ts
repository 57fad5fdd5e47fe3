import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Paths of the MediaPipe models shipped in the npm packages (Apache-2.0). */
const mediapipe = {
  faceDetection: require.resolve('@mediapipe/face_detection/face_detection_short_range.tflite'),
  faceDetectionFull: require.resolve('@mediapipe/face_detection/face_detection_full_range.tflite'),
  faceDetectionSparse: require.resolve('@mediapipe/face_detection/face_detection_full_range_sparse.tflite'),
  handLandmarkFull: require.resolve('@mediapipe/hands/hand_landmark_full.tflite'),
  handLandmarkLite: require.resolve('@mediapipe/hands/hand_landmark_lite.tflite'),
  poseLandmarkLite: require.resolve('@mediapipe/pose/pose_landmark_lite.tflite'),
  poseLandmarkFull: require.resolve('@mediapipe/pose/pose_landmark_full.tflite'),
  poseLandmarkHeavy: require.resolve('@mediapipe/pose/pose_landmark_heavy.tflite'),
  selfieSegmentation: require.resolve('@mediapipe/selfie_segmentation/selfie_segmentation.tflite'),
  selfieSegmentationLandscape: require.resolve('@mediapipe/selfie_segmentation/selfie_segmentation_landscape.tflite'),
} as const;

export { mediapipe };
