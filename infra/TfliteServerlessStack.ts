import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { TfliteInferenceServiceProps } from './serviceProps.js';
import { TfliteInferenceService } from './TfliteInferenceService.js';

/** The project's stack: the service, and what a user needs to call it. */
class TfliteServerlessStack extends Stack {
  public readonly service: TfliteInferenceService;

  public constructor(scope: Construct, id: string, props: StackProps & { service?: TfliteInferenceServiceProps } = {}) {
    const { service, ...stackProps } = props;
    super(scope, id, { description: 'tflite-serverless: TFLite inference on AWS Lambda (arm64)', ...stackProps });
    this.service = new TfliteInferenceService(this, 'Service', service);
    new CfnOutput(this, 'ApiUrl', { value: this.service.stage.url, description: 'The inference endpoint' });
    new CfnOutput(this, 'ModelBucketName', {
      value: this.service.bucket.bucketName,
      description: `Upload models to ${this.service.settings.prefixes.uploads}<name>.tflite, batch inputs to ${this.service.settings.prefixes.inputs}<model>/`,
    });
    new CfnOutput(this, 'PredictFunctionName', { value: this.service.predict.functionName });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.service.deadLetters.queueUrl });
    new CfnOutput(this, 'BatchFunctionArn', {
      value: this.service.batch.functionArn,
      description: 'tfls batch submit --function-arn (or TFLS_BATCH_FUNCTION_ARN)',
    });
    new CfnOutput(this, 'BatchOperationsRoleArn', {
      value: this.service.batchOperationsRole.roleArn,
      description: 'tfls batch submit --role-arn (or TFLS_BATCH_ROLE_ARN): the role S3 Batch Operations assumes',
    });
  }
}

export { TfliteServerlessStack };
