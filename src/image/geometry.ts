/**
 * Where the model's input canvas sits on the original image: a point (u, v)
 * in input-tensor pixels is (u - offsetX) / scaleX, (v - offsetY) / scaleY in
 * original pixels. Letterbox padding gives positive offsets, centre crops
 * negative ones.
 */
interface ImageTransform {
  readonly sourceWidth: number;
  readonly sourceHeight: number;
  readonly inputWidth: number;
  readonly inputHeight: number;
  readonly scaleX: number;
  readonly scaleY: number;
  readonly offsetX: number;
  readonly offsetY: number;
}

interface Point {
  readonly x: number;
  readonly y: number;
}

/** Input-tensor pixels → original-image pixels. */
const toSource = (t: ImageTransform, u: number, v: number): Point => ({
  x: (u - t.offsetX) / t.scaleX,
  y: (v - t.offsetY) / t.scaleY,
});

/** Normalized input coordinates (0..1 of the tensor) → original-image pixels. */
const normalizedToSource = (t: ImageTransform, u: number, v: number): Point =>
  toSource(t, u * t.inputWidth, v * t.inputHeight);

export type { ImageTransform, Point };
export { normalizedToSource, toSource };
