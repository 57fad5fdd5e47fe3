import { allocate, type DType, elementCount, type TypedArray } from '../dtypes.js';
import { InputError } from '../errors.js';
import { fromHalf, toHalf } from '../float16.js';
import { nonFiniteMarker } from './jsonText.js';

/**
 * JSON ⇄ typed arrays for tensor payloads (KServe v2 `data`, TF Serving
 * `instances`/`inputs`): nested or flat arrays of numbers (booleans for BOOL),
 * checked value by value so that a bad element is reported by position.
 */
const MAX_DEPTH = 16;

/** Flattens nested arrays row-major; every leaf must be a number or a boolean. */
const flatten = (data: unknown, what: string): (number | boolean)[] => {
  if (!Array.isArray(data))
    throw new InputError(`${what}: data must be an array, got ${data === null ? 'null' : typeof data}`);
  const out: (number | boolean)[] = [];
  const walk = (value: unknown, depth: number): void => {
    if (Array.isArray(value)) {
      if (depth > MAX_DEPTH) throw new InputError(`${what}: data is nested more than ${MAX_DEPTH} deep`);
      for (const item of value) walk(item, depth + 1);
    } else if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) {
      out.push(value);
    } else if (typeof value === 'number') {
      // JSON.parse makes a literal beyond a double's range Infinity: refuse it rather than guess.
      throw new InputError(
        `${what}: element ${out.length} is a number too large for any tensor type; write Infinity or -Infinity to mean them`,
      );
    } else if (nonFiniteMarker(value) !== undefined) {
      out.push(nonFiniteMarker(value)!);
    } else {
      throw new InputError(
        `${what}: element ${out.length} is ${value === null ? 'null' : typeof value}, expected a number`,
      );
    }
  };
  walk(data, 0);
  return out;
};

const INTEGER_RANGES: Partial<Record<DType, [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

/** Largest finite value of each float type (float16 rounds to infinity above 65520). */
const FLOAT_MAX: Partial<Record<DType, number>> = {
  float16: 65504,
  float32: 3.4028234663852886e38,
};

/** Converts JSON values to a typed array of `dtype`, refusing what would not survive the conversion. */
const toTypedArray = (values: readonly (number | boolean)[], dtype: DType, what: string): TypedArray => {
  const array = allocate(dtype, values.length);
  const range = INTEGER_RANGES[dtype];
  values.forEach((value, i) => {
    if (dtype === 'bool') {
      if (value !== true && value !== false && value !== 0 && value !== 1) {
        throw new InputError(`${what}: element ${i} is ${value}, expected true, false, 0 or 1`);
      }
      array[i] = value === true || value === 1 ? 1 : 0;
      return;
    }
    if (typeof value !== 'number') throw new InputError(`${what}: element ${i} is a boolean, expected a number`);
    if (range) {
      if (!Number.isInteger(value) || value < range[0] || value > range[1]) {
        throw new InputError(
          `${what}: element ${i} is ${value}, expected an integer in [${range[0]}, ${range[1]}] for ${dtype}`,
        );
      }
      if (dtype === 'int64') (array as BigInt64Array)[i] = BigInt(value);
      else array[i] = value;
      return;
    }
    const max = FLOAT_MAX[dtype] ?? Number.POSITIVE_INFINITY;
    if (Number.isFinite(value) && Math.abs(value) > max) {
      throw new InputError(
        `${what}: element ${i} is ${value}, beyond the range of ${dtype} (±${max}); write Infinity or -Infinity to mean them`,
      );
    }
    array[i] = dtype === 'float16' ? toHalf(value) : value;
  });
  return array;
};

/** A typed array as JSON-safe values (halves as numbers, int64 as numbers, bool as booleans). */
const toJsonValues = (data: TypedArray, dtype: DType): (number | boolean)[] => {
  switch (dtype) {
    case 'float16':
      return Array.from(data as Uint16Array, fromHalf);
    case 'int64':
      return Array.from(data as BigInt64Array, Number);
    case 'bool':
      return Array.from(data as Uint8Array, (value) => value !== 0);
    default:
      return Array.from(data as ArrayLike<number>);
  }
};

/** Row-major nesting of a flat array by shape (TF Serving answers nested lists). */
const nest = (values: readonly unknown[], shape: readonly number[]): unknown => {
  if (shape.length === 0) return values[0];
  if (shape.length === 1) return values.slice();
  const [first, ...rest] = shape;
  const size = elementCount(rest);
  return Array.from({ length: first! }, (_, i) => nest(values.slice(i * size, (i + 1) * size), rest));
};

/** The shape of a rectangular nested array; throws on ragged data. */
const inferShape = (data: unknown, what: string): number[] => {
  const shape: number[] = [];
  let level: unknown = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (shape.length > MAX_DEPTH) throw new InputError(`${what}: data is nested more than ${MAX_DEPTH} deep`);
    level = level[0];
  }
  const check = (value: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (Array.isArray(value)) throw new InputError(`${what}: ragged data (deeper than shape [${shape}])`);
      return;
    }
    if (!Array.isArray(value) || value.length !== shape[depth]) {
      throw new InputError(`${what}: ragged data; every row at depth ${depth} must have ${shape[depth]} elements`);
    }
    for (const item of value) check(item, depth + 1);
  };
  check(data, 0);
  return shape;
};

/**
 * A tensor's shape as model metadata reports it: the batch dimension -1,
 * since every request runs at its own batch (by resizing, or item by item).
 */
const servedShape = (shape: readonly number[]): number[] =>
  shape.length > 0 && shape[0] === 1 ? [-1, ...shape.slice(1)] : [...shape];

export { flatten, inferShape, nest, servedShape, toJsonValues, toTypedArray };
