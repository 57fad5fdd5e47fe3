import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { ModelRepository } from '../repository/ModelRepository.js';
import { parseVersion } from '../repository/names.js';
import type { Lease } from '../repository/types.js';
import type { StageTimings } from '../serving/timings.js';
import type { Params } from './router.js';

/** What routes share for one process. */
interface RouteContext {
  readonly repository: ModelRepository;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly maxImagesPerRequest: number;
}

/** The lease for the model and optional version in a route's path. */
const leaseFor = (context: RouteContext, params: Params): Promise<Lease> =>
  context.repository.acquire(params.name!, params.version === undefined ? undefined : parseVersion(params.version));

/** Records a prediction's stage latencies and the model that served it. */
const recordPrediction = (context: RouteContext, lease: Lease, timings: StageTimings): void => {
  const { metrics } = context;
  const { served } = lease;
  metrics.addDimension('model', served.name);
  metrics.addMetadata('modelVersion', String(served.version));
  metrics.addMetadata('engine', served.model.engine);
  metrics.addMetadata('delegate', served.model.delegate);
  metrics.addMetric('InferenceLatency', 'Milliseconds', timings.inferMs);
  if (timings.decodeMs > 0) metrics.addMetric('DecodeLatency', 'Milliseconds', timings.decodeMs);
  metrics.addMetric('PreprocessLatency', 'Milliseconds', timings.preprocessMs);
  metrics.addMetric('PostprocessLatency', 'Milliseconds', timings.postprocessMs);
};

export type { RouteContext };
export { leaseFor, recordPrediction };
