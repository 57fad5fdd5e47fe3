import { loadServerConfig } from '../../src/config/serverConfig.js';
import { createPredictService, type PredictService } from '../../src/http/createPredictService.js';
import { type LocalServer, startLocalServer } from '../../src/server/localServer.js';
import { asFunction } from './s3Grants.js';

interface TestServer {
  readonly url: string;
  readonly service: PredictService;
  close(): Promise<void>;
}

/** The real predict handler behind the real local HTTP server, on a free port. */
const startServer = async (
  env: Record<string, string>,
  options: { playground?: boolean } = {},
): Promise<TestServer> => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  // As the predict function: the S3 requests it sends, while starting and serving, are checked against its role.
  const { service, server } = await asFunction('predict', async () => {
    const service = createPredictService(loadServerConfig({ TFLITE_NUM_THREADS: '1', ...env }));
    await service.preload();
    const server: LocalServer = await startLocalServer(service, 0, '127.0.0.1', options);
    return { service, server };
  });
  return {
    url: server.url,
    service,
    close: async () => {
      await server.close();
      service.repository.dispose();
    },
  };
};

/** fetch returning status, headers and the parsed JSON body (undefined when it is not JSON). */
// biome-ignore lint/suspicious/noExplicitAny: tests walk arbitrary JSON bodies; their assertions check the shapes.
type JsonBody = any;
const call = async (
  url: string,
  init?: RequestInit,
): Promise<{ status: number; headers: Headers; body: JsonBody; raw: Buffer }> => {
  const response = await fetch(url, init);
  const raw = Buffer.from(await response.arrayBuffer());
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, body, raw };
};

export type { TestServer };
export { call, startServer };
