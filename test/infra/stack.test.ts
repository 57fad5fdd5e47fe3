import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ServiceSettingsInput } from '../../infra/serviceProps.js';
import { TfliteServerlessStack } from '../../infra/TfliteServerlessStack.js';
import { fakeLayer, functionId as functionIdIn, s3Statements, synthStack } from '../helpers/stack.js';

const layerPath = fakeLayer();
const synth = (service: ServiceSettingsInput = {}): Template => synthStack(layerPath, service);

let template: Template;
beforeAll(() => {
  template = synth();
}, 120_000);

const functions = () => template.findResources('AWS::Lambda::Function', { Properties: { Runtime: 'nodejs22.x' } });
const functionId = (description: RegExp): string => functionIdIn(template, description);

describe('the functions and the layer', () => {
  it('three arm64 Node 22 functions carry the layer and its exec wrapper', () => {
    const all = Object.values(functions());
    expect(all).toHaveLength(3);
    for (const fn of all) {
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      // The bundle npm run build writes (dist/functions/<name>/index.mjs), as bench:coldstart measures it.
      expect(fn.Properties.Handler).toBe('index.handler');
      expect(fn.Properties.Layers).toHaveLength(1);
      expect(fn.Properties.Environment.Variables).toMatchObject({
        AWS_LAMBDA_EXEC_WRAPPER: '/opt/tfls-exec-wrapper',
        NODE_OPTIONS: '--enable-source-maps',
        MODEL_REPOSITORY: { 'Fn::Join': ['', ['s3://', { Ref: expect.stringMatching(/^ServiceModels/) }, '/models']] },
      });
      expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    }
    template.hasResourceProperties('AWS::Lambda::LayerVersion', { CompatibleArchitectures: ['arm64'] });
    const predict = functions()[functionId(/inference/)]!;
    expect(predict.Properties).toMatchObject({ MemorySize: 1769, Timeout: 29 });
    expect(predict.Properties.Environment.Variables.PRELOAD_MODELS).toBe('face-detection');
  });

  it('the predict alias "live" has provisioned concurrency, scaled on its utilization', () => {
    template.hasResourceProperties('AWS::Lambda::Alias', {
      Name: 'live',
      FunctionName: { Ref: functionId(/inference/) },
      ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 1 },
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ScalableDimension: 'lambda:function:ProvisionedConcurrency',
      MinCapacity: 1,
      MaxCapacity: 4,
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'LambdaProvisionedConcurrencyUtilization' },
        TargetValue: 0.7,
      },
    });
  });

  it('managedInstances puts predict on a Graviton capacity provider, many requests per environment, without provisioned concurrency', () => {
    const managed = synth({
      managedInstances: { subnetIds: ['subnet-0a1b2c3d'], securityGroupIds: ['sg-0a1b2c3d'], maxConcurrency: 32 },
    });
    managed.hasResourceProperties('AWS::Lambda::CapacityProvider', {
      VpcConfig: { SubnetIds: ['subnet-0a1b2c3d'], SecurityGroupIds: ['sg-0a1b2c3d'] },
      InstanceRequirements: {
        Architectures: ['arm64'],
        AllowedInstanceTypes: ['c7g.xlarge', 'c8g.xlarge', 'm7g.xlarge'],
      },
    });
    const predict = managed.findResources('AWS::Lambda::Function')[functionIdIn(managed, /inference/)]!;
    expect(predict.Properties.CapacityProviderConfig.LambdaManagedInstancesCapacityProviderConfig).toMatchObject({
      PerExecutionEnvironmentMaxConcurrency: 32,
      ExecutionEnvironmentMemoryGiBPerVCpu: 2,
    });
    expect(predict.Properties.Environment.Variables.TFLITE_NUM_THREADS).toBe('1');
    expect(
      Object.values(managed.findResources('AWS::Lambda::Alias'))[0]!.Properties.ProvisionedConcurrencyConfig,
    ).toBeUndefined();
    expect(() =>
      synth({
        managedInstances: { subnetIds: ['subnet-1'], securityGroupIds: ['sg-1'], instanceTypes: ['c7i.large'] },
      }),
    ).toThrow(/Graviton instance type/);
  });

  it('provisioned concurrency 0 turns it and its scaling off', () => {
    const off = synth({ provisionedConcurrency: { min: 0, max: 1 } });
    off.hasResourceProperties('AWS::Lambda::Alias', { Name: 'live', ProvisionedConcurrencyConfig: Match.absent() });
    off.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
  }, 120_000);
});

