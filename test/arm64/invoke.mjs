// Runs inside the emulated (or host) Lambda environment: loads the bundled
// handler as the Node runtime would, invokes it with each API Gateway v2
// event of a JSON file, and prints the responses and timings as JSON.
//   node invoke.mjs <handler.mjs> <events.json>
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [bundle, eventsFile] = process.argv.slice(2);
const events = JSON.parse(readFileSync(eventsFile, 'utf8'));
const started = performance.now();
const { handler } = await import(pathToFileURL(bundle).href);
const initMs = performance.now() - started;
const context = (requestId) => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'tflite-serverless-predict',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:tflite-serverless-predict',
  memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
  awsRequestId: requestId,
  logGroupName: 'test',
  logStreamName: 'test',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});
const responses = [];
for (const [i, event] of events.entries()) {
  const t = performance.now();
  const response = await handler(event, context(`request-${i}`));
  responses.push({ ...response, ms: performance.now() - t });
}
process.stdout.write(`${JSON.stringify({ arch: process.arch, node: process.version, initMs, responses })}\n`);
