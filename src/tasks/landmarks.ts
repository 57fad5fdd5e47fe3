import type { Tensor, TensorInfo } from '../engine/types.js';
import { InferenceError } from '../errors.js';
import { type ImageTransform, toSource } from '../image/geometry.js';
import type { ModelManifest } from '../manifest/types.js';
import { pickOutput, realValues, round2, round4, sigmoid } from './outputs.js';

interface Landmark {
  readonly x: number;
  readonly y: number;
  /** The point's name, when model.json gives landmarks.names. */
  readonly name?: string;
  /** yx-score layouts (MoveNet): the keypoint's confidence. */
  readonly score?: number;
  readonly z?: number;
  readonly visibility?: number;
  readonly presence?: number;
}

interface LandmarksResult {
  readonly landmarks: readonly Landmark[];
  /** The model's single-value outputs (presence, handedness...), by name. */
  readonly scores: Readonly<Record<string, number>>;
}

/**
 * Points in original-image pixels. The model gives them in input-tensor
 * pixels (MediaPipe's landmark models: x, y, z, then visibility and
 * presence when `landmarks.dims` is 5); z is scaled like x.
 */
const landmarks = (
  manifest: ModelManifest,
  outputs: readonly Tensor[],
  infos: readonly TensorInfo[],
  transform: ImageTransform,
): LandmarksResult => {
  const { dims } = manifest.landmarks;
  const tensor = pickOutput(outputs, manifest.landmarks.output);
  const values = realValues(tensor, infos.find((i) => i.name === tensor.name)?.quantization);
  if (values.length % dims !== 0)
    throw new InferenceError(
      `output ${tensor.name} has ${values.length} values, not a multiple of landmarks.dims ${dims}`,
    );
  const probability = manifest.landmarks.activation === 'sigmoid' ? sigmoid : (v: number) => v;
  const { names } = manifest.landmarks;
  const points: Landmark[] = [];
  if (manifest.landmarks.layout === 'yx-score') {
    // Normalized to the input tensor: scaled to its pixels, then mapped back through the resize.
    for (let i = 0; i + 2 < values.length; i += 3) {
      const { x, y } = toSource(transform, values[i + 1]! * transform.inputWidth, values[i]! * transform.inputHeight);
      const name = names?.[i / 3];
      points.push({ x: round2(x), y: round2(y), score: round4(values[i + 2]!), ...(name && { name }) });
    }
  }
  for (let i = 0; manifest.landmarks.layout === 'xyz' && i < values.length; i += dims) {
    const { x, y } = toSource(transform, values[i]!, values[i + 1]!);
    const point: { -readonly [K in keyof Landmark]: Landmark[K] } = { x: round2(x), y: round2(y) };
    if (dims >= 3) point.z = round2(values[i + 2]! / transform.scaleX);
    if (dims >= 4) point.visibility = round4(probability(values[i + 3]!));
    if (dims >= 5) point.presence = round4(probability(values[i + 4]!));
    const name = names?.[i / dims];
    if (name) point.name = name;
    points.push(point);
  }
  const scores: Record<string, number> = {};
  for (const output of outputs) {
    if (output !== tensor && output.data.length === 1)
      scores[output.name] = round4(realValues(output, infos.find((i) => i.name === output.name)?.quantization)[0]!);
  }
  return { landmarks: points, scores };
};

export type { Landmark, LandmarksResult };
export { landmarks };
