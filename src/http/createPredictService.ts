import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { ServerConfig } from '../config/serverConfig.js';
import { TflsError } from '../errors.js';
import { LocalModelSource } from '../repository/LocalModelSource.js';
import { ModelRepository } from '../repository/ModelRepository.js';
import { S3ModelSource } from '../repository/S3ModelSource.js';
import type { RouteContext } from './context.js';
import { MethodNotAllowedError, statusOf } from './httpErrors.js';
import { toRequest } from './request.js';
import { errorResponse, type HttpResponse } from './responses.js';
import { dispatch } from './router.js';
import { healthRoutes } from './routes/health.js';
import { kserveRoutes } from './routes/kserve.js';
import { tfservingRoutes } from './routes/tfserving.js';

const ROUTES = [...healthRoutes, ...kserveRoutes, ...tfservingRoutes];

interface PredictService {
  readonly handler: (event: APIGatewayProxyEventV2, context: Context) => Promise<HttpResponse>;
  readonly repository: ModelRepository;
  readonly logger: Logger;
  /** Loads PRELOAD_MODELS; await at init so that provisioned concurrency pays for it. */
  preload(): Promise<void>;
}

/**
 * The predict function: API Gateway HTTP API events (payload 2.0) in,
 * responses out. Errors become {"error": "..."} with their status here and
 * only here; nothing a caller sends can throw out of the handler.
 */
const createPredictService = (config: ServerConfig): PredictService => {
  const logger = new Logger({ serviceName: 'tflite-serverless' });
  const metrics = new Metrics({ namespace: 'tflite-serverless', serviceName: 'predict' });
  const source = config.modelRepository.startsWith('s3://')
    ? new S3ModelSource(
        config.modelRepository,
        new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL) }),
        config.cacheDir,
      )
    : new LocalModelSource(config.modelRepository);
  const repository = new ModelRepository({
    source,
    cacheBytes: config.cacheBytes,
    refreshMs: config.refreshMs,
    load: { engine: config.engine, threads: config.threads },
    logger,
    onLoaded: (served) => {
      const single = metrics.singleMetric();
      single.addDimension('model', served.name);
      single.addMetadata('modelVersion', String(served.version));
      single.addMetadata('engine', served.model.engine);
      single.addMetadata('delegate', served.model.delegate);
      single.addMetric('ModelLoadLatency', 'Milliseconds', served.loadMs);
    },
  });
  const context: RouteContext = { repository, logger, metrics, maxImagesPerRequest: config.maxImagesPerRequest };

  const route = async (event: APIGatewayProxyEventV2): Promise<HttpResponse> => {
    metrics.addMetric('Requests', 'Count', 1);
    try {
      const request = toRequest(event, config.maxBodyBytes);
      return await dispatch(ROUTES, request, context);
    } catch (error) {
      const status = statusOf(error);
      metrics.addMetric(status >= 500 ? 'ServerErrors' : 'ClientErrors', 'Count', 1);
      const headers: Record<string, string> =
        error instanceof MethodNotAllowedError ? { allow: error.allow.join(', ') } : {};
      if (status >= 500 && !(error instanceof TflsError && status === 503)) {
        logger.error('request failed', { error: error as Error, path: event.rawPath });
        return errorResponse(
          status,
          `internal error (request ${event.requestContext?.requestId ?? 'unknown'})`,
          headers,
        );
      }
      if (status >= 500) logger.warn('model unavailable', { error: (error as Error).message, path: event.rawPath });
      return errorResponse(status, (error as Error).message, headers);
    }
  };

  const handler = middy(route)
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));

  return {
    handler: handler as unknown as PredictService['handler'],
    repository,
    logger,
    preload: () => repository.preload(config.preloadModels),
  };
};

export type { PredictService };
export { createPredictService };
