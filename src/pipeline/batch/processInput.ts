import type { Logger } from '@aws-lambda-powertools/logger';
import type { ObjectStore } from '../../aws/objectStore.js';
import type { PredictService } from '../../http/createPredictService.js';
import type { HttpRequest } from '../../http/request.js';
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

/** Thrown for what deserves a retry: the service answered 5xx (model unavailable, internal error). */
class RetryableBatchError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'RetryableBatchError';
  }
}

/**
 * One object under inputs/<model>/: a KServe v2 request (.json) goes to
 * /v2/models/<model>/infer, an image to /v1/models/<model>:predict, through
 * the predict service's own routes. The answer, with the model version used,
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
  const request: HttpRequest = {
    method: 'POST',
    path: extension === 'json' ? `/v2/models/${model}/infer` : `/v1/models/${model}:predict`,
    headers: { 'content-type': extension === 'json' ? 'application/json' : imageType! },
    body: Buffer.from(object.bytes.buffer, object.bytes.byteOffset, object.bytes.byteLength),
    contentType: extension === 'json' ? 'application/json' : imageType!,
    requestId: `${upload.key}@${upload.sequencer}`,
  };
  const response = await service.serve(request);
  const body = JSON.parse(response.body ?? '{}') as Record<string, unknown>;
  if (response.statusCode >= 500)
    throw new RetryableBatchError(`${upload.key}: ${response.statusCode} ${String(body.error ?? '')}`);
  if (response.statusCode !== 200)
    return fail(String(body.error ?? `status ${response.statusCode}`), response.statusCode);
  const version = response.headers['x-model-version'] ?? String(body.model_version ?? '');
  const output = `${outputBase}.json`;
  await store.putJson(output, { model_name: model, ...body, model_version: version });
  // A corrected input replaces its earlier error.
  if (await store.exists(`${outputBase}.error.json`)) await store.delete(`${outputBase}.error.json`);
  return { status: 'ok', key: upload.key, output, version };
};

export type { BatchOutcome };
export { processInput, RetryableBatchError };
