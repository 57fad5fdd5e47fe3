import { z } from 'zod';
import { manifestSchema } from '../../manifest/schema.js';

/** How an upload is to be compressed before it is published. */
const compressSchema = z.strictObject({
  mode: z.enum(['float32', 'float16', 'dynamic', 'int8']),
  /** A key prefix in the same bucket holding photos or KServe v2 .json requests. */
  calibration: z.string().min(1).optional(),
  calibrationMethod: z.enum(['minmax', 'percentile']).optional(),
  autoKeepFloat: z.number().positive().optional(),
  keepFloat: z.array(z.string()).optional(),
  /** dynamic and int8: the fidelity guard's floor (default 0.99): mixed precision until every output reaches it. */
  minCosine: z.number().gt(0).max(1).optional(),
  /** false: the mode's raw result, without the fidelity guard. */
  guard: z.boolean().optional(),
  /** Publish only if every output of the compressed model keeps at least this cosine against the upload. */
  minOutputCosine: z.number().gt(0).max(1).optional(),
});

/**
 * uploads/<name>.json: the model.json to publish with the model, plus what
 * ingest should do with it. Upload it before the .tflite, which triggers ingest.
 */
const policySchema = manifestSchema.extend({
  compress: compressSchema.optional(),
  /** A KServe v2 request for the smoke run instead of zeros. */
  smokeTest: z
    .object({ inputs: z.array(z.unknown()) })
    .passthrough()
    .optional(),
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
