import { Duration } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';

interface AlarmTargets {
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  /** The predict alias, whose provisioned concurrency can spill over. */
  readonly live: lambda.Alias;
  readonly api: apigwv2.HttpApi;
  readonly p99AlarmMs: number;
  readonly topic?: sns.ITopic;
}

/**
 * What an operator wants to be woken for: errors, throttles and p99 latency
 * of each function, requests that missed provisioned concurrency (a cold
 * start), and 5xx answers from the API.
 */
const createAlarms = (scope: Construct, targets: AlarmTargets): cloudwatch.Alarm[] => {
  const alarms: cloudwatch.Alarm[] = [];
  const add = (id: string, metric: cloudwatch.IMetric, threshold: number, description: string): void => {
    const alarm = new cloudwatch.Alarm(scope, id, {
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    if (targets.topic) alarm.addAlarmAction(new actions.SnsAction(targets.topic));
    alarms.push(alarm);
  };
  const period = Duration.minutes(5);
  for (const [name, fn] of Object.entries(targets.functions)) {
    add(`${name}Errors`, fn.metricErrors({ period }), 1, `${name}: invocations that failed`);
    add(`${name}Throttles`, fn.metricThrottles({ period }), 1, `${name}: invocations throttled`);
  }
  add(
    'predictP99Duration',
    targets.functions.predict!.metricDuration({ period, statistic: 'p99' }),
    targets.p99AlarmMs,
    `predict: p99 duration at or over ${targets.p99AlarmMs} ms`,
  );
  add(
    'predictProvisionedConcurrencySpillover',
    targets.live.metric('ProvisionedConcurrencySpilloverInvocations', { period, statistic: 'Sum' }),
    1,
    'predict: requests beyond provisioned concurrency (cold starts); raise provisionedConcurrency.max',
  );
  add('api5xx', targets.api.metricServerError({ period, statistic: 'Sum' }), 1, 'HTTP API: 5xx answers');
  return alarms;
};

export { createAlarms };
