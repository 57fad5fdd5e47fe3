import type { AnchorSpec } from '../manifest/types.js';

interface Anchor {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

const scaleAt = (spec: AnchorSpec, index: number): number =>
  spec.strides.length === 1
    ? (spec.minScale + spec.maxScale) / 2
    : spec.minScale + ((spec.maxScale - spec.minScale) * index) / (spec.strides.length - 1);

/**
 * SSD anchors, computed as MediaPipe's SsdAnchorsCalculator computes them
 * (layers sharing a stride share a feature map; an interpolated anchor is
 * added per location when interpolatedScaleAspectRatio > 0).
 */
const generateAnchors = (spec: AnchorSpec): Anchor[] => {
  const anchors: Anchor[] = [];
  let layer = 0;
  while (layer < spec.numLayers) {
    const heights: number[] = [];
    const widths: number[] = [];
    let last = layer;
    while (last < spec.strides.length && spec.strides[last] === spec.strides[layer]) {
      const scale = scaleAt(spec, last);
      const ratios: number[] = [...spec.aspectRatios];
      const scales: number[] = spec.aspectRatios.map(() => scale);
      if (spec.interpolatedScaleAspectRatio > 0) {
        const next = last === spec.strides.length - 1 ? 1 : scaleAt(spec, last + 1);
        scales.push(Math.sqrt(scale * next));
        ratios.push(spec.interpolatedScaleAspectRatio);
      }
      ratios.forEach((ratio, i) => {
        heights.push(scales[i]! / Math.sqrt(ratio));
        widths.push(scales[i]! * Math.sqrt(ratio));
      });
      last++;
    }
    const stride = spec.strides[layer]!;
    const rows = Math.ceil(spec.inputHeight / stride);
    const cols = Math.ceil(spec.inputWidth / stride);
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < cols; x++) {
        for (let i = 0; i < heights.length; i++) {
          anchors.push({
            x: (x + spec.offsetX) / cols,
            y: (y + spec.offsetY) / rows,
            w: spec.fixedAnchorSize ? 1 : widths[i]!,
            h: spec.fixedAnchorSize ? 1 : heights[i]!,
          });
        }
      }
    }
    layer = last;
  }
  return anchors;
};

export type { Anchor };
export { generateAnchors };
