import { join } from 'node:path';
import type { IngestIsolation } from '../../src/pipeline/ingest/ingestUpload.js';

/** The ingest checks' own process, from the function's source (run through tsx), as deployed from its bundle. */
const ingestIsolation: IngestIsolation = {
  checks: { file: join(import.meta.dirname, '..', '..', 'functions', 'ingest', 'check.ts') },
};

export { ingestIsolation };
