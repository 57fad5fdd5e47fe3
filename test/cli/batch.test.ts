import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AwsRecorder, type RecordedCall, startAwsRecorder, xmlValues } from '../helpers/awsRecorder.js';
import { runCli } from '../helpers/cli.js';
import { type LocalS3, startS3 } from '../helpers/s3.js';

const BUCKET = 'tfls-models';
const ACCOUNT = '123456789012';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/TfliteServerless-BatchOperationsRole`;
const FUNCTION = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:TfliteServerless-Batch`;
const JOB = '93735307-6ebc-4c5c-a0b8-3d6a9e8c1f4e';

const DESCRIBE = `<?xml version="1.0" encoding="UTF-8"?>
<DescribeJobResult><Job><JobId>${JOB}</JobId><Status>Active</Status>
<ProgressSummary><TotalNumberOfTasks>1000</TotalNumberOfTasks><NumberOfTasksSucceeded>970</NumberOfTasksSucceeded>
<NumberOfTasksFailed>3</NumberOfTasksFailed><Timers><ElapsedTimeInActiveSeconds>125</ElapsedTimeInActiveSeconds></Timers></ProgressSummary>
<Report><Bucket>arn:aws:s3:::${BUCKET}</Bucket><Format>Report_CSV_20180820</Format><Enabled>true</Enabled>
<Prefix>outputs/face-detection/_reports</Prefix><ReportScope>AllTasks</ReportScope></Report></Job></DescribeJobResult>`;

const CALLER = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>
<Arn>arn:aws:iam::${ACCOUNT}:user/ops</Arn><UserId>AIDAEXAMPLE</UserId><Account>${ACCOUNT}</Account>
</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`;

let s3: LocalS3;
let aws: AwsRecorder;
let denyNext = false;

const answer = (call: RecordedCall) => {
  if (call.method === 'POST' && call.path === '/') return { body: CALLER };
  if (denyNext) {
    denyNext = false;
    return {
      status: 403,
      body: '<ErrorResponse><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error><RequestId>r</RequestId></ErrorResponse>',
    };
  }
  if (call.method === 'POST' && call.path === '/v20180820/jobs')
    return { body: `<?xml version="1.0" encoding="UTF-8"?><CreateJobResult><JobId>${JOB}</JobId></CreateJobResult>` };
  return { body: DESCRIBE };
};

const submit = (...extra: string[]) =>
  runCli('batch', 'submit', `s3://${BUCKET}/inputs/archive/`, '--role-arn', ROLE, '--function-arn', FUNCTION, ...extra);

beforeAll(async () => {
  s3 = await startS3([BUCKET]);
  aws = await startAwsRecorder(answer);
  process.env.AWS_ENDPOINT_URL_S3_CONTROL = aws.endpoint;
  process.env.AWS_ENDPOINT_URL_STS = aws.endpoint;
});
afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_S3_CONTROL;
  delete process.env.AWS_ENDPOINT_URL_STS;
  await aws.close();
  await s3.close();
});
beforeEach(() => {
  aws.calls.length = 0;
});

