import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Template } from 'aws-cdk-lib/assertions';
import { expect, it } from 'vitest';
import type { S3Statement } from './stack.js';

/**
 * The IAM each function needs, derived from the S3 requests its own code
 * sends, checked against the grants the CDK app synthesizes. s3rver does not
 * enforce IAM, so without this a missing action only shows as AccessDenied
 * once deployed.
 *
 * Requests are recorded where they leave the process (Node's
 * http.client.request.start diagnostics channel), tagged with the function
 * whose work sent them: the code inside `asFunction(name, work)`, including
 * whatever it starts (a local server started inside it tags the requests it
 * serves). The test's own requests (setting up objects, reading outputs)
 * are outside any function and not recorded.
 */
type FunctionName = 'predict' | 'ingest' | 'batch';

/** One S3 request a function sent, as IAM sees it: the operation's target, its query, and the answer's status. */
interface S3Call {
  readonly function: FunctionName;
  readonly method: string;
  readonly bucket: string;
  /** The object key, or '' for a bucket operation (ListObjectsV2). */
  readonly key: string;
  readonly query: URLSearchParams;
  readonly status: number;
}

const running = new AsyncLocalStorage<FunctionName>();
const calls: S3Call[] = [];
const pending = new WeakMap<ClientRequest, FunctionName>();
let endpoints: ReadonlySet<string> = new Set();

subscribe('http.client.request.start', (message) => {
  const { request } = message as { request: ClientRequest };
  const name = running.getStore();
  if (name && endpoints.has(String(request.getHeader('host')))) pending.set(request, name);
});
subscribe('http.client.response.finish', (message) => {
  const { request, response } = message as { request: ClientRequest; response: IncomingMessage };
  const name = pending.get(request);
  if (!name) return;
  const url = new URL(request.path, 'http://s3');
  const [, bucket = '', ...key] = url.pathname.split('/');
  calls.push({
    function: name,
    method: request.method,
    bucket,
    key: decodeURIComponent(key.join('/')),
    query: url.searchParams,
    status: response.statusCode ?? 0,
  });
});

/** Records the S3 requests sent to this endpoint (host:port of a local S3) by work inside asFunction. */
const recordS3Endpoint = (endpoint: string): void => {
  endpoints = new Set([...endpoints, new URL(endpoint).host]);
};

/** Runs `work` as the named function: the S3 requests it sends are recorded under that name. */
const asFunction = <T>(name: FunctionName, work: () => T): T => running.run(name, work);

/** The S3 requests recorded for a function so far (in this test file's process). */
const s3Calls = (name: FunctionName): S3Call[] => calls.filter((call) => call.function === name);

/** IAM's StringLike / resource wildcards: `*` any run of characters, `?` one. */
const globMatches = (pattern: string, value: string): boolean =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(value);

/** Whether the statements allow an action on an object key, or ListBucket with a prefix. */
const allows = (
  statements: readonly S3Statement[],
  action: string,
  target: { key: string } | { listPrefix: string },
): boolean =>
  statements.some((s) => {
    if (!s.actions.includes(action)) return false;
    if ('key' in target) return s.resources.some((r) => globMatches(r, target.key));
    return s.resources.includes('<bucket>') && (s.prefixes ?? ['*']).some((p) => globMatches(p, target.listPrefix));
  });

type Need = { action: string; target: { key: string } | { listPrefix: string } };

/** What IAM checks for one request (https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations.html). */
const needed = (call: S3Call): Need[] => {
  if (call.key === '') {
    if (call.method === 'GET' && call.query.get('list-type') === '2')
      return [{ action: 's3:ListBucket', target: { listPrefix: call.query.get('prefix') ?? '' } }];
    throw new Error(`an S3 bucket request this check does not know: ${call.method} ?${call.query}`);
  }
  const versioned = call.query.has('versionId');
  const key = { key: call.key };
  const needs: Need[] = [];
  if (call.method === 'GET' || call.method === 'HEAD')
    needs.push({ action: versioned ? 's3:GetObjectVersion' : 's3:GetObject', target: key });
  else if (call.method === 'PUT') needs.push({ action: 's3:PutObject', target: key });
  else if (call.method === 'DELETE')
    needs.push({ action: versioned ? 's3:DeleteObjectVersion' : 's3:DeleteObject', target: key });
  else throw new Error(`an S3 object request this check does not know: ${call.method} ${call.key}`);
  // A read of a missing key is a 404 only with ListBucket over it; else S3 answers 403, which the code retries.
  if (call.status === 404) needs.push({ action: 's3:ListBucket', target: { listPrefix: call.key } });
  return needs;
};

/** Each action the calls need that the statements do not grant, once, with the first request that needed it. */
const ungranted = (recorded: readonly S3Call[], statements: readonly S3Statement[]): string[] => [
  ...new Set(
    recorded
      .flatMap((call) => needed(call).map((need) => ({ ...need, call })))
      .filter((need) => !allows(statements, need.action, need.target))
      .map((need) => `${need.action} ${JSON.stringify(need.target)} (for ${need.call.method} ${need.call.key})`),
  ),
];

const DESCRIPTIONS: Readonly<Record<FunctionName, RegExp>> = {
  predict: /inference/,
  ingest: /publish uploaded/,
  batch: /batch/,
};

let template: Promise<Template> | undefined;

/**
 * The S3 statements the CDK app synthesizes for a function's role,
 * synthesized once per test file (CDK is loaded only by files that check).
 */
const roleStatements = async (name: FunctionName): Promise<S3Statement[]> => {
  const { fakeLayer, functionId, s3Statements, synthStack } = await import('./stack.js');
  template ??= Promise.resolve().then(() => synthStack(fakeLayer()));
  const synthesized = await template;
  return s3Statements(synthesized, functionId(synthesized, DESCRIPTIONS[name]));
};

/**
 * A test file's last test: every S3 request the function sent in the file's
 * tests is granted by its synthesized role, so a new request without a grant
 * fails where it was written.
 */
const itSentOnlyGrantedRequests = (name: FunctionName, atLeast: number): void => {
  it(`every S3 request ${name} sent in these tests is granted by its synthesized role`, async () => {
    const recorded = s3Calls(name);
    expect(recorded.length).toBeGreaterThanOrEqual(atLeast);
    expect(ungranted(recorded, await roleStatements(name))).toEqual([]);
  }, 60_000);
};

export type { FunctionName, S3Call };
export { allows, asFunction, itSentOnlyGrantedRequests, needed, recordS3Endpoint, roleStatements, s3Calls, ungranted };
