import { Metrics } from '@aws-lambda-powertools/metrics';
import type middy from '@middy/core';
import type { ServedModel } from '../repository/types.js';
import type { metricsLogger } from './metricsLogger.js';
import type { StageTimings } from './timings.js';

/**
 * One Powertools Metrics object per model, its `model` dimension fixed: an
 * invocation that touches several models (a batch) keeps each latency with
 * its own model, where one shared object would carry only the last name.
 */
class ModelMetrics {
  readonly #byModel = new Map<string, Metrics>();

  public constructor(
    private readonly namespace: string,
    private readonly serviceName: string,
    private readonly logger: ReturnType<typeof metricsLogger>,
  ) {}

  /** Records one prediction's stage latencies under its model, with the version and engine as metadata. */
  public record(served: ServedModel, timings: StageTimings): void {
    let metrics = this.#byModel.get(served.name);
    if (!metrics) {
      metrics = new Metrics({
        namespace: this.namespace,
        serviceName: this.serviceName,
        defaultDimensions: { model: served.name },
        logger: this.logger,
      });
      this.#byModel.set(served.name, metrics);
    }
    metrics.addMetadata('modelVersion', String(served.version));
    metrics.addMetadata('engine', served.model.engine);
    metrics.addMetadata('delegate', served.model.delegate);
    metrics.addMetric('InferenceLatency', 'Milliseconds', timings.inferMs);
    if (timings.decodeMs > 0) metrics.addMetric('DecodeLatency', 'Milliseconds', timings.decodeMs);
    metrics.addMetric('PreprocessLatency', 'Milliseconds', timings.preprocessMs);
    metrics.addMetric('PostprocessLatency', 'Milliseconds', timings.postprocessMs);
  }

  /** Writes what each model stored (one EMF document per model), as logMetrics does at the end of an invocation. */
  public publish(): void {
    for (const metrics of this.#byModel.values()) if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }

  /** A middy middleware publishing after every invocation, failed or not. */
  public middleware(): middy.MiddlewareObj {
    const publish = async (): Promise<void> => this.publish();
    return { after: publish, onError: publish };
  }
}

export { ModelMetrics };
