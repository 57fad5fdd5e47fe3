import { rm } from 'node:fs/promises';
import type { Logger } from '@aws-lambda-powertools/logger';
import * as z from 'zod/mini';
import type { ObjectStore } from '../../aws/objectStore.js';
import { type CompressResult, compressModel } from '../../compress/compressModel.js';
import { oneLine } from '../../errors.js';
import { isModelName } from '../../repository/names.js';
import type { S3Upload } from '../s3Events.js';
import { downloadSamples } from './calibrationSet.js';
import { checkModel, type ModelChecks } from './checkModel.js';
import type { IngestConfig } from './ingestConfig.js';
import { type IngestPolicy, manifestOf, policySchema } from './policy.js';
import { IngestRejection } from './rejection.js';
import { VersionLedger } from './versions.js';

type IngestOutcome =
  | { readonly status: 'published'; readonly name: string; readonly version: number }
  | { readonly status: 'duplicate'; readonly name: string; readonly version: number }
  | { readonly status: 'rejected'; readonly name: string; readonly stage: string; readonly error: string }
  | { readonly status: 'skipped'; readonly key: string; readonly reason: string };

/** uploads/<name>.tflite → name; anything else (policies, error files, other keys) is not an upload. */
const uploadName = (key: string, prefix: string): string | undefined => {
  if (!key.startsWith(prefix) || !key.endsWith('.tflite')) return undefined;
  return key.slice(prefix.length, -'.tflite'.length);
};

const readPolicy = async (store: ObjectStore, key: string): Promise<IngestPolicy> => {
  const object = await store.get(key);
  if (!object) return z.parse(policySchema, {});
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(object.bytes));
  } catch (error) {
    throw new IngestRejection('policy', `${key} is not valid JSON: ${oneLine((error as Error).message)}`);
  }
  const parsed = z.safeParse(policySchema, json);
  if (!parsed.success)
    throw new IngestRejection(
      'policy',
      `${key} is not a valid model.json and ingest policy: ${oneLine(parsed.error.message)}`,
    );
  return parsed.data;
};

/** The compression the policy asks for, gated by its fidelity threshold and the same checks as the upload. */
const compressUpload = async (
  bytes: Uint8Array,
  policy: IngestPolicy,
  store: ObjectStore,
  config: IngestConfig,
): Promise<{ result: CompressResult; checks: ModelChecks }> => {
  const compress = policy.compress!;
  if (compress.calibration !== undefined && !compress.calibration.startsWith(config.calibrationPrefix))
    throw new IngestRejection(
      'policy',
      `compress.calibration ${JSON.stringify(compress.calibration)} must be under ${config.calibrationPrefix} (CALIBRATION_PREFIX), the prefix this function may read`,
    );
  const samples = compress.calibration
    ? await downloadSamples(store, compress.calibration, config.maxCalibrationSamples)
    : undefined;
  if (compress.mode === 'int8' && !samples)
    throw new IngestRejection(
      'policy',
      'compress.mode int8 needs compress.calibration: a key prefix of photos or requests',
    );
  try {
    let result: CompressResult;
    try {
      result = await compressModel(bytes, {
        mode: compress.mode,
        // What the model is published as decides the task whose answers the report and the guard compare.
        manifest: manifestOf(policy),
        ...(samples && compress.mode === 'int8' && { calibration: samples.dir }),
        ...(samples && compress.mode !== 'int8' && { samples: samples.dir }),
        ...(compress.calibrationMethod && { calibrationMethod: compress.calibrationMethod }),
        ...(compress.autoKeepFloat !== undefined && { autoKeepFloat: compress.autoKeepFloat }),
        ...(compress.keepFloat && { keepFloat: compress.keepFloat }),
        ...(compress.minCosine !== undefined && { minCosine: compress.minCosine }),
        ...(compress.guard !== undefined && { guard: compress.guard }),
        ...(compress.taskFloor && { taskFloor: compress.taskFloor }),
        latencyRuns: 10,
      });
    } catch (error) {
      throw new IngestRejection('compress', `compression failed: ${oneLine((error as Error).message)}`);
    }
    const threshold = compress.minOutputCosine;
    const drifted = result.report.fidelity.outputs.filter((o) => threshold !== undefined && o.cosine < threshold);
    if (drifted.length > 0) {
      throw new IngestRejection(
        'fidelity',
        `the ${compress.mode} model misses compress.minOutputCosine ${threshold}: ${drifted.map((o) => `${o.name} ${o.cosine}`).join(', ')}`,
        { report: result.report },
      );
    }
    try {
      return { result, checks: await checkModel(result.bytes, policy, config.threads) };
    } catch (error) {
      if (error instanceof IngestRejection)
        throw new IngestRejection('compress', `the compressed model fails its checks: ${error.message}`, {
          report: result.report,
        });
      throw error;
    }
  } finally {
    if (samples) await rm(samples.dir, { recursive: true, force: true });
  }
};

