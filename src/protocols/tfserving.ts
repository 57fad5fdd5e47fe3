import { type DType, elementCount } from '../dtypes.js';
import type { InputValue, Tensor, TensorInfo } from '../engine/types.js';
import { InputError } from '../errors.js';
import { isRecord } from './kserve.js';
import { flatten, inferShape, nest, servedShape, toJsonValues, toTypedArray } from './tensorJson.js';

/**
 * TensorFlow Serving's REST predict API (tensorflow_serving/g3doc/api_rest.md):
 * `instances` (row format: one entry per example, batched along dimension 0)
 * or `inputs` (columnar: whole tensors), answered with `predictions` or
 * `outputs` in the same format. `{"b64": "..."}` values are binary (images).
 */
type PredictFormat = 'row' | 'columnar';

type ParsedPredict =
  | { readonly kind: 'tensors'; readonly format: PredictFormat; readonly inputs: InputValue[] }
  | { readonly kind: 'images'; readonly images: Uint8Array[] };

const B64 = /^[A-Za-z0-9+/\r\n]*={0,2}$/;

const decodeB64 = (value: unknown, what: string): Uint8Array => {
  const text = (value as { b64?: unknown }).b64;
  if (typeof text !== 'string' || text.length === 0 || !B64.test(text))
    throw new InputError(`${what}: "b64" must be a non-empty base64 string`);
  return Buffer.from(text, 'base64');
};

const isB64 = (value: unknown): boolean => isRecord(value) && Object.keys(value).length === 1 && 'b64' in value;

/** {"b64"} instances, or one named input holding {"b64"}: an image request. */
const imagesOf = (instances: unknown[], infos: readonly TensorInfo[]): Uint8Array[] | undefined => {
  if (instances.every(isB64)) return instances.map((instance, i) => decodeB64(instance, `instances[${i}]`));
  const only = infos.length === 1 ? infos[0]!.name : undefined;
  if (
    only &&
    instances.every((instance) => isRecord(instance) && Object.keys(instance).length === 1 && isB64(instance[only]))
  ) {
    return instances.map((instance, i) =>
      decodeB64((instance as Record<string, unknown>)[only], `instances[${i}].${only}`),
    );
  }
  return undefined;
};

/** A columnar value: a (nested) array whose first dimension is the batch. */
const toInput = (
  value: unknown,
  info: TensorInfo,
  what: string,
): { data: ReturnType<typeof toTypedArray>; shape: number[] } => {
  if (!Array.isArray(value))
    throw new InputError(`${what} must be a (nested) array whose first dimension is the batch`);
  const shape = inferShape(value, what);
  return { data: toTypedArray(flatten(value, what), info.dtype, what), shape };
};

/** Stacks per-example values of one input into a batch, checking they agree in shape. */
const stack = (
  examples: unknown[],
  info: TensorInfo,
  what: string,
): { data: ReturnType<typeof toTypedArray>; shape: number[] } => {
  let exampleShape: number[] | undefined;
  const values: (number | boolean)[] = [];
  examples.forEach((example, i) => {
    const shape = inferShape(example, `${what}[${i}]`);
    if (exampleShape && shape.join() !== exampleShape.join()) {
      throw new InputError(
        `${what}: instance ${i} has shape [${shape}], instance 0 has [${exampleShape}]; all instances must agree`,
      );
    }
    exampleShape = shape;
    // A loop, not push(...): an instance of 150,528 values would overflow the call stack.
    for (const value of flatten(Array.isArray(example) ? example : [example], `${what}[${i}]`)) values.push(value);
  });
  return { data: toTypedArray(values, info.dtype, what), shape: [examples.length, ...(exampleShape ?? [])] };
};

/** The one signature a TFLite model serves here (its first subgraph), as TF Serving names a default. */
const SIGNATURE = 'serving_default';

/** {"b64"} columnar inputs: one, a list, or under the single input's name. */
const columnarImages = (columns: unknown, infos: readonly TensorInfo[]): Uint8Array[] | undefined => {
  const only = infos.length === 1 ? infos[0]!.name : undefined;
  const value =
    only && isRecord(columns) && Object.keys(columns).length === 1 && only in columns ? columns[only] : columns;
  if (isB64(value)) return [decodeB64(value, 'inputs')];
  if (Array.isArray(value) && value.length > 0 && value.every(isB64))
    return value.map((item, i) => decodeB64(item, `inputs[${i}]`));
  return undefined;
};

