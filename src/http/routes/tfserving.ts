import { InputError } from '../../errors.js';
import { formatPredictResponse, modelMetadata, parsePredictRequest } from '../../protocols/tfserving.js';
import { parseVersion } from '../../repository/names.js';
import { predictImage } from '../../serving/predictImage.js';
import { addTimings, emptyTimings, serverTiming } from '../../serving/timings.js';
import { leaseFor, type RouteContext, recordPrediction } from '../context.js';
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
  if (type === '' || type === 'application/json' || type === 'text/json') return { json: jsonBody(request) };
  throw new UnsupportedMediaTypeError(
    `unsupported Content-Type ${type}; send application/json, multipart/form-data or ${[...IMAGE_TYPES].join(', ')}`,
  );
};

/** TensorFlow Serving REST routes. */
const tfservingRoutes: readonly Route<RouteContext>[] = [
  {
    method: 'GET',
    pattern: paths.tfsStatus,
    async handler(_request, params, context) {
      const version = params.version;
      // Make sure the served version is loaded (or its failure known) before reporting.
      await leaseFor(context, params).then(
        (lease) => lease.release(),
        () => undefined,
      );
      const statuses = await context.repository.status(
        params.name!,
        version === undefined ? undefined : parseVersion(version),
      );
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
      const lease = await leaseFor(context, params);
      try {
        const { served } = lease;
        const parsed =
          'images' in body
            ? ({ kind: 'images', images: body.images } as const)
            : parsePredictRequest(body.json, served.model.inputs);
        const timings = emptyTimings();
        let response: unknown;
        if (parsed.kind === 'images') {
          if (parsed.images.length > context.maxImagesPerRequest) {
            throw new InputError(
              `${parsed.images.length} images in one request; the limit is ${context.maxImagesPerRequest}`,
            );
          }
          const predictions = [];
          for (const image of parsed.images) {
            const result = await predictImage(served, image);
            addTimings(timings, result.timings);
            predictions.push(result.prediction);
          }
          response = { predictions };
        } else {
          timings.preprocessMs = performance.now() - started;
          const inferStarted = performance.now();
          response = await served.model.runAsync(parsed.inputs, {
            consume: (outputs) => {
              timings.inferMs = performance.now() - inferStarted;
              return formatPredictResponse(parsed.format, outputs);
            },
          });
          timings.postprocessMs = performance.now() - inferStarted - timings.inferMs;
        }
        recordPrediction(context, lease, timings);
        return json(200, response, {
          'x-model-version': String(served.version),
          'server-timing': serverTiming(timings, performance.now() - started),
        });
      } finally {
        lease.release();
      }
    },
  },
];

export { tfservingRoutes };
