import { Duration, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { ServiceSettings } from './serviceProps.js';

/** The serving routes (KServe v2 under /v2, TF Serving under /v1): the handler routes within them. */
const ROUTES: readonly [string, apigwv2.HttpMethod][] = [
  ['/v1/{proxy+}', apigwv2.HttpMethod.ANY],
  ['/v2', apigwv2.HttpMethod.GET],
  ['/v2/{proxy+}', apigwv2.HttpMethod.ANY],
];

const authorizerFor = (auth: ServiceSettings['auth']): apigwv2.IHttpRouteAuthorizer => {
  switch (auth.mode) {
    case 'iam':
      return new HttpIamAuthorizer();
    case 'jwt':
      return new HttpJwtAuthorizer('Jwt', auth.issuer, { jwtAudience: auth.audience });
    case 'none':
      return new apigwv2.HttpNoneAuthorizer();
  }
};

/**
 * The HTTP API (payload format 2.0) in front of the predict alias: IAM
 * authorization unless told otherwise, throttled, access-logged. Binary
 * bodies (images) reach the function base64-encoded, as HTTP APIs do for any
 * non-text content type.
 */
const createHttpApi = (
  scope: Construct,
  live: lambda.IFunction,
  settings: ServiceSettings,
): { api: apigwv2.HttpApi; stage: apigwv2.HttpStage } => {
  const api = new apigwv2.HttpApi(scope, 'Api', {
    description: 'tflite-serverless: KServe v2 and TF Serving REST inference',
    createDefaultStage: false,
    ...(settings.corsOrigins.length > 0 && {
      corsPreflight: {
        allowOrigins: settings.corsOrigins,
        allowMethods: [apigwv2.CorsHttpMethod.GET, apigwv2.CorsHttpMethod.POST, apigwv2.CorsHttpMethod.OPTIONS],
        allowHeaders: [
          'content-type',
          'authorization',
          'x-amz-date',
          'x-amz-security-token',
          'inference-header-content-length',
        ],
        exposeHeaders: ['x-model-version', 'server-timing', 'inference-header-content-length'],
        maxAge: Duration.hours(1),
      },
    }),
  });
  const accessLogs = new logs.LogGroup(scope, 'ApiAccessLogs', {
    retention: settings.logRetentionDays as logs.RetentionDays,
  });
  const stage = new apigwv2.HttpStage(scope, 'DefaultStage', {
    httpApi: api,
    stageName: '$default',
    autoDeploy: true,
    throttle: settings.throttle,
    accessLogSettings: {
      destination: new apigwv2.LogGroupLogDestination(accessLogs),
      format: apigw.AccessLogFormat.custom(
        JSON.stringify({
          requestId: '$context.requestId',
          requestTime: '$context.requestTime',
          sourceIp: '$context.identity.sourceIp',
          caller: '$context.identity.userArn',
          method: '$context.httpMethod',
          path: '$context.path',
          routeKey: '$context.routeKey',
          status: '$context.status',
          responseLength: '$context.responseLength',
          integrationLatency: '$context.integrationLatency',
          integrationError: '$context.integrationErrorMessage',
        }),
      ),
    },
  });
  const integration = new HttpLambdaIntegration('Predict', live, {
    payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
  });
  const authorizer = authorizerFor(settings.auth);
  for (const [path, method] of ROUTES) {
    const routes = api.addRoutes({ path, methods: [method], integration, authorizer });
    if (settings.auth.mode === 'none') {
      for (const route of routes)
        Validations.of(route).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `Authorization is off at the deployer's request: ${settings.auth.reason}`,
        });
    }
  }
  return { api, stage };
};

export { createHttpApi };
