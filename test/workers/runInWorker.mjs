// A worker_threads worker that loads the bundled predict handler, as Lambda
// Managed Instances' Node runtime does, and serves requests it is posted.
import { parentPort, workerData } from 'node:worker_threads';

const { handler } = await import(workerData.bundle);
parentPort.on('message', async ({ id, event }) => {
  try {
    const result = await handler(event, {
      awsRequestId: `worker-${id}`,
      getRemainingTimeInMillis: () => 30_000,
      functionName: 'tflite-serverless-predict-worker',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:worker',
      memoryLimitInMB: '1769',
      logGroupName: 'local',
      logStreamName: 'local',
      callbackWaitsForEmptyEventLoop: false,
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    });
    parentPort.postMessage({ id, statusCode: result.statusCode, body: result.body });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error) });
  }
});
parentPort.postMessage({ ready: true });
