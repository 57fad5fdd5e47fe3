import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { z } from 'zod';

const RETENTION_DAYS = Object.values(RetentionDays).filter((v): v is number => typeof v === 'number' && v > 0);

/** How callers authenticate to the HTTP API. */
const authSchema = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('iam') }),
  z.strictObject({
    mode: z.literal('jwt'),
    issuer: z.string().url(),
    audience: z.array(z.string().min(1)).min(1),
  }),
  /** Open to the internet: only when asked for, with a reason. */
  z.strictObject({ mode: z.literal('none'), reason: z.string().min(10) }),
]);

/** A key prefix of the model bucket: relative, ending in "/". */
const prefixSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*\/$/,
    'a key prefix such as "inputs/" (no leading "/", ends with "/")',
  );

const DEFAULT_PREFIXES = {
  models: 'models/',
  uploads: 'uploads/',
  calibration: 'calibration/',
  inputs: 'inputs/',
  outputs: 'outputs/',
  manifests: 'manifests/',
} as const;

/**
 * Where each kind of object lives in the model bucket. The one source of the
 * functions' environment, the bucket's notifications and the IAM grants, so
 * a changed prefix changes all three together.
 */
const prefixesSchema = z
  .strictObject({
    models: prefixSchema.default(DEFAULT_PREFIXES.models),
    uploads: prefixSchema.default(DEFAULT_PREFIXES.uploads),
    calibration: prefixSchema.default(DEFAULT_PREFIXES.calibration),
    inputs: prefixSchema.default(DEFAULT_PREFIXES.inputs),
    outputs: prefixSchema.default(DEFAULT_PREFIXES.outputs),
    /** S3 Batch Operations manifests (CSV or S3 Inventory) for backfills; the job's role reads them. */
    manifests: prefixSchema.default(DEFAULT_PREFIXES.manifests),
  })
  .default(DEFAULT_PREFIXES)
  .refine(
    (prefixes) => {
      const all = Object.values(prefixes);
      return all.every((a, i) => all.every((b, j) => i === j || !b.startsWith(a)));
    },
    { message: 'no prefix may contain another: their notifications and grants would overlap' },
  );

/** The settings a user tunes, from props or CDK context (`tfls` key): validated once, with defaults. */
const serviceSettingsSchema = z.strictObject({
  /** Models the predict function loads at init, which provisioned concurrency pays for. */
  preloadModels: z.array(z.string().min(1)).default([]),
  /** 1,769 MB buys one vCPU; 3,538 two. */
  memoryMb: z.number().int().min(512).max(10240).default(1769),
  /** Interpreter threads; default: the vCPUs the memory buys. */
  threads: z.number().int().min(1).max(6).optional(),
  timeoutSeconds: z.number().int().min(3).max(29).default(29),
  provisionedConcurrency: z
    .strictObject({
      /** 0 turns provisioned concurrency (and its cost) off. */
      min: z.number().int().min(0).default(1),
      max: z.number().int().min(1).default(4),
      targetUtilization: z.number().gt(0).max(1).default(0.7),
    })
    .default({ min: 1, max: 4, targetUtilization: 0.7 }),
  auth: authSchema.default({ mode: 'iam' }),
  corsOrigins: z.array(z.string().min(1)).default([]),
  throttle: z
    .strictObject({
      rateLimit: z.number().positive().default(100),
      burstLimit: z.number().int().positive().default(200),
    })
    .default({ rateLimit: 100, burstLimit: 200 }),
  /** Keep the model bucket (and its models) when the stack is deleted. */
  retainModels: z.boolean().default(true),
  noncurrentVersionDays: z.number().int().min(1).default(30),
  logRetentionDays: z
    .number()
    .refine((days) => RETENTION_DAYS.includes(days), {
      message: `one of CloudWatch's retention periods: ${RETENTION_DAYS.join(', ')}`,
    })
    .default(30),
  prefixes: prefixesSchema,
  /**
   * Lambda Managed Instances for the predict function, instead of
   * provisioned concurrency: it runs on Graviton EC2 instances in your VPC,
   * many requests per environment at once (one interpreter per vCPU), billed
   * by the instance rather than per GB-second.
   */
  managedInstances: z
    .strictObject({
      subnetIds: z
        .array(z.string().regex(/^subnet-[0-9a-f]+$/))
        .min(1)
        .max(16),
      securityGroupIds: z
        .array(z.string().regex(/^sg-[0-9a-f]+$/))
        .min(1)
        .max(5),
      /** Graviton types the capacity provider may launch. */
      instanceTypes: z
        .array(z.string().regex(/^[a-z]+[0-9]+g[a-z]*\.[0-9]*[a-z]+$/, 'a Graviton instance type such as c7g.xlarge'))
        .min(1)
        .default(['c7g.xlarge', 'c8g.xlarge', 'm7g.xlarge']),
      /** Concurrent requests one execution environment takes. */
      maxConcurrency: z.number().int().min(1).max(64).default(16),
      memoryGiBPerVCpu: z.union([z.literal(2), z.literal(4), z.literal(8)]).default(2),
      minEnvironments: z.number().int().min(0).default(1),
      maxVCpuCount: z.number().int().min(12).max(15000).optional(),
    })
    .optional(),
  /** The p99 latency of the predict function above which its alarm fires. */
  p99AlarmMs: z.number().positive().default(1000),
});

type ServiceSettings = z.output<typeof serviceSettingsSchema>;
type ServiceSettingsInput = z.input<typeof serviceSettingsSchema>;
type BucketPrefixes = ServiceSettings['prefixes'];

interface TfliteInferenceServiceProps extends ServiceSettingsInput {
  /** The unpacked arm64 layer (npm run build:layer -- --arch arm64); default dist/layer/arm64 of the package. */
  readonly layerPath?: string;
  /** Where alarms notify, if anywhere. */
  readonly alarmTopic?: sns.ITopic;
}

/** Settings from props, or a clear error naming what is wrong. */
const parseSettings = (input: unknown, source: string): ServiceSettings => {
  const parsed = serviceSettingsSchema.safeParse(input ?? {});
  if (!parsed.success)
    throw new Error(`invalid tflite-serverless settings (${source}): ${z.prettifyError(parsed.error)}`);
  if (parsed.data.provisionedConcurrency.min > parsed.data.provisionedConcurrency.max)
    throw new Error(`invalid tflite-serverless settings (${source}): provisionedConcurrency.min exceeds max`);
  return parsed.data;
};

export type { BucketPrefixes, ServiceSettings, ServiceSettingsInput, TfliteInferenceServiceProps };
export { parseSettings };