describe('the HTTP API', () => {
  it('routes /v1 and /v2 to the live alias, with IAM authorization by default', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route'));
    expect(routes.map((r) => r.Properties.RouteKey).sort()).toEqual([
      'ANY /v1/{proxy+}',
      'ANY /v2/{proxy+}',
      'GET /v2',
    ]);
    for (const route of routes) expect(route.Properties.AuthorizationType).toBe('AWS_IAM');
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { Ref: Match.stringLikeRegexp('ServiceLive') },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
    });
  });

  it('JWT is an option; no authorization only with a reason, and CORS when origins are given', () => {
    const jwt = synth({ auth: { mode: 'jwt', issuer: 'https://issuer.example.com', audience: ['api'] } });
    for (const route of Object.values(jwt.findResources('AWS::ApiGatewayV2::Route')))
      expect(route.Properties.AuthorizationType).toBe('JWT');
    jwt.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Issuer: 'https://issuer.example.com', Audience: ['api'] },
    });
    const open = synth({
      auth: { mode: 'none', reason: 'a public demo of face detection' },
      corsOrigins: ['https://example.com'],
    });
    for (const route of Object.values(open.findResources('AWS::ApiGatewayV2::Route')))
      expect(route.Properties.AuthorizationType).toBe('NONE');
    open.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: { AllowOrigins: ['https://example.com'] },
    });
    expect(() => synth({ auth: { mode: 'none' } as never })).toThrow(/auth.*reason/s);
  }, 240_000);
});

describe('the model bucket and its triggers', () => {
  it('is versioned, encrypted, private, TLS-only, expires old versions and is retained', () => {
    const [id, bucket] = Object.entries(template.findResources('AWS::S3::Bucket')).find(([key]) =>
      /ServiceModels/.test(key),
    )!;
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties).toMatchObject({
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: { DestinationBucketName: expect.anything() },
    });
    expect(bucket.Properties.LifecycleConfiguration.Rules).toContainEqual(
      expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' }),
    );
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: id },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('uploads/*.tflite trigger ingest, inputs/ trigger batch, and failures go to a dead-letter queue', () => {
    const notifications = Object.values(template.findResources('Custom::S3BucketNotifications'))[0]!;
    const configs = notifications.Properties.NotificationConfiguration.LambdaFunctionConfigurations as {
      Events: string[];
      Filter: { Key: { FilterRules: { Name: string; Value: string }[] } };
      LambdaFunctionArn: { 'Fn::GetAtt': [string, string] };
    }[];
    const rules = configs.map((c) => ({
      target: c.LambdaFunctionArn['Fn::GetAtt'][0],
      events: c.Events,
      filter: Object.fromEntries(c.Filter.Key.FilterRules.map((r) => [r.Name.toLowerCase(), r.Value])),
    }));
    expect(rules).toContainEqual({
      target: functionId(/publish uploaded/),
      events: ['s3:ObjectCreated:*'],
      filter: { prefix: 'uploads/', suffix: '.tflite' },
    });
    expect(rules).toContainEqual({
      target: functionId(/batch/),
      events: ['s3:ObjectCreated:*'],
      filter: { prefix: 'inputs/' },
    });
    for (const fn of [functionId(/publish uploaded/), functionId(/batch/)]) {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: fn },
        MaximumRetryAttempts: 2,
        DestinationConfig: {
          OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('FailedEvents'), 'Arn'] } },
        },
      });
    }
  });
});

