import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PredictService } from '../http/createPredictService.js';
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
 * A node:http server that turns each request into the API Gateway v2 event
 * Lambda would get and calls the same predict handler.
 */
const startLocalServer = async (service: PredictService, port: number, host = '0.0.0.0'): Promise<LocalServer> => {
  const server = createServer((request, response) => {
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
      service
        .handler(event, localContext(event.requestContext.requestId))
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
