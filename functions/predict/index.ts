// The predict Lambda function. Config, model repository, engine and model
// cache live at module scope: created once per process, reused by every warm
// invocation. Preloading happens at init, which provisioned concurrency pays
// for before traffic arrives.
import { loadServerConfig } from '../../src/config/serverConfig.js';
import { createPredictService } from '../../src/http/createPredictService.js';

const service = createPredictService(loadServerConfig());
await service.preload();

export const handler = service.handler;
