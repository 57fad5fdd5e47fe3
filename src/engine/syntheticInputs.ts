import { allocate, elementCount, type TypedArray } from '../dtypes.js';
import { toHalf } from '../float16.js';
import type { TensorInfo } from './types.js';

/** A small deterministic generator (mulberry32): the same seed gives the same inputs everywhere. */
const seededRandom = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/**
 * Deterministic inputs for `infos`: floats in [0, 1) (the range most image
 * models are normalized to), integers across their type's range.
 */
const syntheticInputs = (infos: readonly TensorInfo[], seed = 1): TypedArray[] => {
  const random = seededRandom(seed);
  return infos.map((info) => {
    const array = allocate(info.dtype, elementCount(info.shape));
    for (let i = 0; i < array.length; i++) {
      const r = random();
      switch (info.dtype) {
        case 'float32':
          array[i] = r;
          break;
        case 'float16':
          array[i] = toHalf(r);
          break;
        case 'int8':
          array[i] = Math.floor(r * 256) - 128;
          break;
        case 'uint8':
          array[i] = Math.floor(r * 256);
          break;
        case 'int16':
          array[i] = Math.floor(r * 65536) - 32768;
          break;
        case 'int32':
          array[i] = Math.floor(r * 1000);
          break;
        case 'int64':
          (array as BigInt64Array)[i] = BigInt(Math.floor(r * 1000));
          break;
        case 'bool':
          array[i] = r < 0.5 ? 0 : 1;
          break;
      }
    }
    return array;
  });
};

/** Zero-filled inputs for `infos`, a dynamic dimension (-1) taken as 1. */
const zeroInputs = (infos: readonly TensorInfo[]): TypedArray[] =>
  infos.map((info) => allocate(info.dtype, elementCount(info.shape.map((d) => Math.max(1, d)))));

export { seededRandom, syntheticInputs, zeroInputs };
