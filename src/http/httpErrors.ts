import {
  ConfigError,
  InferenceError,
  InputError,
  ManifestError,
  ModelBusyError,
  ModelFormatError,
  ModelLoadError,
  ModelUnavailableError,
  NotFoundError,
  PayloadTooLargeError,
  TflsError,
  UnprocessableError,
  UnsupportedError,
} from '../errors.js';

/** Errors that only exist at the HTTP edge. */
class UnsupportedMediaTypeError extends TflsError {
  public override readonly code = 'ERR_MEDIA_TYPE';
  public constructor(message: string) {
    super(message);
    this.name = 'UnsupportedMediaTypeError';
  }
}

class MethodNotAllowedError extends TflsError {
  public override readonly code = 'ERR_METHOD';
  public constructor(
    message: string,
    public readonly allow: readonly string[],
  ) {
    super(message);
    this.name = 'MethodNotAllowedError';
  }
}

/** The one place library errors become HTTP statuses. */
const STATUS: readonly [new (...args: never[]) => Error, number][] = [
  [InputError, 400],
  [UnsupportedError, 400],
  [NotFoundError, 404],
  [MethodNotAllowedError, 405],
  [PayloadTooLargeError, 413],
  [UnsupportedMediaTypeError, 415],
  [UnprocessableError, 422],
  [ModelUnavailableError, 503],
  [ModelLoadError, 503],
  [ModelFormatError, 503],
  [ManifestError, 503],
  [ModelBusyError, 503],
  [InferenceError, 500],
  [ConfigError, 500],
];

/** The status for an error; 500 for anything unexpected. */
const statusOf = (error: unknown): number => STATUS.find(([type]) => error instanceof type)?.[1] ?? 500;

export { MethodNotAllowedError, statusOf, UnsupportedMediaTypeError };
