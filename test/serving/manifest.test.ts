import { describe, expect, it } from 'vitest';
import type { TensorInfo } from '../../src/engine/types.js';
import { ManifestError } from '../../src/errors.js';
import { faceDetectionPreset } from '../../src/manifest/faceDetectionDefaults.js';
import { resolveManifest } from '../../src/manifest/resolveManifest.js';
import { generateAnchors } from '../../src/tasks/anchors.js';

const tensor = (name: string, shape: number[]): TensorInfo => ({ name, dtype: 'float32', shape, quantization: null });
const blazeFace = {
  inputs: [tensor('input', [1, 128, 128, 3])],
  outputs: [tensor('regressors', [1, 896, 16]), tensor('classificators', [1, 896, 1])],
};
const noLabels = async (): Promise<string> => {
  throw new Error('no such file');
};

describe('model.json', () => {
  it('landmarks.names and landmarks.edges describe the points for clients, checked against the output', async () => {
    const hand = { inputs: [tensor('input_1', [1, 224, 224, 3])], outputs: [tensor('Identity', [1, 63])] };
    const names = Array.from({ length: 21 }, (_, i) => `point${i}`);
    const manifest = await resolveManifest(
      {
        task: 'landmarks',
        landmarks: {
          names,
          edges: [
            [0, 1],
            [1, 2],
            [19, 20],
          ],
        },
      },
      hand,
      noLabels,
    );
    expect(manifest.landmarks).toMatchObject({
      names,
      edges: [
        [0, 1],
        [1, 2],
        [19, 20],
      ],
    });
    await expect(
      resolveManifest({ task: 'landmarks', landmarks: { names: ['wrist'] } }, hand, noLabels),
    ).rejects.toThrow(/has 1 names for the output's 21 points/);
    await expect(
      resolveManifest({ task: 'landmarks', landmarks: { edges: [[0, 21]] } }, hand, noLabels),
    ).rejects.toThrow(/joins \[0, 21\]; the output has 21 points/);
  });

  it('{"task": "face-detection"} is all BlazeFace short range needs', async () => {
    const manifest = await resolveManifest({ task: 'face-detection' }, blazeFace, noLabels);
    expect(manifest.input).toEqual({ resize: 'letterbox', range: [-1, 1], channels: 'rgb', color: 'rgb', tensor: 0 });
    expect(manifest.faceDetection).toMatchObject({
      boxesOutput: 'regressors',
      scoresOutput: 'classificators',
      numKeypoints: 6,
      minScore: 0.5,
      iouThreshold: 0.3,
    });
    expect(generateAnchors(manifest.faceDetection!.anchors)).toHaveLength(896);
  });

  it('has MediaPipe anchors for the full-range detector too (2,304 of them)', () => {
    expect(generateAnchors(faceDetectionPreset(192, 192)!.anchors)).toHaveLength(2304);
  });

  it('reads labels from a file beside the model', async () => {
    const manifest = await resolveManifest(
      { task: 'classification', labels: 'labels.txt' },
      blazeFace,
      async () => 'cat\ndog\n',
    );
    expect(manifest.labels).toEqual(['cat', 'dog']);
  });

  it.each([
    [{ task: 'detect-everything' }, /task/],
    [{ task: 'raw', inptu: {} }, /Unrecognized key: "inptu"/],
    [{ task: 'raw', input: { resize: 'squash' } }, /resize/],
    [{ task: 'raw', input: { mean: [127.5] } }, /input\.mean and input\.std go together/],
    [
      { task: 'raw', output: 'nope' },
      /names output "nope", but the model's outputs are "regressors", "classificators"/,
    ],
    [{ task: 'classification', labels: '../secrets' }, /a file name beside model.tflite/],
    [{ task: 'classification', labels: 'labels.txt' }, /labels file labels.txt, which cannot be read/],
  ])('refuses %j with a message saying what is wrong', async (json, message) => {
    const attempt = resolveManifest(json, blazeFace, noLabels);
    await expect(attempt).rejects.toBeInstanceOf(ManifestError);
    await expect(attempt).rejects.toThrow(message);
  });

  it('asks for anchors when a face detector has an input size without a preset', async () => {
    const odd = { ...blazeFace, inputs: [tensor('input', [1, 160, 160, 3])] };
    await expect(resolveManifest({ task: 'face-detection' }, odd, noLabels)).rejects.toThrow(
      /no built-in anchors for a 160x160 face detector/,
    );
  });
});
