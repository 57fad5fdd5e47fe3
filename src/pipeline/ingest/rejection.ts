import { TflsError } from '../../errors.js';

/** Where in ingest an upload was turned away. */
type IngestStage = 'upload' | 'size' | 'policy' | 'format' | 'load' | 'smoke' | 'manifest' | 'compress' | 'fidelity';

/**
 * An upload that must not be published, and why: written to
 * uploads/<name>.error.json as {error, stage, details}. The caller's
 * fault, never retried.
 */
class IngestRejection extends TflsError {
  public override readonly code = 'ERR_INGEST_REJECTED';
  public constructor(
    public readonly stage: IngestStage,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(message, details ? { details } : undefined);
    this.name = 'IngestRejection';
  }
}

export type { IngestStage };
export { IngestRejection };
