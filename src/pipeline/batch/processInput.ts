import type { Logger } from '@aws-lambda-powertools/logger';
import type { ObjectStore } from '../../aws/objectStore.js';
import { InputError, NotFoundError, oneLine, PayloadTooLargeError, toError } from '../../errors.js';
import type { PredictService } from '../../http/createPredictService.js';
import { statusOf } from '../../http/httpErrors.js';
import { parseJsonText } from '../../protocols/jsonText.js';
import { isModelName } from '../../repository/names.js';
import type { BatchConfig } from './batchConfig.js';

type BatchOutcome =
  | { readonly status: 'ok'; readonly key: string; readonly output: string; readonly version: string }
  | { readonly status: 'error'; readonly key: string; readonly output: string; readonly error: string }
  | { readonly status: 'skipped'; readonly key: string; readonly reason: string };

const IMAGE_TYPES: Readonly<Record<string, string>> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  avif: 'image/avif',
};

const parseJson = (bytes: Uint8Array): unknown => {
  try {
    return parseJsonText(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new InputError(`the request file is not valid JSON: ${oneLine(toError(error).message)}`);
  }
};

/** Thrown for what deserves a retry: a failure that maps to 5xx (model unavailable, internal error). */
class RetryableBatchError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'RetryableBatchError';
  }
}

/**
 * One object to answer. S3 notifications give its size and entity tag, and
 * the model comes from its key (inputs/<model>/...); an S3 Batch Operations
 * job names the model in its arguments and gives at most a version id.
 */
interface BatchInput {
  readonly key: string;
  readonly size?: number;
  readonly etag?: string;
  readonly versionId?: string;
  /** The model to answer with, when the job names it; otherwise the key's first folder under the inputs prefix. */
  readonly model?: string;
  /** The model version to answer with; the repository's latest when absent. */
  readonly modelVersion?: number;
}

/**
 * Where an input's answer goes: outputs/<model>/<the key under the inputs
 * prefix, without its own model folder>. Undefined for a key outside the
 * inputs prefix, which the batch function is not allowed to read.
 */
const placeInput = (input: BatchInput, config: BatchConfig): { model: string; outputBase: string } | undefined => {
  if (!input.key.startsWith(config.inputsPrefix)) return undefined;
  const relative = input.key.slice(config.inputsPrefix.length);
  const slash = relative.indexOf('/');
  const fromKey = slash > 0 ? relative.slice(0, slash) : '';
  const model = input.model ?? fromKey;
  const path = fromKey === model ? relative.slice(slash + 1) : relative;
  return { model, outputBase: `${config.outputsPrefix}${model ? `${model}/` : ''}${path}` };
};

/**
 * One input object: a KServe v2 request (.json) is inferred, an image
 * predicted, by the predict service's own prediction path (what
 * /v2/models/<model>/infer and /v1/models/<model>:predict call). The answer, with the model version used,
 * goes to outputs/<model>/<same key>.json; a bad input's error to
 * outputs/<model>/<same key>.error.json.
 */
const processInput = async (
  input: BatchInput,
  store: ObjectStore,
  service: PredictService,
  config: BatchConfig,
  logger: Logger,
): Promise<BatchOutcome> => {
  const placed = placeInput(input, config);
  if (!placed) return { status: 'skipped', key: input.key, reason: `not under ${config.inputsPrefix}` };
  const { model, outputBase } = placed;
  const fail = async (error: string, status: number): Promise<BatchOutcome> => {
    const output = `${outputBase}.error.json`;
    await store.putJson(output, { error, status, input: input.key, ...(model && { model_name: model }) });
    logger.warn('batch input rejected', { key: input.key, error });
    return { status: 'error', key: input.key, output, error };
  };
  if (!isModelName(model) || outputBase.endsWith('/'))
    return fail(
      `put inputs under ${config.inputsPrefix}<model>/<file>: ${JSON.stringify(model)} is not a model name`,
      400,
    );
  if (input.size !== undefined && input.size > config.maxInputBytes)
    return fail(`the input is ${input.size} bytes, over the limit of ${config.maxInputBytes}`, 413);
  let object: Awaited<ReturnType<ObjectStore['get']>>;
  try {
    object = await store.get(input.key, {
      maxBytes: config.maxInputBytes,
      ...(input.versionId ? { versionId: input.versionId } : input.etag ? { ifMatch: input.etag } : {}),
    });
  } catch (error) {
    if (error instanceof PayloadTooLargeError) return fail(error.message, 413);
    throw error;
  }
  if (!object) return { status: 'skipped', key: input.key, reason: 'gone or replaced by a newer upload' };
  const extension = /\.([A-Za-z0-9]+)$/.exec(input.key)?.[1]?.toLowerCase() ?? '';
  const imageType =
    IMAGE_TYPES[extension] ?? (object.contentType?.startsWith('image/') ? object.contentType : undefined);
  if (extension !== 'json' && !imageType)
    return fail(
      `unsupported input ${JSON.stringify(extension)}: send images (${Object.keys(IMAGE_TYPES).join(', ')}) or KServe v2 .json requests`,
      415,
    );
  let answer: { body: unknown; version: number };
  try {
    if (extension === 'json') {
      // Outputs are files of JSON: a request's binary_data_output has nothing to shape here.
      const { result, version } = await service.predictions.infer(model, input.modelVersion, parseJson(object.bytes));
      answer = { body: result.response, version };
    } else {
      const { result, version } = await service.predictions.predict(model, input.modelVersion, {
        images: [object.bytes],
      });
      answer = { body: result, version };
    }
  } catch (error) {
    const status = statusOf(error);
    if (status >= 500) throw new RetryableBatchError(`${input.key}: ${status} ${oneLine(toError(error).message)}`);
    // A model or version the job named that does not exist is the job's fault, not the input's: an
    // error file would sit beside (and contradict) the input's valid output from another model version.
    if (error instanceof NotFoundError && (input.model !== undefined || input.modelVersion !== undefined))
      return { status: 'skipped', key: input.key, reason: `job arguments: ${oneLine(error.message)}` };
    return fail(toError(error).message, status);
  }
  const output = `${outputBase}.json`;
  await store.putJson(output, { model_name: model, ...(answer.body as object), model_version: String(answer.version) });
  // A corrected input replaces its earlier error.
  if (await store.exists(`${outputBase}.error.json`)) await store.delete(`${outputBase}.error.json`);
  return { status: 'ok', key: input.key, output, version: String(answer.version) };
};

export type { BatchInput, BatchOutcome };
export { processInput, RetryableBatchError };