describe('least privilege', () => {
  /** Each S3 action of a function's role, with the key patterns it applies to. */
  const s3Access = (description: RegExp, from: Template = template): Record<string, string[]> => {
    const access: Record<string, string[]> = {};
    for (const statement of s3Statements(from, functionIdIn(from, description)))
      for (const action of statement.actions)
        access[action] = [...(access[action] ?? []), ...statement.resources].sort();
    return access;
  };

  it('predict reads models/ and lists the bucket, nothing else', () => {
    expect(s3Access(/inference/)).toEqual({ 's3:GetObject': ['models/*'], 's3:ListBucket': ['<bucket>'] });
  });

  it('ingest reads uploads, models and calibration photos, writes models and its error files, and deletes the claims it gives back', () => {
    expect(s3Access(/publish uploaded/)).toEqual({
      's3:DeleteObject': ['models/*/.claim', 'models/*/.uploads/*', 'uploads/*.error.json'],
      's3:GetObject': ['calibration/*', 'models/*', 'uploads/*'],
      's3:GetObjectVersion': ['uploads/*'],
      's3:ListBucket': ['<bucket>'],
      's3:PutObject': ['models/*', 'uploads/*.error.json'],
    });
  });

  it('batch reads inputs and models, writes outputs, and reads and deletes only its error files there', () => {
    expect(s3Access(/batch/)).toEqual({
      's3:DeleteObject': ['outputs/*.error.json'],
      's3:GetObject': ['inputs/*', 'models/*', 'outputs/*.error.json'],
      's3:GetObjectVersion': ['inputs/*'],
      's3:ListBucket': ['<bucket>'],
      's3:PutObject': ['outputs/*'],
    });
  });

  it('ListBucket is limited to the prefixes each function reads', () => {
    // The S3 Batch Operations role is not a function's: its own test covers it.
    const functionPolicies = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([id]) => !id.includes('BatchOperations'))
      .map(([, p]) => p);
    const conditions = functionPolicies.flatMap((p) =>
      (p.Properties.PolicyDocument.Statement as { Action: string; Condition?: unknown }[])
        .filter((s) => s.Action === 's3:ListBucket')
        .map((s) => s.Condition),
    );
    expect(conditions).toContainEqual({ StringLike: { 's3:prefix': ['models/', 'models/*'] } });
    // Batch lists inputs/, so that a vanished input is a 404 (skipped), not a 403 (retried).
    expect(conditions).toContainEqual({
      StringLike: { 's3:prefix': ['models/', 'models/*', 'inputs/', 'inputs/*', 'outputs/', 'outputs/*'] },
    });
    expect(conditions.every((c) => c !== undefined)).toBe(true);
  });

  it('custom prefixes change the environment, the notifications and the grants together', () => {
    const custom = synth({
      prefixes: {
        models: 'serving/models/',
        uploads: 'drop/',
        calibration: 'photos/calib/',
        inputs: 'jobs/in/',
        outputs: 'jobs/out/',
      },
    });
    const env = (description: RegExp) =>
      custom.findResources('AWS::Lambda::Function')[functionIdIn(custom, description)]!.Properties.Environment
        .Variables;
    expect(env(/publish uploaded/)).toMatchObject({ UPLOAD_PREFIX: 'drop/', CALIBRATION_PREFIX: 'photos/calib/' });
    expect(env(/batch/)).toMatchObject({ INPUT_PREFIX: 'jobs/in/', OUTPUT_PREFIX: 'jobs/out/' });
    expect(env(/inference/).MODEL_REPOSITORY).toEqual({
      'Fn::Join': ['', ['s3://', { Ref: expect.stringMatching(/^ServiceModels/) }, '/serving/models']],
    });
    const filters = JSON.stringify(custom.findResources('Custom::S3BucketNotifications'));
    expect(filters).toContain('"Value":"drop/"');
    expect(filters).toContain('"Value":"jobs/in/"');
    expect(filters).not.toContain('uploads/');
    expect(s3Access(/publish uploaded/, custom)).toMatchObject({
      's3:GetObject': ['drop/*', 'photos/calib/*', 'serving/models/*'],
      's3:GetObjectVersion': ['drop/*'],
    });
    expect(s3Access(/batch/, custom)).toMatchObject({
      's3:GetObjectVersion': ['jobs/in/*'],
      's3:PutObject': ['jobs/out/*'],
    });
    expect(() => synth({ prefixes: { inputs: 'jobs/', outputs: 'jobs/out/' } })).toThrow(/contain another/);
    expect(() => synth({ prefixes: { inputs: '/inputs' } })).toThrow(/key prefix/);
  });
});

