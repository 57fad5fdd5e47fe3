import { InputError } from '../errors.js';
import { ImageDeadline } from '../image/imageDeadline.js';
import { formatInferResponse, type KserveInferResponse, parseInferRequest } from '../protocols/kserve.js';
import { encodeBinaryResponse } from '../protocols/kserveBinary.js';
import { formatPredictResponse, parsePredictRequest } from '../protocols/tfserving.js';
import type { ModelRepository } from '../repository/ModelRepository.js';
import type { ServedModel } from '../repository/types.js';
import type { ModelMetrics } from './modelMetrics.js';
import { predictImage } from './predictImage.js';
import { addTimings, emptyTimings, type StageTimings } from './timings.js';

/** Time kept back from the invocation's end for inference and the answer, once the images are decoded. */
const ANSWER_MARGIN_MS = 2000;

/** What a prediction answered, with the version that answered and where the time went. */
interface Prediction<T> {
  readonly result: T;
  readonly version: number;
  readonly timings: StageTimings;
}

/** A KServe v2 answer: the JSON response, and the binary body when outputs were asked for as binary. */
interface InferAnswer {
  readonly response: KserveInferResponse;
  readonly binaryBody?: { body: Buffer; headerLength: number };
}

/** What a TF Serving :predict carries, already read off the transport. */
type PredictInput = { readonly images: readonly Uint8Array[] } | { readonly json: unknown };

/**
 * The one path from a request to a model's answer, for the HTTP routes and
 * the batch function alike: lease the served version, run, post-process,
 * record the metrics under that model, release.
 */
class PredictionService {
  public constructor(
    private readonly repository: ModelRepository,
    private readonly metrics: ModelMetrics,
    private readonly limits: { readonly maxImagesPerRequest: number; readonly imageTimeoutSeconds: number },
  ) {}

  /** KServe v2 inference on a request body (and its binary tensors, if any). */
  public infer(
    name: string,
    version: number | undefined,
    body: unknown,
    options: {
      binary?: Parameters<typeof parseInferRequest>[2];
      wantsBinary?: (output: string) => boolean;
    } = {},
  ): Promise<Prediction<InferAnswer>> {
    return this.#withModel(name, version, async (served) => {
      const started = performance.now();
      const parsed = parseInferRequest(body, served.model.inputs, options.binary);
      const inferStarted = performance.now();
      let inferMs = 0;
      const result = await served.model.runAsync(parsed.inputs, {
        // Outputs are views into reused buffers: format (and copy) them here.
        consume: (outputs) => {
          inferMs = performance.now() - inferStarted;
          const response = formatInferResponse(served.name, outputs, { version: String(served.version), ...parsed });
          const binaryBody = options.wantsBinary && encodeBinaryResponse(response, outputs, options.wantsBinary);
          return { response, ...(binaryBody && { binaryBody }) };
        },
      });
      const timings = {
        decodeMs: 0,
        preprocessMs: inferStarted - started,
        inferMs,
        postprocessMs: performance.now() - inferStarted - inferMs,
      };
      return { result, timings };
    });
  }

  /**
   * TensorFlow Serving :predict: images through the model's task, or
   * row/columnar tensors. The images share one time budget,
   * IMAGE_TIMEOUT_SECONDS, which ends early enough to answer before
   * `deadline` (a Date.now() time: the Lambda invocation's end) when given.
   */
  public predict(
    name: string,
    version: number | undefined,
    input: PredictInput,
    deadline?: number,
  ): Promise<Prediction<unknown>> {
    return this.#withModel(name, version, async (served) => {
      const started = performance.now();
      const parsed =
        'images' in input
          ? ({ kind: 'images', images: input.images } as const)
          : parsePredictRequest(input.json, served.model.inputs);
      const timings = emptyTimings();
      if (parsed.kind === 'images') {
        if (parsed.images.length > this.limits.maxImagesPerRequest) {
          throw new InputError(
            `${parsed.images.length} images in one request; the limit is ${this.limits.maxImagesPerRequest}`,
          );
        }
        const predictions: unknown[] = [];
        const images = ImageDeadline.after(
          this.limits.imageTimeoutSeconds,
          deadline === undefined ? undefined : deadline - ANSWER_MARGIN_MS,
        );
        for (const image of parsed.images) {
          const one = await predictImage(served, image, images);
          addTimings(timings, one.timings);
          predictions.push(one.prediction);
        }
        return { result: { predictions }, timings };
      }
      timings.preprocessMs = performance.now() - started;
      const inferStarted = performance.now();
      const result = await served.model.runAsync(parsed.inputs, {
        consume: (outputs) => {
          timings.inferMs = performance.now() - inferStarted;
          return formatPredictResponse(parsed.format, outputs);
        },
      });
      timings.postprocessMs = performance.now() - inferStarted - timings.inferMs;
      return { result, timings };
    });
  }

  async #withModel<T>(
    name: string,
    version: number | undefined,
    work: (served: ServedModel) => Promise<{ result: T; timings: StageTimings }>,
  ): Promise<Prediction<T>> {
    const lease = await this.repository.acquire(name, version);
    try {
      const { result, timings } = await work(lease.served);
      this.metrics.record(lease.served, timings);
      return { result, version: lease.served.version, timings };
    } finally {
      lease.release();
    }
  }
}

export type { InferAnswer, PredictInput, Prediction };
export { PredictionService };
