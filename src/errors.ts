/**
 * The library's typed errors. Each carries a stable `code`; the HTTP edge
 * (src/http/errorResponse.ts) and the CLI map them to statuses and exit codes
 * in one place, so nothing else needs to know about transport.
 */
class TflsError extends Error {
  public readonly code: string = 'ERR_TFLS';
  public readonly details?: Record<string, unknown>;

  public constructor(message: string, options?: ErrorOptions & { details?: Record<string, unknown> }) {
    super(message, options);
    this.name = 'TflsError';
    if (options?.details) this.details = options.details;
  }
}

/** The bytes are not a usable TFLite model: wrong identifier, truncated, malformed, too large. */
class ModelFormatError extends TflsError {
  public override readonly code = 'ERR_MODEL_FORMAT';
  public constructor(message: string, options?: ErrorOptions & { details?: Record<string, unknown> }) {
    super(message, options);
    this.name = 'ModelFormatError';
  }
}

/** A well-formed model that no engine could load (unresolved custom op, op version too new...). */
class ModelLoadError extends TflsError {
  public override readonly code = 'ERR_MODEL_LOAD';
  public constructor(message: string, options?: ErrorOptions & { details?: Record<string, unknown> }) {
    super(message, options);
    this.name = 'ModelLoadError';
  }
}

/** The caller's inputs do not fit the model: count, dtype, shape or size. */
class InputError extends TflsError {
  public override readonly code = 'ERR_INPUT';
  public constructor(message: string, options?: ErrorOptions & { details?: Record<string, unknown> }) {
    super(message, options);
    this.name = 'InputError';
  }
}

/** A feature the model or engine cannot provide (string tensors, batch resize on WASM...). */
class UnsupportedError extends TflsError {
  public override readonly code = 'ERR_UNSUPPORTED';
  public constructor(message: string, options?: ErrorOptions & { details?: Record<string, unknown> }) {
    super(message, options);
    this.name = 'UnsupportedError';
  }
}

/** The model was disposed before this call. */
class ModelDisposedError extends TflsError {
  public override readonly code = 'ERR_MODEL_DISPOSED';
  public constructor(message = 'the model has been disposed', options?: ErrorOptions) {
    super(message, options);
    this.name = 'ModelDisposedError';
  }
}

/** A synchronous call while an async run holds the interpreter. */
class ModelBusyError extends TflsError {
  public override readonly code = 'ERR_MODEL_BUSY';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ModelBusyError';
  }
}

/** The runtime failed while running a model that had loaded. */
class InferenceError extends TflsError {
  public override readonly code = 'ERR_INFERENCE';
  public constructor(message: string, options?: ErrorOptions & { details?: Record<string, unknown> }) {
    super(message, options);
    this.name = 'InferenceError';
  }
}

/** A configuration value (env var, option, manifest) is invalid. */
class ConfigError extends TflsError {
  public override readonly code = 'ERR_CONFIG';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

/** An unknown model, version or route. */
class NotFoundError extends TflsError {
  public override readonly code = 'ERR_NOT_FOUND';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NotFoundError';
  }
}

/** A model that exists but cannot be served now (it failed to load); the message says why. */
class ModelUnavailableError extends TflsError {
  public override readonly code = 'ERR_MODEL_UNAVAILABLE';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ModelUnavailableError';
  }
}

/** A request or image beyond a size limit. */
class PayloadTooLargeError extends TflsError {
  public override readonly code = 'ERR_TOO_LARGE';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PayloadTooLargeError';
  }
}

/** Input that is well-formed and within the size limits, but too costly to process: an extreme aspect ratio, a decode past its deadline. */
class UnprocessableError extends TflsError {
  public override readonly code = 'ERR_UNPROCESSABLE';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UnprocessableError';
  }
}

/** A model.json that is not valid for its model. */
class ManifestError extends TflsError {
  public override readonly code = 'ERR_MANIFEST';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ManifestError';
  }
}

/** Narrows an unknown catch value to an Error, wrapping anything else. */
const toError = (value: unknown): Error => (value instanceof Error ? value : new Error(String(value)));

/** A one-line message: TFLite's reporter joins its lines with newlines. */
const oneLine = (message: string): string => message.replace(/\s*\n\s*/g, ' ').trim();

export {
  ConfigError,
  InferenceError,
  InputError,
  ManifestError,
  ModelBusyError,
  ModelDisposedError,
  ModelFormatError,
  ModelLoadError,
  ModelUnavailableError,
  NotFoundError,
  oneLine,
  PayloadTooLargeError,
  TflsError,
  toError,
  UnprocessableError,
  UnsupportedError,
};
