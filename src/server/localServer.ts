import { createServer, type Server, STATUS_CODES } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { InvokeStoreBase } from '@aws/lambda-invoke-store';
import type { PredictService } from '../http/createPredictService.js';
import { LocalInvocations } from './localInvocations.js';
import { playgroundFile } from './playgroundFiles.js';
import { localContext, toApiGatewayEvent } from './toApiGatewayEvent.js';

// API Gateway refuses larger requests itself, before any function runs.
const GATEWAY_MAX_BYTES = 10 * 1024 * 1024;

interface LocalServer {
  readonly server: Server;
  readonly url: string;
  close(): Promise<void>;
}

const sendJson = (response: import('node:http').ServerResponse, status: number, body: unknown): void => {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
};

/**
 * Node's own answer to a request it cannot parse (a 431 for headers over its
 * limit, a 400 for a malformed request, a 408 for one that never finished),
 * with the {"error"} body every other answer has; Node's default has none.
 */
const answerClientError = (error: NodeJS.ErrnoException, socket: Socket): void => {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'the request headers are over the server limit']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'the request did not arrive in time']
        : [400, `malformed HTTP request (${error.code ?? 'unparseable'})`];
  const body = JSON.stringify({ error: message });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
};

/** Answers the playground's GET and HEAD requests; false when the path is the API's. */
const servePlayground = async (
  request: import('node:http').IncomingMessage,
  response: import('node:http').ServerResponse,
): Promise<boolean> => {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  const file = await playgroundFile(new URL(request.url ?? '/', 'http://local').pathname);
  if (!file) return false;
  response.writeHead(file.status, { ...file.headers, 'content-length': String(file.body.length) });
  response.end(request.method === 'HEAD' ? undefined : file.body);
  return true;
};

/**
 * A node:http server that turns each request into the API Gateway v2 event
 * Lambda would get and calls the same predict handler. With `playground`,
 * it also serves the playground page at `/` (never part of the Lambda).
 */
const startLocalServer = async (
  service: PredictService,
  port: number,
  host = '0.0.0.0',
  options: { playground?: boolean } = {},
): Promise<LocalServer> => {
  const invocations = LocalInvocations.install();
  const server = createServer(async (request, response) => {
    if (options.playground && (await servePlayground(request, response).catch(() => false))) return;
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > GATEWAY_MAX_BYTES) {
        if (!refused)
          sendJson(response, 413, { error: `the request body is over API Gateway's ${GATEWAY_MAX_BYTES} bytes` });
        refused = true;
        return;
      }
      chunks.push(chunk);
    });
    request.on('error', () => response.destroy());
    request.on('end', () => {
      if (refused) return;
      const event = toApiGatewayEvent(request, Buffer.concat(chunks));
      const { requestId } = event.requestContext;
      invocations
        .run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: requestId }, () =>
          service.handler(event, localContext(requestId)),
        )
        .then((result) => {
          const body =
            result.body === undefined
              ? Buffer.alloc(0)
              : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
          response.writeHead(result.statusCode, { ...result.headers, 'content-length': String(body.length) });
          response.end(request.method === 'HEAD' ? undefined : body);
        })
        .catch((error: unknown) => {
          service.logger.error('local server: the handler threw', { error: error as Error });
          sendJson(response, 500, { error: 'internal error' });
        });
    });
  });
  server.on('clientError', answerClientError);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    server,
    url: `http://${host === '0.0.0.0' ? 'localhost' : host}:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

export type { LocalServer };
export { startLocalServer };
