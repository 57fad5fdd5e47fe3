import type { Logger } from '@aws-lambda-powertools/logger';
import type { ObjectStore } from '../../aws/objectStore.js';
import { InputError, oneLine, toError } from '../../errors.js';
import type { PredictService } from '../../http/createPredictService.js';
import { statusOf } from '../../http/httpErrors.js';
import { parseJsonText } from '../../protocols/jsonText.js';
import { isModelName } from '../../repository/names.js';
import type { S3Upload } from '../s3Events.js';
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
 * One object under inputs/<model>/: a KServe v2 request (.json) is inferred,
 * an image predicted, by the predict service's own prediction path (what
 * /v2/models/<model>/infer and /v1/models/<model>:predict call). The answer, with the model version used,
 * goes to outputs/<model>/<same key>.json; a bad input's error to
 * outputs/<model>/<same key>.error.json.
 */
const processInput = async (
  upload: S3Upload,
  store: ObjectStore,
  service: PredictService,
  config: BatchConfig,
  logger: Logger,
): Promise<BatchOutcome> => {
  if (!upload.key.startsWith(config.inputsPrefix))
    return { status: 'skipped', key: upload.key, reason: `not under ${config.inputsPrefix}` };
  const relative = upload.key.slice(config.inputsPrefix.length);
  const slash = relative.indexOf('/');
  const model = slash > 0 ? relative.slice(0, slash) : '';
  const outputBase = `${config.outputsPrefix}${relative}`;
  const fail = async (error: string, status: number): Promise<BatchOutcome> => {
    const output = `${outputBase}.error.json`;
    await store.putJson(output, { error, status, input: upload.key, ...(model && { model_name: model }) });
    logger.warn('batch input rejected', { key: upload.key, error });
    return { status: 'error', key: upload.key, output, error };
  };
  if (!isModelName(model) || slash === relative.length - 1)
    return fail(
      `put inputs under ${config.inputsPrefix}<model>/<file>: ${JSON.stringify(model)} is not a model name`,
      400,
    );
  if (upload.size > config.maxInputBytes)
    return fail(`the input is ${upload.size} bytes, over the limit of ${config.maxInputBytes}`, 413);
  const object = await store.get(
    upload.key,
    upload.versionId ? { versionId: upload.versionId } : { ifMatch: upload.etag },
  );
  if (!object) return { status: 'skipped', key: upload.key, reason: 'gone or replaced by a newer upload' };
  const extension = /\.([A-Za-z0-9]+)$/.exec(relative)?.[1]?.toLowerCase() ?? '';
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
      const { result, version } = await service.predictions.infer(model, undefined, parseJson(object.bytes));
      answer = { body: result.response, version };
    } else {
      const { result, version } = await service.predictions.predict(model, undefined, { images: [object.bytes] });
      answer = { body: result, version };
    }
  } catch (error) {
    const status = statusOf(error);
    if (status >= 500) throw new RetryableBatchError(`${upload.key}: ${status} ${oneLine(toError(error).message)}`);
    return fail(toError(error).message, status);
  }
  const output = `${outputBase}.json`;
  await store.putJson(output, { model_name: model, ...(answer.body as object), model_version: String(answer.version) });
  // A corrected input replaces its earlier error.
  if (await store.exists(`${outputBase}.error.json`)) await store.delete(`${outputBase}.error.json`);
  return { status: 'ok', key: upload.key, output, version: String(answer.version) };
};

export type { BatchOutcome };
export { processInput, RetryableBatchError };
