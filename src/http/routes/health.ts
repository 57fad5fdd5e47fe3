import type { RouteContext } from '../context.js';
import { json } from '../responses.js';
import type { Route } from '../router.js';
import { paths } from '../router.js';

const VERSION = '0.1.0';

/** KServe v2 server health and metadata. */
const healthRoutes: readonly Route<RouteContext>[] = [
  { method: 'GET', pattern: paths.live, handler: async () => json(200, { live: true }) },
  {
    method: 'GET',
    pattern: paths.ready,
    handler: async (_request, _params, context) => {
      const readiness = await context.repository.readiness();
      return json(readiness.ready ? 200 : 503, readiness);
    },
  },
  {
    method: 'GET',
    pattern: paths.serverMetadata,
    handler: async () =>
      json(200, {
        name: 'tflite-serverless',
        version: VERSION,
        extensions: ['binary_tensor_data', 'model_repository'],
      }),
  },
];

export { healthRoutes };
