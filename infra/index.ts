// The CDK constructs of tflite-serverless (package export "tflite-serverless/cdk").
export type { ServiceSettings, ServiceSettingsInput, TfliteInferenceServiceProps } from './serviceProps.js';
export { TfliteInferenceService } from './TfliteInferenceService.js';
export { TfliteServerlessStack } from './TfliteServerlessStack.js';
