import { Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { ServiceSettings } from './serviceProps.js';

type ManagedInstances = NonNullable<ServiceSettings['managedInstances']>;

/**
 * Puts a function on Lambda Managed Instances: a capacity provider of
 * Graviton instances in the given subnets, each execution environment taking
 * `maxConcurrency` requests at once (Node runs them in worker threads; the
 * engine gives each vCPU its own interpreter).
 */
const attachManagedInstances = (
  scope: Construct,
  fn: lambda.IFunction,
  settings: ManagedInstances,
): lambda.CapacityProvider => {
  const provider = new lambda.CapacityProvider(scope, 'CapacityProvider', {
    subnets: settings.subnetIds.map((id, i) => ec2.Subnet.fromSubnetId(scope, `ManagedSubnet${i}`, id)),
    securityGroups: settings.securityGroupIds.map((id, i) =>
      ec2.SecurityGroup.fromSecurityGroupId(scope, `ManagedSecurityGroup${i}`, id),
    ),
    architectures: [lambda.Architecture.ARM_64],
    instanceTypeFilter: lambda.InstanceTypeFilter.allow(settings.instanceTypes.map((t) => new ec2.InstanceType(t))),
    scalingOptions: lambda.ScalingOptions.auto(),
    ...(settings.maxVCpuCount !== undefined && { maxVCpuCount: settings.maxVCpuCount }),
  });
  provider.addFunction(fn, {
    perExecutionEnvironmentMaxConcurrency: settings.maxConcurrency,
    executionEnvironmentMemoryGiBPerVCpu: settings.memoryGiBPerVCpu,
    latestPublishedScalingConfig: { minExecutionEnvironments: settings.minEnvironments },
  });
  Validations.of(provider).acknowledge({
    id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AWSLambdaManagedEC2ResourceOperator]',
    reason: "Lambda's own operator policy for the instances it manages for the capacity provider.",
  });
  return provider;
};

export { attachManagedInstances };
