import { UnprocessableError } from '../errors.js';

/**
 * The time the images of one request may take to read, decode and resize,
 * together: 16 slow images share one budget rather than taking one each,
 * so a request stays inside API Gateway's 30 s. What runs out answers 422.
 */
class ImageDeadline {
  readonly #end: number;

  private constructor(
    /** The budget it started with, for the message. */
    private readonly seconds: number,
    end: number,
  ) {
    this.#end = end;
  }

  /** A budget of `seconds` from now, ending no later than `notAfter` (a Date.now() time) when given. */
  public static after(seconds: number, notAfter?: number): ImageDeadline {
    const end = performance.now() + seconds * 1000;
    return new ImageDeadline(
      seconds,
      notAfter === undefined ? end : Math.min(end, performance.now() + (notAfter - Date.now())),
    );
  }

  public remainingMs(): number {
    return Math.max(0, this.#end - performance.now());
  }

  /** libvips' timeout for the next step: whole seconds, at least 1 (0 would mean none). */
  public libvipsSeconds(): number {
    return Math.max(1, Math.ceil(this.remainingMs() / 1000));
  }

  public expired(cause?: unknown): UnprocessableError {
    return new UnprocessableError(
      `the images took over ${this.seconds} s to decode and resize (IMAGE_TIMEOUT_SECONDS, for all images of a request together); send smaller ones`,
      { cause },
    );
  }

  /**
   * `work`, or the deadline's 422 when the budget runs out first. The work
   * itself (libvips on the libuv pool) cannot be stopped; the steps that can
   * run long also get libvipsSeconds(), after which libvips stops them.
   */
  public race<T>(work: Promise<T>): Promise<T> {
    const remaining = this.remainingMs();
    if (remaining <= 0) {
      work.catch(() => undefined);
      return Promise.reject(this.expired());
    }
    let timer: NodeJS.Timeout | undefined;
    const expiry = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.expired()), remaining);
    });
    work.catch(() => undefined);
    return Promise.race([work, expiry]).finally(() => clearTimeout(timer));
  }
}

export { ImageDeadline };