/**
 * One upload: check it, compress it if its policy asks, and publish it as
 * the model's next version, or write uploads/<name>.error.json and leave
 * models/ alone. Idempotent per upload (its version id, else ETag and
 * sequencer): a redelivered event finds the work done.
 */
const ingestUpload = async (
  upload: S3Upload,
  store: ObjectStore,
  config: IngestConfig,
  logger: Logger,
): Promise<IngestOutcome> => {
  const name = uploadName(upload.key, config.uploadsPrefix);
  if (name === undefined) return { status: 'skipped', key: upload.key, reason: 'not an uploads/<name>.tflite key' };
  const errorKey = `${config.uploadsPrefix}${name}.error.json`;
  let release: (() => Promise<void>) | undefined;
  const reject = async (rejection: IngestRejection): Promise<IngestOutcome> => {
    await release?.();
    await store.putJson(errorKey, {
      error: rejection.message,
      stage: rejection.stage,
      details: { upload: upload.key, etag: upload.etag, ...rejection.details },
    });
    logger.warn('upload rejected', { key: upload.key, stage: rejection.stage, error: rejection.message });
    return { status: 'rejected', name, stage: rejection.stage, error: rejection.message };
  };
  try {
    if (!isModelName(name))
      throw new IngestRejection(
        'upload',
        `${JSON.stringify(name)} is not a model name: use letters, digits, ".", "_" and "-"`,
      );
    if (upload.size > config.maxUploadBytes)
      throw new IngestRejection(
        'size',
        `the upload is ${upload.size} bytes, over the limit of ${config.maxUploadBytes}`,
      );
    const uploadId = upload.versionId ?? `${upload.etag}-${upload.sequencer}`;
    const ledger = new VersionLedger(store, `${config.modelsPrefix}${name}/`);
    const done = await ledger.marker(uploadId);
    if (done?.state === 'published') return { status: 'duplicate', name, version: done.version };
    // Claimed on receipt, in upload order: the checks below take as long as they take.
    const claim = await ledger.claim(uploadId, { key: upload.key, sequencer: upload.sequencer });
    if ('superseded' in claim) {
      logger.warn('upload superseded by a later one', { key: upload.key, laterVersion: claim.superseded });
      return {
        status: 'skipped',
        key: upload.key,
        reason: `a later upload of ${upload.key} already has version ${claim.superseded}`,
      };
    }
    const { marker, owner } = claim;
    if (!owner) return { status: 'duplicate', name, version: marker.version };
    release = () => ledger.release(marker);
    const object = await store.get(
      upload.key,
      upload.versionId ? { versionId: upload.versionId } : { ifMatch: upload.etag },
    );
    if (!object) {
      await release();
      return { status: 'skipped', key: upload.key, reason: 'replaced by a newer upload, which has its own event' };
    }
    if (object.bytes.length > config.maxUploadBytes)
      throw new IngestRejection(
        'size',
        `the upload is ${object.bytes.length} bytes, over the limit of ${config.maxUploadBytes}`,
      );
    const policy = await readPolicy(store, `${config.uploadsPrefix}${name}.json`);
    const checks = await checkModel(object.bytes, policy, config.threads);
    const compressed = policy.compress ? await compressUpload(object.bytes, policy, store, config) : undefined;
    const prefix = ledger.versionPrefix(marker.version);
    // model.tflite last: the repository sees the version only once it is complete.
    await store.putJson(`${prefix}model.json`, manifestOf(policy));
    await store.putJson(`${prefix}report.json`, {
      upload: { key: upload.key, bytes: object.bytes.length, etag: upload.etag, versionId: upload.versionId ?? null },
      publishedAt: new Date().toISOString(),
      checks,
      ...(compressed && { compressedChecks: compressed.checks, compression: compressed.result.report }),
    });
    await store.put(`${prefix}model.tflite`, compressed?.result.bytes ?? object.bytes, {
      contentType: 'application/octet-stream',
    });
    await ledger.published(marker);
    if (await store.exists(errorKey)) await store.delete(errorKey);
    logger.info('model published', { model: name, version: marker.version, compressed: policy.compress?.mode ?? null });
    return { status: 'published', name, version: marker.version };
  } catch (error) {
    if (error instanceof IngestRejection) return reject(error);
    throw error;
  }
};

export type { IngestOutcome };
export { ingestUpload };
