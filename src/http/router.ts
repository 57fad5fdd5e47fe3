import { InputError, NotFoundError } from '../errors.js';
import { MethodNotAllowedError } from './httpErrors.js';
import type { HttpRequest } from './request.js';
import type { HttpResponse } from './responses.js';

type Params = Readonly<Record<string, string | undefined>>;
type RouteHandler<C> = (request: HttpRequest, params: Params, context: C) => Promise<HttpResponse>;

interface Route<C> {
  readonly method: 'GET' | 'POST';
  readonly pattern: RegExp;
  readonly handler: RouteHandler<C>;
}

const decode = (segment: string | undefined): string | undefined => {
  if (segment === undefined) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new InputError(`the path segment ${JSON.stringify(segment.slice(0, 60))} is not valid percent-encoding`);
  }
};

/** Finds the route for a request: 404 when no path matches, 405 (with Allow) when the method does not. */
const dispatch = <C>(routes: readonly Route<C>[], request: HttpRequest, context: C): Promise<HttpResponse> => {
  const allowed: string[] = [];
  for (const route of routes) {
    const match = route.pattern.exec(request.path);
    if (!match) continue;
    if (route.method !== request.method && !(route.method === 'GET' && request.method === 'HEAD')) {
      allowed.push(route.method);
      continue;
    }
    const params = Object.fromEntries(Object.entries(match.groups ?? {}).map(([key, value]) => [key, decode(value)]));
    return route.handler(request, params, context);
  }
  if (allowed.length > 0)
    throw new MethodNotAllowedError(
      `${request.method} is not allowed on ${request.path}; use ${allowed.join(' or ')}`,
      allowed,
    );
  throw new NotFoundError(`no route for ${request.method} ${request.path.slice(0, 200)}`);
};

// Path shapes of the two protocols; names and versions are validated by the repository.
const MODEL = '(?<name>[^/:]+)(?:/versions/(?<version>[^/:]+))?';
const paths = {
  live: /^\/v2\/health\/live\/?$/,
  ready: /^\/v2\/health\/ready\/?$/,
  serverMetadata: /^\/v2\/?$/,
  repositoryIndex: /^\/v2\/repository\/index\/?$/,
  kserveModel: new RegExp(`^/v2/models/${MODEL}/?$`),
  kserveReady: new RegExp(`^/v2/models/${MODEL}/ready/?$`),
  kserveInfer: new RegExp(`^/v2/models/${MODEL}/infer/?$`),
  tfsStatus: new RegExp(`^/v1/models/${MODEL}/?$`),
  tfsMetadata: new RegExp(`^/v1/models/${MODEL}/metadata/?$`),
  tfsPredict: new RegExp(`^/v1/models/${MODEL}:predict$`),
};

export type { Params, Route, RouteHandler };
export { dispatch, paths };
