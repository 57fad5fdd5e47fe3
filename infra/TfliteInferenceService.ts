import { join } from 'node:path';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { packageRoot } from '../src/paths.js';
import { createAlarms } from './alarms.js';
import { BatchOperationsRole } from './batchOperationsRole.js';
import { createFunction, createRuntimeLayer } from './functions.js';
import { createHttpApi } from './httpApi.js';
import { attachManagedInstances } from './managedInstances.js';
import { createModelBucket } from './modelBucket.js';
import { grantBucketAccess } from './permissions.js';
import { parseSettings, type ServiceSettings, type TfliteInferenceServiceProps } from './serviceProps.js';

/**
 * The whole service in one construct, for the project's stack or anyone's CDK
 * app: the model bucket, the arm64 layer, the predict function behind an
 * HTTP API on its `live` alias with provisioned concurrency and auto
 * scaling, the ingest and batch functions on the bucket's notifications
 * (failures to a dead-letter queue), least-privilege roles and alarms.
 */
class TfliteInferenceService extends Construct {
  public readonly settings: ServiceSettings;
  public readonly bucket: s3.Bucket;
  public readonly layer: lambda.LayerVersion;
  public readonly predict: lambda.Function;
  public readonly live: lambda.Alias;
  public readonly ingest: lambda.Function;
  public readonly batch: lambda.Function;
  /** The role S3 Batch Operations assumes for backfills through the batch function (`tfls batch submit --role-arn`). */
  public readonly batchOperationsRole: iam.Role;
  public readonly deadLetters: sqs.Queue;
  public readonly api: apigwv2.HttpApi;
  public readonly stage: apigwv2.HttpStage;
  public readonly alarms: cloudwatch.Alarm[];
  /** The predict function's capacity provider, with `managedInstances`. */
  public readonly capacityProvider?: lambda.CapacityProvider;

  public constructor(scope: Construct, id: string, props: TfliteInferenceServiceProps = {}) {
    super(scope, id);
    const { layerPath, alarmTopic, ...input } = props;
    this.settings = parseSettings(input, `${this.node.path} props`);
    const settings = this.settings;
    const root = packageRoot();
    if (!root) throw new Error('tflite-serverless: cannot find the package root (its package.json)');
    this.layer = createRuntimeLayer(this, layerPath ?? join(root, 'dist', 'layer', 'arm64'));
    this.bucket = createModelBucket(this, settings);
    const { prefixes } = settings;
    const repository = `s3://${this.bucket.bucketName}/${prefixes.models.slice(0, -1)}`;
    const common = { root, layer: this.layer };

    this.predict = createFunction(
      this,
      'Predict',
      {
        ...common,
        name: 'predict',
        memoryMb: settings.memoryMb,
        timeout: Duration.seconds(settings.timeoutSeconds),
        description: 'tflite-serverless: KServe v2 / TF Serving inference',
        environment: {
          MODEL_REPOSITORY: repository,
          ...(settings.preloadModels.length > 0 && { PRELOAD_MODELS: settings.preloadModels.join(',') }),
          // Many requests at once per environment: one single-threaded interpreter per vCPU.
          ...(settings.managedInstances && settings.threads === undefined && { TFLITE_NUM_THREADS: '1' }),
        },
      },
      settings,
    );
    if (settings.managedInstances)
      this.capacityProvider = attachManagedInstances(this, this.predict, settings.managedInstances);
    // Managed instances scale on their own capacity; provisioned concurrency does not apply to them.
    const pc = settings.managedInstances
      ? { ...settings.provisionedConcurrency, min: 0 }
      : settings.provisionedConcurrency;
    this.live = new lambda.Alias(this, 'Live', {
      aliasName: 'live',
      version: this.predict.currentVersion,
      ...(pc.min > 0 && { provisionedConcurrentExecutions: pc.min }),
    });
    if (pc.min > 0) {
      this.live
        .addAutoScaling({ minCapacity: pc.min, maxCapacity: pc.max })
        .scaleOnUtilization({ utilizationTarget: pc.targetUtilization });
    }

    this.deadLetters = new sqs.Queue(this, 'FailedEvents', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter destination of the S3-triggered functions.',
    });
    const pipeline = (name: 'ingest' | 'batch', description: string, environment: Record<string, string>) => {
      const fn = createFunction(
        this,
        name === 'ingest' ? 'Ingest' : 'Batch',
        // Ingest compresses and calibrates: more memory (and with it CPU), the longest timeout.
        {
          ...common,
          name,
          memoryMb: Math.max(settings.memoryMb, 3008),
          timeout: Duration.minutes(15),
          description,
          environment,
        },
        settings,
      );
      fn.configureAsyncInvoke({
        retryAttempts: 2,
        maxEventAge: Duration.hours(6),
        onFailure: new SqsDestination(this.deadLetters),
      });
      return fn;
    };
    this.ingest = pipeline('ingest', 'tflite-serverless: check, compress and publish uploaded models', {
      MODEL_REPOSITORY: repository,
      UPLOAD_PREFIX: prefixes.uploads,
      CALIBRATION_PREFIX: prefixes.calibration,
    });
    this.batch = pipeline('batch', 'tflite-serverless: batch inference on inputs/', {
      MODEL_REPOSITORY: repository,
      INPUT_PREFIX: prefixes.inputs,
      OUTPUT_PREFIX: prefixes.outputs,
    });
    this.bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(this.ingest), {
      prefix: prefixes.uploads,
      suffix: '.tflite',
    });
    this.bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(this.batch), {
      prefix: prefixes.inputs,
    });
    grantBucketAccess(this.bucket, prefixes, { predict: this.predict, ingest: this.ingest, batch: this.batch });
    this.batchOperationsRole = new BatchOperationsRole(this, 'BatchOperations', {
      bucket: this.bucket,
      prefixes,
      batch: this.batch,
    }).role;

    ({ api: this.api, stage: this.stage } = createHttpApi(this, this.live, settings));
    this.alarms = createAlarms(this, {
      functions: { predict: this.predict, ingest: this.ingest, batch: this.batch },
      live: this.live,
      api: this.api,
      p99AlarmMs: settings.p99AlarmMs,
      ...(alarmTopic && { topic: alarmTopic }),
    });
    this.#acknowledge();
  }

  /** cdk-nag findings this design accepts, each with its reason. */
  #acknowledge(): void {
    for (const fn of [this.predict, this.ingest, this.batch]) {
      const acknowledge = (id: string, reason: string) =>
        Validations.of(fn).acknowledge({ id: `AwsSolutions::${id}`, reason });
      acknowledge(
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        'The AWS managed basic execution role only lets the function write its own logs.',
      );
      acknowledge(
        'AwsSolutions-IAM5[Resource::*]',
        'X-Ray tracing: PutTraceSegments and PutTelemetryRecords take no resource.',
      );
      acknowledge(
        'AwsSolutions-L1',
        'nodejs22.x is the runtime the native layer is built and tested for (Amazon Linux 2023, glibc 2.34).',
      );
    }
    // CDK's singleton that applies bucket notifications, created in the stack.
    const notifications = Stack.of(this).node.tryFindChild(
      'BucketNotificationsHandler050a0587b7544547bf325f094a3db834',
    );
    if (notifications)
      Validations.of(notifications).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: "CDK's bucket-notification handler writes only its own logs with the basic execution role.",
      });
  }
}

export { TfliteInferenceService };
