import { DTYPES, elementCount } from '../dtypes.js';
import type { Tensor } from '../engine/types.js';
import { InputError } from '../errors.js';
import { parseJsonText } from './jsonText.js';
import { isRecord, type KserveInferResponse } from './kserve.js';

/**
 * The binary tensor data extension (Triton, extension_binary_data.md): the
 * body is the JSON header (`Inference-Header-Content-Length` bytes) followed
 * by raw little-endian tensors, in input order, for the inputs whose
 * parameters give `binary_data_size`.
 */
const HEADER = 'inference-header-content-length';

interface BinaryRequest {
  readonly json: unknown;
  /** The raw bytes of an input that declared binary_data_size. */
  readonly binary: (tensor: Record<string, unknown>, index: number) => Uint8Array | undefined;
}

const splitBinaryRequest = (body: Buffer, headerLength: string): BinaryRequest => {
  const length = Number(headerLength);
  if (!Number.isInteger(length) || length < 0 || length > body.length) {
    throw new InputError(`${HEADER} is ${JSON.stringify(headerLength)}, but the body has ${body.length} bytes`);
  }
  let json: unknown;
  try {
    json = parseJsonText(body.subarray(0, length).toString('utf8'));
  } catch (error) {
    throw new InputError(`the JSON header of the binary request is not valid JSON: ${(error as Error).message}`);
  }
  // Offsets follow the order of the inputs in the header.
  const offsets = new Map<number, [number, number]>();
  let at = length;
  const inputs = isRecord(json) && Array.isArray(json.inputs) ? json.inputs : [];
  inputs.forEach((tensor: unknown, index: number) => {
    const size = isRecord(tensor) && isRecord(tensor.parameters) ? tensor.parameters.binary_data_size : undefined;
    if (size === undefined) return;
    if (!Number.isInteger(size) || (size as number) < 0 || at + (size as number) > body.length) {
      throw new InputError(
        `inputs[${index}].parameters.binary_data_size ${JSON.stringify(size)} runs past the end of the body`,
      );
    }
    offsets.set(index, [at, at + (size as number)]);
    at += size as number;
  });
  if (at !== body.length) throw new InputError(`the body has ${body.length - at} bytes after the declared binary data`);
  return {
    json,
    binary: (_tensor, index) => {
      const range = offsets.get(index);
      return range ? body.subarray(range[0], range[1]) : undefined;
    },
  };
};

/** Which outputs the request wants as binary. */
const binaryOutputs = (json: unknown): ((name: string) => boolean) => {
  const all = isRecord(json) && isRecord(json.parameters) && json.parameters.binary_data_output === true;
  const named = new Set<string>();
  if (isRecord(json) && Array.isArray(json.outputs)) {
    for (const output of json.outputs) {
      if (
        isRecord(output) &&
        typeof output.name === 'string' &&
        isRecord(output.parameters) &&
        output.parameters.binary_data === true
      )
        named.add(output.name);
    }
  }
  return (name) => all || named.has(name);
};

/** The response with the chosen outputs moved after the JSON; undefined when none is binary. */
const encodeBinaryResponse = (
  response: KserveInferResponse,
  tensors: readonly Tensor[],
  wanted: (name: string) => boolean,
): { body: Buffer; headerLength: number } | undefined => {
  const chunks: Buffer[] = [];
  let any = false;
  const outputs = response.outputs.map((output) => {
    const tensor = tensors.find((t) => t.name === output.name);
    if (!tensor || !wanted(output.name)) return output;
    any = true;
    const bytes = Buffer.from(
      tensor.data.buffer,
      tensor.data.byteOffset,
      elementCount(tensor.shape) * DTYPES[tensor.dtype].bytes,
    );
    chunks.push(Buffer.from(bytes));
    const { data: _data, ...rest } = output;
    return { ...rest, parameters: { ...output.parameters, binary_data_size: bytes.length } };
  });
  if (!any) return undefined;
  const header = Buffer.from(JSON.stringify({ ...response, outputs }), 'utf8');
  return { body: Buffer.concat([header, ...chunks]), headerLength: header.length };
};

export { binaryOutputs, encodeBinaryResponse, HEADER as BINARY_HEADER, splitBinaryRequest };