/** Parses a :predict body against the model's inputs. */
const parsePredictRequest = (body: unknown, infos: readonly TensorInfo[]): ParsedPredict => {
  if (!isRecord(body)) throw new InputError('the request body must be a JSON object with "instances" or "inputs"');
  const signature = body.signature_name;
  if (signature !== undefined && signature !== '' && signature !== SIGNATURE)
    throw new InputError(
      `signature_name ${JSON.stringify(signature)} is not a signature of this model; it serves ${JSON.stringify(SIGNATURE)}`,
    );
  const hasInstances = 'instances' in body;
  const hasInputs = 'inputs' in body;
  if (hasInstances === hasInputs)
    throw new InputError(
      'send either "instances" (row format) or "inputs" (columnar format), not both and not neither',
    );
  if (hasInstances) {
    const instances = body.instances;
    if (!Array.isArray(instances) || instances.length === 0)
      throw new InputError('"instances" must be a non-empty array');
    const images = imagesOf(instances, infos);
    if (images) return { kind: 'images', images };
    if (
      infos.length === 1 &&
      !instances.every(
        (instance) => isRecord(instance) && infos[0]!.name in instance && Object.keys(instance).length === 1,
      )
    ) {
      return { kind: 'tensors', format: 'row', inputs: [stack(instances, infos[0]!, 'instances')] };
    }
    const inputs = infos.map((info) => {
      const column = instances.map((instance, i) => {
        if (!isRecord(instance) || !(info.name in instance))
          throw new InputError(`instances[${i}] lacks input ${JSON.stringify(info.name)}`);
        return instance[info.name];
      });
      return stack(column, info, `instances.${info.name}`);
    });
    return { kind: 'tensors', format: 'row', inputs };
  }
  const columns = body.inputs;
  const images = columnarImages(columns, infos);
  if (images) return { kind: 'images', images };
  if (infos.length === 1 && !(isRecord(columns) && infos[0]!.name in columns)) {
    return { kind: 'tensors', format: 'columnar', inputs: [toInput(columns, infos[0]!, 'inputs')] };
  }
  if (!isRecord(columns))
    throw new InputError(`"inputs" must be an object keyed by input name (${infos.map((i) => i.name).join(', ')})`);
  const unknown = Object.keys(columns).find((name) => !infos.some((info) => info.name === name));
  if (unknown)
    throw new InputError(
      `unknown input ${JSON.stringify(unknown)}; the model's inputs are ${infos.map((i) => JSON.stringify(i.name)).join(', ')}`,
    );
  return {
    kind: 'tensors',
    format: 'columnar',
    inputs: infos.map((info) => {
      if (!(info.name in columns)) throw new InputError(`"inputs" lacks ${JSON.stringify(info.name)}`);
      return toInput(columns[info.name], info, `inputs.${info.name}`);
    }),
  };
};

/** {"predictions": ...} for row requests, {"outputs": ...} for columnar ones; names dropped for a single output. */
const formatPredictResponse = (format: PredictFormat, outputs: readonly Tensor[]): Record<string, unknown> => {
  const values = outputs.map((t) => toJsonValues(t.data, t.dtype));
  if (format === 'columnar') {
    const tensors = outputs.map((t, i) => nest(values[i]!, t.shape));
    return {
      outputs: outputs.length === 1 ? tensors[0] : Object.fromEntries(outputs.map((t, i) => [t.name, tensors[i]])),
    };
  }
  const batch = outputs[0]?.shape[0] ?? 0;
  const rows = (t: Tensor, i: number): unknown[] => {
    const rowShape = t.shape.slice(1);
    const size = elementCount(rowShape);
    return Array.from({ length: batch }, (_, b) => nest(values[i]!.slice(b * size, (b + 1) * size), rowShape));
  };
  if (outputs.length === 1) return { predictions: rows(outputs[0]!, 0) };
  const perOutput = outputs.map(rows);
  return {
    predictions: Array.from({ length: batch }, (_, b) =>
      Object.fromEntries(outputs.map((t, i) => [t.name, perOutput[i]![b]])),
    ),
  };
};

const TF_DTYPES: Readonly<Record<DType, string>> = {
  float32: 'DT_FLOAT',
  float16: 'DT_HALF',
  int8: 'DT_INT8',
  uint8: 'DT_UINT8',
  int16: 'DT_INT16',
  int32: 'DT_INT32',
  int64: 'DT_INT64',
  bool: 'DT_BOOL',
};

const tensorSpec = (info: TensorInfo) => ({
  dtype: TF_DTYPES[info.dtype],
  tensor_shape: {
    dim: servedShape(info.shape).map((size) => ({ size: String(size), name: '' })),
    unknown_rank: false,
  },
  name: info.name,
});

/** GetModelMetadataResponse as TF Serving's REST API prints it. */
const modelMetadata = (
  name: string,
  version: number,
  inputs: readonly TensorInfo[],
  outputs: readonly TensorInfo[],
) => ({
  model_spec: { name, signature_name: '', version: String(version) },
  metadata: {
    signature_def: {
      signature_def: {
        [SIGNATURE]: {
          inputs: Object.fromEntries(inputs.map((i) => [i.name, tensorSpec(i)])),
          outputs: Object.fromEntries(outputs.map((o) => [o.name, tensorSpec(o)])),
          method_name: 'tensorflow/serving/predict',
        },
      },
    },
  },
});

export type { ParsedPredict, PredictFormat };
export { formatPredictResponse, modelMetadata, parsePredictRequest };
