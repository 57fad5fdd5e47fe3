import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { FUNCTION_ENVIRONMENT } from './functionEnvironment.js';
import type { ServiceSettings } from './serviceProps.js';

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
  /** dist/functions/<name>/, bundled by npm run build from functions/<name>/index.ts */
  readonly name: 'predict' | 'ingest' | 'batch';
  readonly layer: lambda.ILayerVersion;
  readonly memoryMb: number;
  readonly timeout: Duration;
  readonly environment: Record<string, string>;
  readonly description: string;
}

/** A handler's bundle directory; a clear error when it has not been built. */
const bundleOf = (root: string, name: FunctionOptions['name']): lambda.Code => {
  const directory = join(root, 'dist', 'functions', name);
  if (!existsSync(join(directory, 'index.mjs'))) {
    throw new Error(`the ${name} function is not bundled (no ${join(directory, 'index.mjs')}): run npm run build`);
  }
  return lambda.Code.fromAsset(directory);
};

/**
 * One of the project's handlers on Graviton (arm64, Node 22): the bundle
 * `npm run build` writes (scripts/bundle.mjs: minified ESM with its chunks,
 * sharp's JavaScript inside, the layer's binaries outside), deployed as it
 * is, so that what bench:coldstart and test:arm64 measure is what runs.
 */
const createFunction = (
  scope: Construct,
  id: string,
  options: FunctionOptions,
  settings: ServiceSettings,
): lambda.Function =>
  new lambda.Function(scope, id, {
    code: bundleOf(options.root, options.name),
    handler: 'index.handler',
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: options.memoryMb,
    timeout: options.timeout,
    description: options.description,
    layers: [options.layer],
    environment: {
      ...FUNCTION_ENVIRONMENT,
      ...(settings.threads !== undefined && { TFLITE_NUM_THREADS: String(settings.threads) }),
      ...options.environment,
    },
    logGroup: new logs.LogGroup(scope, `${id}Logs`, {
      retention: settings.logRetentionDays as logs.RetentionDays,
    }),
    tracing: lambda.Tracing.ACTIVE,
  });

export { createFunction, createRuntimeLayer };
