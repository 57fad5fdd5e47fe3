import { DTYPES } from '../../dtypes.js';
import { ModelUnavailableError, NotFoundError } from '../../errors.js';
import type { ImageInputSpec, LandmarksSpec } from '../../manifest/types.js';
import { BINARY_HEADER, binaryOutputs, splitBinaryRequest } from '../../protocols/kserveBinary.js';
import { servedShape } from '../../protocols/tensorJson.js';
import { serverTiming } from '../../serving/timings.js';
import { leaseFor, type RouteContext, versionOf } from '../context.js';
import { UnsupportedMediaTypeError } from '../httpErrors.js';
import { jsonBody } from '../request.js';
import { binary, json } from '../responses.js';
import { paths, type Route } from '../router.js';

const imageSettings = ({ resize, range, mean, std, channels, color }: ImageInputSpec) => ({
  resize,
  range,
  ...(mean && { mean }),
  ...(std && { std }),
  channels,
  color,
});

const landmarkSettings = ({ names, edges }: LandmarksSpec) => ({
  ...(names && { landmarkNames: names }),
  ...(edges && { landmarkEdges: edges }),
});

/** KServe v2 / Open Inference Protocol model routes. */
const kserveRoutes: readonly Route<RouteContext>[] = [
  {
    method: 'GET',
    pattern: paths.kserveModel,
    async handler(_request, params, context) {
      const lease = await leaseFor(context, params);
      try {
        const { served } = lease;
        const versions = (await context.repository.status(served.name)).map((s) => String(s.version));
        const tensor = (t: { name: string; dtype: keyof typeof DTYPES; shape: readonly number[] }) => ({
          name: t.name,
          datatype: DTYPES[t.dtype].kserve,
          shape: servedShape(t.shape),
        });
        return json(200, {
          name: served.name,
          versions,
          platform: 'tensorflow_lite',
          inputs: served.inputs.map(tensor),
          outputs: served.outputs.map(tensor),
          parameters: {
            version: String(served.version),
            engine: served.model.engine,
            delegate: served.model.delegate,
            threads: served.model.threads,
            interpreters: served.model.interpreters,
            delegatedNodes: served.model.delegatedNodes,
            totalNodes: served.model.nodes,
            task: served.manifest.task,
            // What a client needs to read and draw image answers, and where the settings came from.
            settings: served.manifestSource,
            settingsFrom: served.manifest.sources,
            input: imageSettings(served.manifest.input),
            ...(served.manifest.labels && { labels: served.manifest.labels.length }),
            ...(served.manifest.task === 'landmarks' && landmarkSettings(served.manifest.landmarks)),
            ...(served.model.delegateReason && { delegateReason: served.model.delegateReason }),
            ...(served.model.fallbackReason && { fallbackReason: served.model.fallbackReason }),
            ...(served.model.engineReason && { engineReason: served.model.engineReason }),
          },
        });
      } finally {
        lease.release();
      }
    },
  },
  {
    method: 'GET',
    pattern: paths.kserveReady,
    async handler(_request, params, context) {
      try {
        (await leaseFor(context, params)).release();
        return json(200, { name: params.name, ready: true });
      } catch (error) {
        if (error instanceof ModelUnavailableError)
          return json(503, { name: params.name, ready: false, error: error.message });
        if (error instanceof NotFoundError) return json(404, { name: params.name, ready: false, error: error.message });
        throw error;
      }
    },
  },
  {
    method: 'POST',
    pattern: paths.kserveInfer,
    async handler(request, params, context) {
      const header = request.headers[BINARY_HEADER];
      // Any type is read as JSON (as TF Serving does, and curl -d sends form-urlencoded), but images and forms,
      // which belong to :predict.
      if (header === undefined && /^(image|multipart)\//.test(request.contentType)) {
        throw new UnsupportedMediaTypeError(
          `unsupported Content-Type ${request.contentType} for /infer: send JSON, or the binary extension with ${BINARY_HEADER}; images go to /v1/models/<name>:predict`,
        );
      }
      const split = header === undefined ? undefined : splitBinaryRequest(request.body, header);
      const body = split ? split.json : jsonBody(request);
      const { result, version, timings } = await context.predictions.infer(params.name!, versionOf(params), body, {
        ...(split && { binary: split.binary }),
        wantsBinary: binaryOutputs(body),
      });
      const headers = { 'x-model-version': String(version), 'server-timing': serverTiming(timings) };
      if (result.binaryBody) {
        return binary(200, result.binaryBody.body, {
          ...headers,
          'content-type': 'application/octet-stream',
          [BINARY_HEADER]: String(result.binaryBody.headerLength),
        });
      }
      return json(200, result.response, headers);
    },
  },
];

export { kserveRoutes };
