import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { ServiceSettings } from './serviceProps.js';

/** What the layer provides, found through NODE_PATH: never bundled. */
const LAYER_MODULES = ['tflite-serverless-native', 'sharp', '@img/*', '@litertjs/core'];
const ADDON = 'nodejs/node_modules/tflite-serverless-native/tflite_native.node';

/** The arm64 layer (the native runtime); a clear error when it has not been built. */
const createRuntimeLayer = (scope: Construct, layerPath: string): lambda.LayerVersion => {
  if (!existsSync(join(layerPath, ADDON)) || !existsSync(join(layerPath, 'tfls-exec-wrapper'))) {
    throw new Error(
      `the arm64 Lambda layer is not built (no ${ADDON} in ${layerPath}): run npm run build:layer -- --arch arm64, then npm run check:layer`,
    );
  }
  return new lambda.LayerVersion(scope, 'NativeRuntime', {
    code: lambda.Code.fromAsset(layerPath),
    compatibleArchitectures: [lambda.Architecture.ARM_64],
    compatibleRuntimes: [lambda.Runtime.NODEJS_20_X, lambda.Runtime.NODEJS_22_X],
    description: 'tflite-serverless: TFLite 2.9 + XNNPACK addon, sharp/libvips, LiteRT.js, the sysfs shim',
  });
};

interface FunctionOptions {
  readonly root: string;
  /** functions/<name>/index.ts */
  readonly name: 'predict' | 'ingest' | 'batch';
  readonly layer: lambda.ILayerVersion;
  readonly memoryMb: number;
  readonly timeout: Duration;
  readonly environment: Record<string, string>;
  readonly description: string;
}

/**
 * One of the project's handlers on Graviton (arm64, Node 22), bundled by the
 * local esbuild as ESM (the predict handler preloads with top-level await),
 * with the layer and its exec wrapper, which keeps XNNPACK on where
 * /sys/devices/system/cpu/possible is missing.
 */
const createFunction = (
  scope: Construct,
  id: string,
  options: FunctionOptions,
  settings: ServiceSettings,
): NodejsFunction =>
  new NodejsFunction(scope, id, {
    entry: join(options.root, 'functions', options.name, 'index.ts'),
    projectRoot: options.root,
    // The project's lock file when building from the repository; else the user's, found by CDK.
    ...(existsSync(join(options.root, 'package-lock.json')) && {
      depsLockFilePath: join(options.root, 'package-lock.json'),
    }),
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: options.memoryMb,
    timeout: options.timeout,
    description: options.description,
    layers: [options.layer],
    environment: {
      AWS_LAMBDA_EXEC_WRAPPER: '/opt/tfls-exec-wrapper',
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: 'tflite-serverless',
      POWERTOOLS_METRICS_NAMESPACE: 'tflite-serverless',
      ...(settings.threads !== undefined && { TFLITE_NUM_THREADS: String(settings.threads) }),
      ...options.environment,
    },
    logGroup: new logs.LogGroup(scope, `${id}Logs`, {
      retention: settings.logRetentionDays as logs.RetentionDays,
    }),
    tracing: lambda.Tracing.ACTIVE,
    bundling: {
      format: OutputFormat.ESM,
      target: 'node22',
      mainFields: ['module', 'main'],
      sourceMap: true,
      // Minified: a cold start compiles and evaluates every byte of it.
      minify: true,
      externalModules: LAYER_MODULES,
      forceDockerBundling: false,
      // CommonJS dependencies inside an ES module need a require.
      banner:
        "import { createRequire as __tflsCreateRequire } from 'node:module'; const require = __tflsCreateRequire(import.meta.url);",
    },
  });

export { createFunction, createRuntimeLayer };
