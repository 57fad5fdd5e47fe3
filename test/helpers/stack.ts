import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { ServiceSettingsInput } from '../../infra/serviceProps.js';
import { TfliteServerlessStack } from '../../infra/TfliteServerlessStack.js';

/**
 * A layer directory with the layout the construct checks. Its contents do not
 * change the template (CI synthesizes the real layer with npx cdk synth).
 */
const fakeLayer = (): string => {
  const layerPath = mkdtempSync(join(tmpdir(), 'tfls-layer-'));
  mkdirSync(join(layerPath, 'nodejs/node_modules/tflite-serverless-native'), { recursive: true });
  writeFileSync(join(layerPath, 'nodejs/node_modules/tflite-serverless-native/tflite_native.node'), '');
  writeFileSync(join(layerPath, 'tfls-exec-wrapper'), '#!/bin/sh\nexec "$@"\n');
  return layerPath;
};

/** The project's stack, synthesized with cdk-nag's AWS Solutions pack: a finding not acknowledged fails synthesis. */
const synthStack = (layerPath: string, service: ServiceSettingsInput = {}): Template => {
  const app = new App();
  const stack = new TfliteServerlessStack(app, 'Test', {
    service: { layerPath, preloadModels: ['face-detection'], ...service },
    env: { account: '123456789012', region: 'us-east-1' },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return Template.fromStack(stack);
};

/** The logical id of the function whose description matches. */
const functionId = (template: Template, description: RegExp): string =>
  Object.entries(template.findResources('AWS::Lambda::Function', { Properties: { Runtime: 'nodejs22.x' } })).find(
    ([, f]) => description.test(f.Properties.Description),
  )![0];

/** An S3 statement of a role, its resources reduced to key patterns of the model bucket. */
interface S3Statement {
  readonly actions: readonly string[];
  /** Object key patterns, or '<bucket>' for the bucket itself. */
  readonly resources: readonly string[];
  /** ListBucket's s3:prefix patterns, when the statement has that condition. */
  readonly prefixes?: readonly string[];
}

/** The Allow statements on S3 of a function's role. */
const s3Statements = (template: Template, functionLogicalId: string): S3Statement[] => {
  const fn = template.findResources('AWS::Lambda::Function')[functionLogicalId]!;
  const role = fn.Properties.Role['Fn::GetAtt'][0] as string;
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === role))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, unknown>[])
    .filter((s) => s.Effect === 'Allow' && [s.Action].flat().some((a) => String(a).startsWith('s3:')))
    .map((s) => {
      const prefixes = (s.Condition as { StringLike?: Record<string, string[]> } | undefined)?.StringLike?.[
        's3:prefix'
      ];
      return {
        actions: [s.Action].flat() as string[],
        resources: [s.Resource].flat().map((r: unknown) =>
          JSON.stringify(r)
            .replace(/.*"\/([^"]*)"\]\]\}$/, '$1')
            .replace(/^\{"Fn::GetAtt".*/, '<bucket>'),
        ),
        ...(prefixes && { prefixes }),
      };
    });
};

export type { S3Statement };
export { fakeLayer, functionId, s3Statements, synthStack };
