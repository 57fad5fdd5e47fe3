import type { Tensor, TensorInfo } from '../engine/types.js';
import type { ModelManifest } from '../manifest/types.js';
import { activate, pickOutput, realValues, round4 } from './outputs.js';

interface Classification {
  readonly label: string;
  readonly index: number;
  readonly score: number;
}

/** The top-k classes above the threshold, labelled from model.json's labels when there are any. */
const classify = (
  manifest: ModelManifest,
  outputs: readonly Tensor[],
  infos: readonly TensorInfo[],
): Classification[] => {
  const spec = manifest.classification;
  const tensor = pickOutput(outputs, spec.output);
  const info = infos.find((i) => i.name === tensor.name);
  const scores = activate(realValues(tensor, info?.quantization), spec.activation);
  return Array.from(scores, (score, index) => ({ index, score }))
    .filter((c) => c.score >= spec.threshold)
    .sort((a, b) => b.score - a.score)
    .slice(0, spec.topK)
    .map(({ index, score }) => ({ label: manifest.labels?.[index] ?? String(index), index, score: round4(score) }));
};

export type { Classification };
export { classify };
