// The batch Lambda function: images or KServe v2 requests dropped under
// inputs/<model>/ are answered in outputs/<model>/. See src/pipeline/batch.

import { loadBatchConfig } from '../../src/pipeline/batch/batchConfig.js';
import { createBatchHandler } from '../../src/pipeline/batch/createBatchHandler.js';

export const handler = createBatchHandler(loadBatchConfig());
