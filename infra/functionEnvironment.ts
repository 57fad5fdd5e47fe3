/**
 * What every function's environment holds besides its own settings: the
 * layer's exec wrapper (which keeps XNNPACK on where
 * /sys/devices/system/cpu/possible is missing), source-mapped stack traces
 * and Powertools' names. Its own module, without CDK, so that
 * bench:coldstart starts the bundle in the environment Lambda gives it.
 */
const FUNCTION_ENVIRONMENT: Readonly<Record<string, string>> = {
  AWS_LAMBDA_EXEC_WRAPPER: '/opt/tfls-exec-wrapper',
  NODE_OPTIONS: '--enable-source-maps',
  POWERTOOLS_SERVICE_NAME: 'tflite-serverless',
  POWERTOOLS_METRICS_NAMESPACE: 'tflite-serverless',
};

export { FUNCTION_ENVIRONMENT };
