import { rm } from 'node:fs/promises';
import type { Logger } from '@aws-lambda-powertools/logger';
import * as z from 'zod/mini';
import type { ObjectStore } from '../../aws/objectStore.js';
import { oneLine } from '../../errors.js';
import { type IsolatedEntry, IsolatedTaskError, runIsolated, TaskFailure } from '../../isolation/runIsolated.js';
import { isModelName } from '../../repository/names.js';
import type { S3Upload } from '../s3Events.js';
import { downloadSamples } from './calibrationSet.js';
import type { IngestConfig } from './ingestConfig.js';
import { type IngestPolicy, manifestOf, policySchema } from './policy.js';
import { IngestRejection, type IngestStage } from './rejection.js';
import type { UploadCheckInput, UploadChecks } from './uploadChecks.js';
import { VersionLedger } from './versions.js';

/** Where the upload's checks run: the entry that serves checkUpload in a child process (functions/ingest/check.ts). */
interface IngestIsolation {
  readonly checks: IsolatedEntry;
}

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

const STAGES = new Set<string>(['format', 'load', 'manifest', 'smoke', 'compress', 'fidelity', 'policy']);

/**
 * The upload's checks (and compression) in a process of their own: a model
 * that kills the engine by a signal, loops without end or takes memory
 * without bound is rejected with what happened, the claim is given back, and
 * this invocation writes the error file instead of dying with it (Lambda
 * would retry twice, each time dying the same way).
 */
const checkIsolated = async (
  bytes: Uint8Array,
  policy: IngestPolicy,
  store: ObjectStore,
  config: IngestConfig,
  isolation: IngestIsolation,
): Promise<UploadChecks> => {
  const calibration = policy.compress?.calibration;
  if (calibration !== undefined && !calibration.startsWith(config.calibrationPrefix))
    throw new IngestRejection(
      'policy',
      `compress.calibration ${JSON.stringify(calibration)} must be under ${config.calibrationPrefix} (CALIBRATION_PREFIX), the prefix this function may read`,
    );
  if (policy.compress?.mode === 'int8' && calibration === undefined)
    throw new IngestRejection(
      'policy',
      'compress.mode int8 needs compress.calibration: a key prefix of photos or requests',
    );
  const samples = calibration ? await downloadSamples(store, calibration, config.maxCalibrationSamples) : undefined;
  try {
    const input: UploadCheckInput = {
      bytes,
      policy,
      threads: config.threads,
      ...(samples && { samplesDir: samples.dir }),
    };
    return await runIsolated<UploadChecks>(isolation.checks, input, {
      timeoutMs: config.checkTimeoutSeconds * 1000,
      memoryBytes: config.checkMemoryBytes,
    });
  } catch (error) {
    if (error instanceof TaskFailure && error.errorName === 'IngestRejection') {
      const { stage, details } = error.fields as { stage: IngestStage; details?: Record<string, unknown> };
      throw new IngestRejection(stage, error.message, details);
    }
    if (error instanceof IsolatedTaskError) {
      const stage = error.stage !== undefined && STAGES.has(error.stage) ? (error.stage as IngestStage) : 'load';
      throw new IngestRejection(stage, `the model's checks ${error.message}; nothing was published`, {
        containment: error.containment,
      });
    }
    throw error;
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
  isolation: IngestIsolation,
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
    const { checks, compressed } = await checkIsolated(object.bytes, policy, store, config, isolation);
    const prefix = ledger.versionPrefix(marker.version);
    // model.tflite last: the repository sees the version only once it is complete.
    await store.putJson(`${prefix}model.json`, manifestOf(policy));
    await store.putJson(`${prefix}report.json`, {
      upload: { key: upload.key, bytes: object.bytes.length, etag: upload.etag, versionId: upload.versionId ?? null },
      publishedAt: new Date().toISOString(),
      checks,
      ...(compressed && { compressedChecks: compressed.checks, compression: compressed.report }),
    });
    await store.put(`${prefix}model.tflite`, compressed?.bytes ?? object.bytes, {
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

export type { IngestIsolation, IngestOutcome };
export { ingestUpload };
