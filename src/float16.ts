/**
 * IEEE 754 half precision, as TFLite stores FP16 constants: conversion from
 * float32 rounds to nearest, ties to even (Eigen's float_to_half_rtne).
 */
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → half bits. */
const toHalf = (value: number): number => {
  f32[0] = value;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0); // Inf, NaN
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00; // overflow
  if (halfExponent <= 0) {
    if (halfExponent < -10) return sign; // underflow to zero
    mantissa |= 0x800000;
    const shift = 14 - halfExponent;
    const half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const midpoint = 1 << (shift - 1);
    const round = rest > midpoint || (rest === midpoint && (half & 1) === 1) ? 1 : 0;
    return sign | (half + round);
  }
  const half = (halfExponent << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  const round = rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1) ? 1 : 0;
  // A carry out of the mantissa correctly bumps the exponent (and may reach Inf).
  return sign | (half + round);
};

/** half bits → number, computed. */
const decodeHalf = (half: number): number => {
  const sign = half & 0x8000 ? -1 : 1;
  const exponent = (half >>> 10) & 0x1f;
  const mantissa = half & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
};

// Every half is exactly a float32: a 256 KB table makes decoding millions of
// weights (compression's trials, float16 I/O) a lookup. Built on first use,
// not at import: every cold start of the predict function imports this.
let table: Float32Array | undefined;
const halves = (): Float32Array => {
  table ??= Float32Array.from({ length: 0x10000 }, (_, bits) => decodeHalf(bits));
  return table;
};

/** half bits → number. */
const fromHalf = (half: number): number => halves()[half & 0xffff]!;

const halvesToFloats = (bits: Uint16Array): Float32Array => {
  const values = halves();
  const floats = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) floats[i] = values[bits[i]!]!;
  return floats;
};
const floatsToHalves = (floats: ArrayLike<number>): Uint16Array =>
  Uint16Array.from(floats as ArrayLike<number>, toHalf);

export { floatsToHalves, fromHalf, halvesToFloats, toHalf };
