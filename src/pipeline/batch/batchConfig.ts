import { getNumberFromEnv, getStringFromEnv, keyPrefix } from '../../config/env.js';
import { loadServerConfig, type ServerConfig } from '../../config/serverConfig.js';

/** The batch function's settings: the predict service's, plus where inputs and outputs live. */
interface BatchConfig {
  readonly server: ServerConfig;
  readonly inputsPrefix: string;
  readonly outputsPrefix: string;
  readonly maxInputBytes: number;
}

/** The predict settings (MODEL_REPOSITORY...), INPUT_PREFIX (inputs/), OUTPUT_PREFIX (outputs/), MAX_INPUT_MB (50). */
const loadBatchConfig = (env: NodeJS.ProcessEnv = process.env): BatchConfig => ({
  server: loadServerConfig(env),
  inputsPrefix: keyPrefix(getStringFromEnv({ key: 'INPUT_PREFIX', defaultValue: 'inputs/', env })),
  outputsPrefix: keyPrefix(getStringFromEnv({ key: 'OUTPUT_PREFIX', defaultValue: 'outputs/', env })),
  maxInputBytes: getNumberFromEnv({ key: 'MAX_INPUT_MB', defaultValue: 50, min: 1, env }) * 1024 * 1024,
});

export type { BatchConfig };
export { loadBatchConfig };