describe('tfls batch submit', () => {
  it('creates one LambdaInvoke job over the prefix: schema 2.0, the model in its arguments, a report beside the outputs', async () => {
    const { code, stdout, stderr } = await submit('--model', 'face-detection', '--json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      jobId: JOB,
      accountId: ACCOUNT,
      report: `s3://${BUCKET}/outputs/face-detection/_reports/job-${JOB}/`,
    });
    expect(aws.calls).toHaveLength(1);
    const [call] = aws.calls;
    expect(call).toMatchObject({ method: 'POST', path: '/v20180820/jobs' });
    // The account comes from the role's ARN: no STS call, and S3 Control gets it as its header.
    expect(call!.headers['x-amz-account-id']).toBe(ACCOUNT);
    const body = call!.body;
    expect(xmlValues(body, 'FunctionArn')).toEqual([FUNCTION]);
    expect(xmlValues(body, 'InvocationSchemaVersion')).toEqual(['2.0']);
    expect(body).toContain(
      '<UserArguments><entry><key>model</key><value>face-detection</value></entry></UserArguments>',
    );
    expect(xmlValues(body, 'RoleArn')).toEqual([ROLE]);
    expect(xmlValues(body, 'ConfirmationRequired')).toEqual(['false']);
    expect(xmlValues(body, 'Priority')).toEqual(['10']);
    expect(xmlValues(body, 'ClientRequestToken')[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(xmlValues(body, 'SourceBucket')).toEqual([`arn:aws:s3:::${BUCKET}`]);
    expect(body).toContain('<MatchAnyPrefix><member>inputs/archive/</member></MatchAnyPrefix>');
    expect(xmlValues(body, 'ObjectSizeGreaterThanBytes')).toEqual(['0']);
    expect(xmlValues(body, 'EnableManifestOutput')).toEqual(['false']);
    expect(body).not.toContain('<Manifest>');
    expect(body).toMatch(
      /<Report><Enabled>true<\/Enabled><Bucket>arn:aws:s3:::tfls-models<\/Bucket><Format>Report_CSV_20180820<\/Format><Prefix>outputs\/face-detection\/_reports<\/Prefix><ReportScope>AllTasks<\/ReportScope>/,
    );
    expect(xmlValues(body, 'ExpectedBucketOwner')).toEqual([ACCOUNT, ACCOUNT]);
  });

  it('with --manifest: the CSV named by its ETag (read from S3), its columns, and a fixed model version', async () => {
    const etag = await s3.put(BUCKET, 'manifests/archive.csv', `${BUCKET},inputs/archive/a%20photo.jpg,3\n`);
    const { code, stdout } = await submit(
      '--model',
      'hands',
      '--model-version',
      '2',
      '--manifest',
      `s3://${BUCKET}/manifests/archive.csv`,
      '--manifest-fields',
      'Bucket,Key,VersionId',
    );
    expect(code).toBe(0);
    expect(stdout).toContain(`created S3 Batch Operations job ${JOB}`);
    expect(stdout).toContain(`listed in s3://${BUCKET}/manifests/archive.csv`);
    expect(stdout).toContain(`tfls batch status ${JOB} --account-id ${ACCOUNT}`);
    const body = aws.calls[0]!.body;
    expect(body).toContain(
      '<UserArguments><entry><key>model</key><value>hands</value></entry><entry><key>modelVersion</key><value>2</value></entry></UserArguments>',
    );
    expect(body).toContain(
      '<Spec><Format>S3BatchOperations_CSV_20180820</Format><Fields><member>Bucket</member><member>Key</member><member>VersionId</member></Fields></Spec>',
    );
    expect(xmlValues(body, 'ObjectArn')).toEqual([`arn:aws:s3:::${BUCKET}/manifests/archive.csv`]);
    expect(xmlValues(body, 'ETag').map((e) => e.replace(/&quot;|"/g, ''))).toEqual([etag.replace(/"/g, '')]);
    expect(body).not.toContain('<ManifestGenerator>');
  });

  it('refuses what would fail every task, or cannot be sent, with one line each', async () => {
    const cases: [string[], number, RegExp][] = [
      [[], 2, /missing --model NAME/],
      [['--model', '../x'], 2, /is not a model name/],
      [['--model', 'hands', '--manifest-fields', 'Key,Bucket'], 2, /--manifest-fields must be/],
      [['--model', 'hands', '--manifest', `s3://${BUCKET}/manifests/none.csv`], 1, /no manifest at/],
    ];
    for (const [flags, exit, message] of cases) {
      const { code, stderr } = await submit(...flags);
      expect(code).toBe(exit);
      expect(stderr).toMatch(message);
      expect(stderr.trim().split('\n')).toHaveLength(1);
    }
    const outside = await runCli(
      'batch',
      'submit',
      `s3://${BUCKET}/photos/`,
      '--model',
      'hands',
      '--role-arn',
      ROLE,
      '--function-arn',
      FUNCTION,
    );
    expect(outside).toMatchObject({ code: 2, stderr: expect.stringMatching(/reads objects under inputs\/ only/) });
    const noRole = await runCli('batch', 'submit', `s3://${BUCKET}/inputs/`, '--model', 'hands');
    expect(noRole).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/missing --function-arn \(or TFLS_BATCH_FUNCTION_ARN\)/),
    });
    expect(aws.calls).toHaveLength(0);
    denyNext = true;
    const denied = await submit('--model', 'hands');
    expect(denied).toMatchObject({ code: 1, stderr: 'tfls batch: Access Denied\n' });
  });
});

describe('tfls batch status', () => {
  it("shows the job's progress and report", async () => {
    const { code, stdout } = await runCli('batch', 'status', JOB, '--account-id', ACCOUNT);
    expect(code).toBe(0);
    expect(aws.calls.map((c) => [c.method, c.path, c.headers['x-amz-account-id']])).toEqual([
      ['GET', `/v20180820/jobs/${JOB}`, ACCOUNT],
    ]);
    expect(stdout).toContain(`job ${JOB}: Active`);
    expect(stdout).toMatch(/tasks\s+1000 \(970 succeeded, 3 failed, 27 to go\)/);
    expect(stdout).toMatch(/elapsed\s+125 s/);
    expect(stdout).toContain(`s3://${BUCKET}/outputs/face-detection/_reports/job-${JOB}/`);
  });

  it("without --account-id asks STS for the caller's account; --json gives the fields", async () => {
    const { code, stdout } = await runCli('batch', 'status', JOB, '--json');
    expect(code).toBe(0);
    expect(aws.calls.map((c) => c.path)).toEqual(['/', `/v20180820/jobs/${JOB}`]);
    expect(aws.calls[0]!.body).toContain('Action=GetCallerIdentity');
    expect(JSON.parse(stdout)).toEqual({
      jobId: JOB,
      status: 'Active',
      total: 1000,
      succeeded: 970,
      failed: 3,
      elapsedSeconds: 125,
      failureReasons: [],
      report: `s3://${BUCKET}/outputs/face-detection/_reports/job-${JOB}/`,
    });
    const bad = await runCli('batch', 'status', JOB, '--account-id', '12');
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringMatching(/--account-id must be 12 digits/) });
  });
});
