import * as z from 'zod/mini';
import { manifestSchema } from '../../manifest/schema.js';

/** A cosine or a share: in (0, 1]. */
const cosine = z.number().check(z.gt(0), z.maximum(1));

/** How an upload is to be compressed before it is published. */
const compressSchema = z.strictObject({
  mode: z.enum(['float32', 'float16', 'dynamic', 'int8']),
  /** A key prefix in the same bucket holding photos or KServe v2 .json requests. */
  calibration: z.optional(z.string().check(z.minLength(1))),
  calibrationMethod: z.optional(z.enum(['minmax', 'percentile'])),
  autoKeepFloat: z.optional(z.number().check(z.positive())),
  keepFloat: z.optional(z.array(z.string())),
  /** dynamic and int8: the fidelity guard's floor (default 0.99): mixed precision until every output reaches it. */
  minCosine: z.optional(cosine),
  /** false: the mode's raw result, without the fidelity guard. */
  guard: z.optional(z.boolean()),
  /**
   * dynamic and int8, where the task is known: the guard's floor in the task's
   * terms (defaults: landmarks within 1% of the input, the same top class,
   * every box found again at IoU 0.8, 98% of mask pixels).
   */
  taskFloor: z.optional(
    z.strictObject({
      landmarkError: z.optional(cosine),
      top1Agreement: z.optional(cosine),
      boxIoU: z.optional(cosine),
      pixelAgreement: z.optional(cosine),
    }),
  ),
  /** Publish only if every output of the compressed model keeps at least this cosine against the upload. */
  minOutputCosine: z.optional(cosine),
});

/**
 * uploads/<name>.json: the model.json to publish with the model, plus what
 * ingest should do with it. Upload it before the .tflite, which triggers ingest.
 */
const policySchema = z.extend(manifestSchema, {
  compress: z.optional(compressSchema),
  /** A KServe v2 request for the smoke run instead of zeros. */
  smokeTest: z.optional(z.looseObject({ inputs: z.array(z.unknown()) })),
});

type IngestPolicy = z.infer<typeof policySchema>;
type CompressPolicy = z.infer<typeof compressSchema>;

/** The policy without ingest's own keys: what is published as model.json. */
const manifestOf = (policy: IngestPolicy): Record<string, unknown> => {
  const { compress: _compress, smokeTest: _smokeTest, ...manifest } = policy;
  return manifest;
};

export type { CompressPolicy, IngestPolicy };
export { manifestOf, policySchema };
