// The ingest Lambda function: a model dropped under uploads/ is checked,
// compressed if its policy asks, and published as the next version, or
// rejected with uploads/<name>.error.json. See src/pipeline/ingest.
import { createIngestHandler } from '../../src/pipeline/ingest/createIngestHandler.js';
import { loadIngestConfig } from '../../src/pipeline/ingest/ingestConfig.js';

// check.mjs is bundled beside this file (scripts/bundle.mjs: every .ts of functions/ingest).
export const handler = createIngestHandler(loadIngestConfig(), {
  checks: { file: new URL('./check.mjs', import.meta.url) },
});
