import { InputError } from '../../errors.js';
import type { RouteContext } from '../context.js';
import { jsonBody } from '../request.js';
import { json } from '../responses.js';
import { paths, type Route } from '../router.js';

/**
 * The model repository extension of KServe v2 / Triton: POST
 * /v2/repository/index lists the models with the state of the version a
 * request would get; {"ready": true} keeps only those serving.
 */
const repositoryRoutes: readonly Route<RouteContext>[] = [
  {
    method: 'POST',
    pattern: paths.repositoryIndex,
    async handler(request, _params, context) {
      const body = request.body.length === 0 ? {} : jsonBody(request);
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        throw new InputError('the repository index request is a JSON object: {} or {"ready": true}');
      const ready = (body as { ready?: unknown }).ready;
      if (ready !== undefined && typeof ready !== 'boolean') throw new InputError('"ready" must be true or false');
      const models = await context.repository.index();
      return json(
        200,
        models
          .filter((m) => !ready || m.state === 'AVAILABLE')
          .map((m) => ({ ...m, ...(m.version !== undefined && { version: String(m.version) }) })),
      );
    },
  },
];

export { repositoryRoutes };
