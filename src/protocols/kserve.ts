import { DTYPES, dtypeFromKserve, elementCount, type TypedArray } from '../dtypes.js';
import type { InputValue, Tensor, TensorInfo } from '../engine/types.js';
import { InputError } from '../errors.js';
import { flatten, toJsonValues, toTypedArray } from './tensorJson.js';

/** KServe v2 / Open Inference Protocol bodies (kserve docs/predict-api/v2/required_api.md). */
interface KserveTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly datatype: string;
  readonly data: readonly (number | boolean)[];
  readonly parameters?: Record<string, unknown>;
}

interface KserveInferResponse {
  readonly model_name: string;
  readonly model_version?: string;
  readonly id?: string;
  readonly outputs: readonly KserveTensor[];
}

interface ParsedInferRequest {
  readonly id?: string;
  /** Inputs in model order. */
  readonly inputs: InputValue[];
  /** Output names the caller asked for; all when absent. */
  readonly outputs?: readonly string[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const resolveInput = (infos: readonly TensorInfo[], name: unknown, position: number): number => {
  if (
    typeof name === 'number' ||
    (typeof name === 'string' && /^\d+$/.test(name) && !infos.some((i) => i.name === name))
  ) {
    const index = Number(name);
    if (!Number.isInteger(index) || index < 0 || index >= infos.length) {
      throw new InputError(
        `inputs[${position}].name: index ${name} is out of range (the model has ${infos.length} inputs)`,
      );
    }
    return index;
  }
  if (typeof name !== 'string') throw new InputError(`inputs[${position}].name must be a string or an index`);
  const index = infos.findIndex((info) => info.name === name);
  if (index < 0) {
    throw new InputError(
      `unknown input ${JSON.stringify(name)}; the model's inputs are ${infos.map((i) => JSON.stringify(i.name)).join(', ')}`,
    );
  }
  return index;
};

const parseShape = (shape: unknown, what: string): number[] => {
  if (!Array.isArray(shape) || !shape.every((dim) => Number.isInteger(dim) && dim >= 0)) {
    throw new InputError(`${what}.shape must be an array of non-negative integers`);
  }
  return shape as number[];
};

/**
 * Parses an inference request body against the model's inputs. `data` may be
 * flat or nested; with the binary extension it comes from `binary` instead.
 */
const parseInferRequest = (
  body: unknown,
  infos: readonly TensorInfo[],
  binary?: (tensor: Record<string, unknown>, index: number) => Uint8Array | undefined,
): ParsedInferRequest => {
  if (!isRecord(body)) throw new InputError('the request body must be a JSON object with an "inputs" array');
  if (!Array.isArray(body.inputs) || body.inputs.length === 0)
    throw new InputError('"inputs" must be a non-empty array');
  if (body.inputs.length !== infos.length) {
    throw new InputError(
      `expected ${infos.length} input${infos.length === 1 ? '' : 's'} (${infos.map((i) => i.name).join(', ')}), got ${body.inputs.length}`,
    );
  }
  const inputs: InputValue[] = new Array(infos.length);
  body.inputs.forEach((tensor: unknown, position: number) => {
    const what = `inputs[${position}]`;
    if (!isRecord(tensor)) throw new InputError(`${what} must be an object with name, shape, datatype and data`);
    const index = resolveInput(infos, tensor.name, position);
    const info = infos[index]!;
    if (inputs[index] !== undefined) throw new InputError(`input ${JSON.stringify(info.name)} is given twice`);
    const expected = DTYPES[info.dtype].kserve;
    if (typeof tensor.datatype !== 'string' || dtypeFromKserve(tensor.datatype) === undefined) {
      throw new InputError(
        `${what}.datatype must be one of ${Object.values(DTYPES)
          .map((d) => d.kserve)
          .join(', ')}`,
      );
    }
    if (tensor.datatype !== expected) {
      throw new InputError(`input ${JSON.stringify(info.name)} expects datatype ${expected}, got ${tensor.datatype}`);
    }
    const shape = parseShape(tensor.shape, what);
    const label = `input ${JSON.stringify(info.name)}`;
    const raw = binary?.(tensor, position);
    let data: TypedArray;
    if (raw !== undefined) {
      const bytes = DTYPES[info.dtype].bytes;
      if (raw.byteLength !== elementCount(shape) * bytes) {
        throw new InputError(
          `${label}: binary data has ${raw.byteLength} bytes, shape [${shape}] of ${tensor.datatype} needs ${elementCount(shape) * bytes}`,
        );
      }
      // A copy: raw may be a Buffer view into a larger pool, and must be aligned.
      data = new DTYPES[info.dtype].array(new Uint8Array(raw).buffer);
    } else {
      const values = flatten(tensor.data, label);
      if (values.length !== elementCount(shape)) {
        throw new InputError(
          `${label}: shape [${shape}] needs ${elementCount(shape)} values, data has ${values.length}`,
        );
      }
      data = toTypedArray(values, info.dtype, label);
    }
    inputs[index] = { data, shape };
  });
  let outputs: string[] | undefined;
  if (body.outputs !== undefined) {
    if (!Array.isArray(body.outputs) || !body.outputs.every((o) => isRecord(o) && typeof o.name === 'string')) {
      throw new InputError('"outputs" must be an array of {"name": ...}');
    }
    outputs = body.outputs.map((o) => (o as { name: string }).name);
  }
  const id = typeof body.id === 'string' ? body.id : undefined;
  return { inputs, ...(id !== undefined && { id }), ...(outputs && { outputs }) };
};

const toKserveTensor = (tensor: Tensor): KserveTensor => ({
  name: tensor.name,
  shape: [...tensor.shape],
  datatype: DTYPES[tensor.dtype].kserve,
  data: toJsonValues(tensor.data, tensor.dtype),
});

/** The response body; unknown requested outputs are the caller's error. */
const formatInferResponse = (
  modelName: string,
  tensors: readonly Tensor[],
  options: { version?: string; id?: string; outputs?: readonly string[] } = {},
): KserveInferResponse => {
  let selected = tensors;
  if (options.outputs) {
    const requested = options.outputs;
    for (const name of requested) {
      if (!tensors.some((t) => t.name === name)) {
        throw new InputError(
          `unknown output ${JSON.stringify(name)}; the model's outputs are ${tensors.map((t) => JSON.stringify(t.name)).join(', ')}`,
        );
      }
    }
    selected = tensors.filter((t) => requested.includes(t.name));
  }
  return {
    model_name: modelName,
    ...(options.version !== undefined && { model_version: options.version }),
    ...(options.id !== undefined && { id: options.id }),
    outputs: selected.map(toKserveTensor),
  };
};

export type { KserveInferResponse, KserveTensor, ParsedInferRequest };
export { formatInferResponse, isRecord, parseInferRequest, toKserveTensor };
