import { compressModel } from '../../compress/compressModel.js';
import type { CompressReport } from '../../compress/types.js';
import { oneLine } from '../../errors.js';
import { checkModel, type ModelChecks } from './checkModel.js';
import { type IngestPolicy, manifestOf } from './policy.js';
import { IngestRejection } from './rejection.js';

/** What the checks of one upload take: no S3, so that they can run in a process of their own. */
interface UploadCheckInput {
  readonly bytes: Uint8Array;
  readonly policy: IngestPolicy;
  readonly threads: number;
  /** The policy's calibration samples, downloaded by the caller. */
  readonly samplesDir?: string;
}

interface UploadChecks {
  readonly checks: ModelChecks;
  readonly compressed?: { readonly bytes: Uint8Array; readonly report: CompressReport; readonly checks: ModelChecks };
}

/**
 * The upload's checks and, when its policy asks, its compression, gated by
 * the policy's fidelity threshold and the same checks. Throws
 * IngestRejection for what must not be published. `stage` names each step
 * as it starts: if the process dies, that is where.
 */
const checkUpload = async (input: UploadCheckInput, stage: (name: string) => void = () => undefined) => {
  const { bytes, policy, threads, samplesDir } = input;
  const checks = await checkModel(bytes, policy, threads, stage);
  const compress = policy.compress;
  if (!compress) return { checks } satisfies UploadChecks;
  stage('compress');
  let result: Awaited<ReturnType<typeof compressModel>>;
  try {
    result = await compressModel(bytes, {
      mode: compress.mode,
      // What the model is published as decides the task whose answers the report and the guard compare.
      manifest: manifestOf(policy),
      ...(samplesDir && compress.mode === 'int8' && { calibration: samplesDir }),
      ...(samplesDir && compress.mode !== 'int8' && { samples: samplesDir }),
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
    const compressedChecks = await checkModel(result.bytes, policy, threads, stage);
    return {
      checks,
      compressed: { bytes: result.bytes, report: result.report, checks: compressedChecks },
    } satisfies UploadChecks;
  } catch (error) {
    if (error instanceof IngestRejection)
      throw new IngestRejection('compress', `the compressed model fails its checks: ${error.message}`, {
        report: result.report,
      });
    throw error;
  }
};

export type { UploadCheckInput, UploadChecks };
export { checkUpload };
