import { getNumberFromEnv } from '../../config/env.js';
import { loadServerConfig } from '../../config/serverConfig.js';
import { createPredictService } from '../../http/createPredictService.js';
import { startLocalServer } from '../../server/localServer.js';
import { type Command, integerFlag, positionals, stringFlag } from '../command.js';

const serve: Command = {
  name: 'serve',
  summary: 'serve a model repository over HTTP through the Lambda handler',
  help: `Usage: tfls serve [--port N] [--host H] [--models DIR|s3://bucket/prefix] [--no-playground]

Serves the models in a repository (<name>/<version>/model.tflite, optional
model.json) over HTTP. Each request becomes the API Gateway HTTP API event
Lambda would receive and goes through the same predict handler:
KServe v2 (/v2/...) and TensorFlow Serving (/v1/...) routes, images included.
The playground page at / picks a model, takes a photo and draws the answer,
through the same public API (only this local server serves it).

Options:
  --port N       port (default: PORT, else 3000; 0 picks a free one)
  --host H       interface to listen on (default 0.0.0.0)
  --models DIR   the repository (default: MODEL_REPOSITORY, else ./models)
  --no-playground  serve the API only: / is a 404 as on Lambda

The other settings come from the environment as on Lambda: MODEL_CACHE_MB,
PRELOAD_MODELS, MODEL_REFRESH_SECONDS, TFLITE_NUM_THREADS, TFLITE_ENGINE.
`,
  options: {
    port: { type: 'string', short: 'p' },
    host: { type: 'string' },
    models: { type: 'string' },
    'no-playground': { type: 'boolean' },
  },
  async run(args, io) {
    positionals(args);
    const port = integerFlag(
      args,
      'port',
      getNumberFromEnv({ key: 'PORT', defaultValue: 3000, min: 0, max: 65535, integer: true }),
      0,
      65535,
    )!;
    const models = stringFlag(args, 'models');
    // Locally, EMF metrics on stdout are noise unless asked for.
    process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
    const config = loadServerConfig({ ...process.env, ...(models !== undefined && { MODEL_REPOSITORY: models }) });
    const service = createPredictService(config);
    await service.preload();
    const playground = !args.values['no-playground'];
    const server = await startLocalServer(service, port, stringFlag(args, 'host') ?? '0.0.0.0', { playground });
    io.stdout.write(
      `tfls serve: ${server.url} serving ${config.modelRepository}${playground ? `; playground at ${server.url}/` : ''}\n`,
    );
    await new Promise<void>((resolve) => {
      const stop = () => {
        void server.close().then(() => {
          service.repository.dispose();
          resolve();
        });
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
};

export { serve };