describe('the S3 Batch Operations role (backfills)', () => {
  const batchOpsRole = (t: Template) => {
    const roles = Object.entries(t.findResources('AWS::IAM::Role')).filter(([, r]) =>
      JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('batchoperations.s3.amazonaws.com'),
    );
    expect(roles).toHaveLength(1);
    const [id, role] = roles[0]!;
    const statements = Object.values(t.findResources('AWS::IAM::Policy'))
      .filter((p) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === id))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, unknown>[]);
    return { id, role, statements };
  };
  const resources = (statement: Record<string, unknown>) =>
    [statement.Resource].flat().map((r) =>
      JSON.stringify(r)
        .replace(/.*"\/([^"]*)"\]\]\}$/, '$1')
        .replace(/^\{"Fn::GetAtt":\["ServiceModels[^"]*","Arn"\]\}$/, '<bucket>')
        .replace(/^\{"Fn::GetAtt":\["ServiceBatch[^"]*","Arn"\]\}$/, '<batch>')
        .replace(/^\{"Fn::Join":\["",\[\{"Fn::GetAtt":\["ServiceBatch[^"]*","Arn"\]\},":\*"\]\]\}$/, '<batch>:*'),
    );

  it('only S3 Batch Operations assumes it; it lists, reads manifests, writes reports and invokes the batch function, nothing else', () => {
    const { role, statements } = batchOpsRole(template);
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'batchoperations.s3.amazonaws.com' } },
    ]);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const granted = statements.map((s) => ({ effect: s.Effect, actions: [s.Action].flat(), resources: resources(s) }));
    expect(granted).toEqual([
      { effect: 'Allow', actions: ['s3:ListBucket'], resources: ['<bucket>'] },
      { effect: 'Allow', actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: ['manifests/*'] },
      { effect: 'Allow', actions: ['s3:PutObject'], resources: ['outputs/*/_reports/*'] },
      { effect: 'Allow', actions: ['lambda:InvokeFunction'], resources: ['<batch>', '<batch>:*'] },
    ]);
  });

  it('is exported with the batch function for tfls batch submit, and follows custom prefixes', () => {
    const { id } = batchOpsRole(template);
    template.hasOutput('BatchOperationsRoleArn', { Value: { 'Fn::GetAtt': [id, 'Arn'] } });
    template.hasOutput('BatchFunctionArn', { Value: { 'Fn::GetAtt': [functionId(/batch/), 'Arn'] } });
    const custom = synth({ prefixes: { outputs: 'results/', manifests: 'lists/' } });
    const reads = batchOpsRole(custom).statements.flatMap((s) => resources(s));
    expect(reads).toContain('lists/*');
    expect(reads).toContain('results/*/_reports/*');
    expect(reads).not.toContain('manifests/*');
  });
});

describe('alarms, outputs and cdk-nag', () => {
  it('alarms on errors, throttles, p99 duration, spillover and API 5xx', () => {
    const metrics = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => `${a.Properties.MetricName}/${a.Properties.ExtendedStatistic ?? a.Properties.Statistic}`,
    );
    expect(metrics.filter((m) => m.startsWith('Errors/'))).toHaveLength(3);
    expect(metrics.filter((m) => m.startsWith('Throttles/'))).toHaveLength(3);
    expect(metrics).toContain('Duration/p99');
    expect(metrics).toContain('ProvisionedConcurrencySpilloverInvocations/Sum');
    expect(metrics).toContain('5xx/Sum');
  });

  it('outputs the API URL and the bucket name', () => {
    template.hasOutput('ApiUrl', {});
    template.hasOutput('ModelBucketName', { Value: { Ref: Match.stringLikeRegexp('ServiceModels') } });
  });

  it('cdk-nag fails synthesis on a finding nobody acknowledged (the check is live)', () => {
    const app = new App();
    const stack = new Stack(app, 'Careless');
    new s3.Bucket(stack, 'Open', { enforceSSL: false });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-S1|AwsSolutions-S10|Validation failed/);
  });

  it('a missing layer or bad settings are clear errors', () => {
    const app = new App();
    expect(
      () => new TfliteServerlessStack(app, 'NoLayer', { service: { layerPath: join(tmpdir(), 'no-such-layer') } }),
    ).toThrow(/arm64 Lambda layer is not built .* npm run build:layer -- --arch arm64/);
    expect(() => new TfliteServerlessStack(app, 'Bad', { service: { layerPath, memoryMb: 64 } })).toThrow(/memoryMb/);
  });
});
