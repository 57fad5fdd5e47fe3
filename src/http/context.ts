import type { Logger } from '@aws-lambda-powertools/logger';
import type { ModelRepository } from '../repository/ModelRepository.js';
import { parseVersion } from '../repository/names.js';
import type { Lease } from '../repository/types.js';
import type { PredictionService } from '../serving/PredictionService.js';
import type { Params } from './router.js';

/** What routes share for one process. */
interface RouteContext {
  readonly repository: ModelRepository;
  readonly predictions: PredictionService;
  readonly logger: Logger;
  readonly maxImagesPerRequest: number;
}

/** The version a route's path names, if any. */
const versionOf = (params: Params): number | undefined =>
  params.version === undefined ? undefined : parseVersion(params.version);

/** The lease for the model and optional version in a route's path. */
const leaseFor = (context: RouteContext, params: Params): Promise<Lease> =>
  context.repository.acquire(params.name!, versionOf(params));

export type { RouteContext };
export { leaseFor, versionOf };
