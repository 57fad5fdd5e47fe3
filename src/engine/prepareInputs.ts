import { DTYPES, elementCount, type TypedArray } from '../dtypes.js';
import { InputError } from '../errors.js';
import type { Inputs, InputValue, TensorInfo } from './types.js';

interface PreparedInputs {
  readonly arrays: readonly TypedArray[];
  /** The batch size the caller's shapes ask for, when it differs from the model's. */
  readonly batch?: number;
}

const isTypedArray = (value: unknown): value is TypedArray => ArrayBuffer.isView(value) && !(value instanceof DataView);

const typeName = (value: unknown): string =>
  value === null ? 'null' : typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;

const describe = (info: TensorInfo): string => `input ${JSON.stringify(info.name)}`;

const orderInputs = (infos: readonly TensorInfo[], inputs: Inputs): unknown[] => {
  if (Array.isArray(inputs)) {
    if (inputs.length !== infos.length) {
      const names = infos.map((info) => info.name).join(', ');
      throw new InputError(
        `expected ${infos.length} input${infos.length === 1 ? '' : 's'} (${names}), got ${inputs.length}`,
      );
    }
    return inputs;
  }
  if (inputs === null || typeof inputs !== 'object')
    throw new InputError(`inputs must be an array or an object, got ${typeName(inputs)}`);
  const record = inputs as Readonly<Record<string, InputValue>>;
  const unknown = Object.keys(record).filter((name) => !infos.some((info) => info.name === name));
  if (unknown.length > 0) {
    throw new InputError(
      `unknown input ${JSON.stringify(unknown[0])}; the model's inputs are ${infos.map((info) => JSON.stringify(info.name)).join(', ')}`,
    );
  }
  return infos.map((info) => {
    if (!(info.name in record)) throw new InputError(`missing ${describe(info)}`);
    return record[info.name];
  });
};

const checkDtype = (info: TensorInfo, data: unknown): TypedArray => {
  const expected = DTYPES[info.dtype].array;
  if (!isTypedArray(data) || !(data instanceof expected)) {
    throw new InputError(`${describe(info)} expects ${info.dtype} data as a ${expected.name}, got ${typeName(data)}`);
  }
  return data;
};

/**
 * Checks inputs against the model before any native code sees them: count,
 * names, dtype, element count and shape. Only the first (batch) dimension may
 * differ from the model's, and it must be the same for every input.
 */
const prepareInputs = (infos: readonly TensorInfo[], inputs: Inputs): PreparedInputs => {
  const ordered = orderInputs(infos, inputs);
  let batch: number | undefined;
  const arrays = ordered.map((value, index) => {
    const info = infos[index]!;
    const wrapped = !isTypedArray(value) && value !== null && typeof value === 'object' && 'data' in value;
    const data = checkDtype(info, wrapped ? (value as { data: unknown }).data : value);
    const shape = wrapped ? (value as { shape?: readonly number[] }).shape : undefined;
    let expected = info.shape;
    if (shape !== undefined) {
      if (!Array.isArray(shape) || !shape.every((dim) => Number.isInteger(dim) && dim >= 0)) {
        throw new InputError(`${describe(info)} has an invalid shape ${JSON.stringify(shape)}`);
      }
      const sameRest = shape.length === info.shape.length && shape.every((dim, d) => d === 0 || dim === info.shape[d]);
      if (!sameRest || shape[0] === 0) {
        throw new InputError(`${describe(info)} expects shape [${info.shape}] (any batch size), got [${shape}]`);
      }
      if (shape[0] !== info.shape[0]) {
        if (batch !== undefined && batch !== shape[0])
          throw new InputError(`inputs disagree on the batch size: ${batch} and ${shape[0]}`);
        batch = shape[0];
      }
      expected = shape;
    }
    const count = elementCount(expected);
    if (data.length !== count) {
      throw new InputError(
        `${describe(info)} of shape [${expected}] needs ${count} ${info.dtype} values, got ${data.length}`,
      );
    }
    return data;
  });
  return batch === undefined ? { arrays } : { arrays, batch };
};

export type { PreparedInputs };
export { isTypedArray, prepareInputs };
