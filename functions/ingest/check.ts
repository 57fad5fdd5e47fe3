// The process an upload's checks run in (started by the ingest function for
// each upload, see src/pipeline/ingest/ingestUpload.ts): a model that kills
// the engine ends this process, not the invocation that reports it.
import { serveTask } from '../../src/isolation/serveTask.js';
import { checkUpload } from '../../src/pipeline/ingest/uploadChecks.js';

serveTask(checkUpload);
