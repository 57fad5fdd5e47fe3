import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { ServerConfig } from '../config/serverConfig.js';
import { TflsError } from '../errors.js';
import { loadSharp } from '../image/sharp.js';
import { LocalModelSource } from '../repository/LocalModelSource.js';
import { lazyS3Source } from '../repository/lazyS3Source.js';
import { ModelRepository } from '../repository/ModelRepository.js';
import { metricsLogger } from '../serving/metricsLogger.js';
import { ModelMetrics } from '../serving/modelMetrics.js';
import { PredictionService } from '../serving/PredictionService.js';
import { warmUp } from '../serving/warmUp.js';
import type { RouteContext } from './context.js';
import { MethodNotAllowedError, statusOf } from './httpErrors.js';
import { type HttpRequest, toRequest } from './request.js';
import { errorResponse, type HttpResponse } from './responses.js';
import { dispatch } from './router.js';
import { healthRoutes } from './routes/health.js';
import { kserveRoutes } from './routes/kserve.js';
import { repositoryRoutes } from './routes/repository.js';
import { tfservingRoutes } from './routes/tfserving.js';

const ROUTES = [...healthRoutes, ...repositoryRoutes, ...kserveRoutes, ...tfservingRoutes];

interface PredictService {
  readonly handler: (event: APIGatewayProxyEventV2, context: Context) => Promise<HttpResponse>;
  readonly repository: ModelRepository;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The per-model metrics; publish() after work outside the handler (the batch function's invocations). */
  readonly modelMetrics: ModelMetrics;
  /** Predictions without HTTP: what the routes call, and the batch function too. */
  readonly predictions: PredictionService;
  /**
   * One request through the routes, errors mapped to their status: what the
   * handler does after decoding the event.
   */
  serve(request: HttpRequest): Promise<HttpResponse>;
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
  const metrics = new Metrics({
    namespace: 'tflite-serverless',
    serviceName: 'predict',
    logger: metricsLogger(logger),
  });
  const source = config.modelRepository.startsWith('s3://')
    ? lazyS3Source(config.modelRepository, config.cacheDir)
    : new LocalModelSource(config.modelRepository);
  const repository = new ModelRepository({
    source,
    cacheBytes: config.cacheBytes,
    refreshMs: config.refreshMs,
    runTimeoutMs: config.inferenceTimeoutSeconds * 1000,
    load: { engine: config.engine, threads: config.threads, interpreters: config.interpreters },
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
  const modelMetrics = new ModelMetrics('tflite-serverless', 'predict', metricsLogger(logger));
  const predictions = new PredictionService(repository, modelMetrics, {
    maxImagesPerRequest: config.maxImagesPerRequest,
    imageTimeoutSeconds: config.imageTimeoutSeconds,
  });
  const context: RouteContext = { repository, predictions, logger, maxImagesPerRequest: config.maxImagesPerRequest };

  const respond = async (
    request: () => HttpRequest,
    path: string,
    requestId: string | undefined,
  ): Promise<HttpResponse> => {
    metrics.addMetric('Requests', 'Count', 1);
    try {
      return await dispatch(ROUTES, request(), context);
    } catch (error) {
      const status = statusOf(error);
      metrics.addMetric(status >= 500 ? 'ServerErrors' : 'ClientErrors', 'Count', 1);
      const headers: Record<string, string> =
        error instanceof MethodNotAllowedError ? { allow: error.allow.join(', ') } : {};
      if (status >= 500 && !(error instanceof TflsError && status === 503)) {
        logger.error('request failed', { error: error as Error, path });
        return errorResponse(status, `internal error (request ${requestId ?? 'unknown'})`, headers);
      }
      if (status >= 500) logger.warn('model unavailable', { error: (error as Error).message, path });
      return errorResponse(status, (error as Error).message, headers);
    }
  };

  const route = (event: APIGatewayProxyEventV2, lambda: Context | undefined): Promise<HttpResponse> => {
    // A caller's own context object may lack it; the request then has IMAGE_TIMEOUT_SECONDS alone.
    const remaining = lambda?.getRemainingTimeInMillis?.();
    const deadline = remaining === undefined ? {} : { deadline: Date.now() + remaining };
    return respond(
      () => ({ ...toRequest(event, config.maxBodyBytes), ...deadline }),
      event.rawPath,
      event.requestContext?.requestId,
    );
  };

  const handler = middy(route)
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .use(modelMetrics.middleware());

  return {
    handler: handler as unknown as PredictService['handler'],
    repository,
    logger,
    metrics,
    modelMetrics,
    predictions,
    serve: (request) => respond(() => request, request.path, request.requestId),
    preload: async () => {
      // sharp loads (CPU) while the models download (S3's latency); warming up needs both.
      await Promise.all([repository.preload(config.preloadModels), loadSharp()]);
      await warmUp(repository, config.preloadModels, config.imageTimeoutSeconds);
    },
  };
};

export type { PredictService };
export { createPredictService };
