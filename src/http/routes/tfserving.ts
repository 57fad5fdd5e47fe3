import { InputError } from '../../errors.js';
import { modelMetadata } from '../../protocols/tfserving.js';
import { serverTiming } from '../../serving/timings.js';
import { leaseFor, type RouteContext, versionOf } from '../context.js';
import { UnsupportedMediaTypeError } from '../httpErrors.js';
import { multipartImages } from '../images.js';
import type { HttpRequest } from '../request.js';
import { jsonBody } from '../request.js';
import { json } from '../responses.js';
import { paths, type Route } from '../router.js';

const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/tiff', 'image/avif']);

/** What a :predict body holds: images (raw, multipart or {"b64"}) or JSON tensors. */
const readPredictBody = async (
  request: HttpRequest,
  context: RouteContext,
): Promise<{ images: Uint8Array[] } | { json: unknown }> => {
  const type = request.contentType;
  if (IMAGE_TYPES.has(type)) {
    if (request.body.length === 0) throw new InputError('the image body is empty');
    return { images: [request.body] };
  }
  if (type === 'multipart/form-data') return { images: await multipartImages(request, context.maxImagesPerRequest) };
  if (type.startsWith('image/'))
    throw new UnsupportedMediaTypeError(
      `unsupported image type ${type}; send ${[...IMAGE_TYPES].join(', ')}, or JSON with {"b64": ...}`,
    );
  // TF Serving reads the body as JSON whatever the type says: curl -d sends
  // application/x-www-form-urlencoded, and its documented examples rely on that.
  return { json: jsonBody(request) };
};

/** TensorFlow Serving REST routes. */
const tfservingRoutes: readonly Route<RouteContext>[] = [
  {
    method: 'GET',
    pattern: paths.tfsStatus,
    async handler(_request, params, context) {
      // Make sure the served version is loaded (or its failure known) before reporting.
      await leaseFor(context, params).then(
        (lease) => lease.release(),
        () => undefined,
      );
      const statuses = await context.repository.status(params.name!, versionOf(params));
      return json(200, {
        model_version_status: statuses.map((s) => ({
          version: String(s.version),
          state: s.state,
          status: { error_code: s.error ? 'UNKNOWN' : 'OK', error_message: s.error ?? '' },
        })),
      });
    },
  },
  {
    method: 'GET',
    pattern: paths.tfsMetadata,
    async handler(_request, params, context) {
      const lease = await leaseFor(context, params);
      try {
        const { served } = lease;
        return json(200, modelMetadata(served.name, served.version, served.inputs, served.outputs));
      } finally {
        lease.release();
      }
    },
  },
  {
    method: 'POST',
    pattern: paths.tfsPredict,
    async handler(request, params, context) {
      const started = performance.now();
      const body = await readPredictBody(request, context);
      const { result, version, timings } = await context.predictions.predict(
        params.name!,
        versionOf(params),
        body,
        request.deadline,
      );
      return json(200, result, {
        'x-model-version': String(version),
        'server-timing': serverTiming(timings, performance.now() - started),
      });
    },
  },
];

export { tfservingRoutes };
