// The public HTTP API, as any client calls it: nothing here that the
// deployed API Gateway URL does not also answer.

interface ApiConfig {
  /** The API's base URL; "" for the page's own origin. */
  readonly base: string;
  /** A bearer token, for an API behind a JWT authorizer. */
  readonly token?: string;
}

/** An answer that is not 2xx, with the API's own message. */
class ApiError extends Error {
  public constructor(
    message: string,
    public readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface RepositoryModel {
  readonly name: string;
  readonly version?: string;
  readonly state: string;
  readonly reason?: string;
}

interface TensorMetadata {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
}

interface ModelMetadata {
  readonly name: string;
  readonly versions: readonly string[];
  readonly inputs: readonly TensorMetadata[];
  readonly outputs: readonly TensorMetadata[];
  readonly parameters: Readonly<Record<string, unknown>> & {
    readonly task?: string;
    readonly engine?: string;
    readonly delegate?: string;
    readonly settings?: string;
    readonly landmarkNames?: readonly string[];
    readonly landmarkEdges?: readonly (readonly [number, number])[];
  };
}

interface Timing {
  readonly name: string;
  readonly ms: number;
}

interface Prediction {
  readonly body: { readonly predictions?: readonly unknown[] };
  readonly version?: string;
  readonly timings: readonly Timing[];
  /** Measured here: the request as the page saw it. */
  readonly roundTripMs: number;
}

/** RFC Server-Timing: `decode;dur=1.2, infer;dur=3.4`. */
const parseServerTiming = (header: string | null): Timing[] =>
  (header ?? '')
    .split(',')
    .map((part) => {
      const [name = '', ...params] = part.trim().split(';');
      const dur = params.map((p) => p.trim()).find((p) => p.startsWith('dur='));
      return { name: name.trim(), ms: dur ? Number(dur.slice(4)) : Number.NaN };
    })
    .filter((t) => t.name !== '' && Number.isFinite(t.ms));

const call = async (config: ApiConfig, path: string, init: RequestInit = {}): Promise<Response> => {
  const headers = new Headers(init.headers);
  if (config.token) headers.set('authorization', `Bearer ${config.token}`);
  let response: Response;
  try {
    response = await fetch(`${config.base.replace(/\/+$/, '')}${path}`, { ...init, headers });
  } catch (error) {
    throw new ApiError(
      `cannot reach the API at ${config.base || location.origin}: ${(error as Error).message} (for another origin, its CORS must allow this page)`,
      0,
    );
  }
  if (!response.ok) {
    const text = await response.text();
    let message = `${response.status} ${response.statusText}`;
    try {
      const body = JSON.parse(text) as { error?: unknown };
      if (typeof body.error === 'string') message = body.error;
    } catch {
      if (text) message = `${message}: ${text.slice(0, 200)}`;
    }
    throw new ApiError(message, response.status);
  }
  return response;
};

const readJson = async <T>(response: Response): Promise<T> => {
  try {
    return (await response.json()) as T;
  } catch {
    throw new ApiError(`the API answered ${response.status} with something that is not JSON`, response.status);
  }
};

const listModels = async (config: ApiConfig): Promise<RepositoryModel[]> =>
  readJson(
    await call(config, '/v2/repository/index', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    }),
  );

const modelMetadata = async (config: ApiConfig, name: string): Promise<ModelMetadata> =>
  readJson(await call(config, `/v2/models/${encodeURIComponent(name)}`));

/** TF Serving :predict with the photo as a multipart "image" file, as browsers post forms. */
const predictImage = async (config: ApiConfig, name: string, photo: Blob): Promise<Prediction> => {
  const form = new FormData();
  form.append('image', photo, photo instanceof File ? photo.name : 'photo');
  const started = performance.now();
  const response = await call(config, `/v1/models/${encodeURIComponent(name)}:predict`, {
    method: 'POST',
    body: form,
  });
  const body = await readJson<Prediction['body']>(response);
  const version = response.headers.get('x-model-version') ?? undefined;
  return {
    body,
    ...(version && { version }),
    timings: parseServerTiming(response.headers.get('server-timing')),
    roundTripMs: performance.now() - started,
  };
};

export type { ApiConfig, ModelMetadata, Prediction, RepositoryModel, Timing };
export { ApiError, listModels, modelMetadata, parseServerTiming, predictImage };
