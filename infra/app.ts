// The CDK app (cdk.json runs it): npx cdk synth | deploy.
// Settings come from the context key "tfls" (cdk.json, or -c tfls='{"memoryMb": 3538}').
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { TfliteServerlessStack } from './TfliteServerlessStack.js';

const app = new App();
const context = app.node.tryGetContext('tfls');
const settings = typeof context === 'string' ? JSON.parse(context) : (context ?? {});
new TfliteServerlessStack(app, app.node.tryGetContext('tfls:stackName') ?? 'TfliteServerless', {
  service: settings,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
