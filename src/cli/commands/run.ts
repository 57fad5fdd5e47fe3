import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { ENGINES, loadModel } from '../../engine/loadModel.js';
import { InputError } from '../../errors.js';
import { formatInferResponse, parseInferRequest } from '../../protocols/kserve.js';
import { type Command, choiceFlag, integerFlag, positionals, stringFlag, UsageError } from '../command.js';

/** The model's name as the repository layout gives it (<name>/<version>/model.tflite), else the file's. */
const modelName = (path: string): string => {
  const file = basename(path, '.tflite');
  const version = basename(dirname(path));
  return file === 'model' && /^\d+$/.test(version) ? basename(dirname(dirname(path))) : file;
};

const run: Command = {
  name: 'run',
  summary: 'run a model on a KServe v2 inference request',
  help: `Usage: tfls run <model.tflite> --input <request.json> [--engine auto|native|wasm|ort] [--threads N] [--json]

Runs the model on a KServe v2 inference request body
  {"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [...]}]}
(datatypes FP32, FP16, INT8, UINT8, INT16, INT32, INT64, BOOL; "name" may be the
input's index) and prints the KServe v2 response body
  {"model_name": ..., "outputs": [{"name", "shape", "datatype", "data"}]}.

Options:
  --input FILE   the request body ("-" reads standard input)
  --engine E     auto (default), native, wasm, or ort (translated to ONNX,
                 served if it answers like TFLite)
  --threads N    interpreter threads
  --json         print the response on one line (default: indented)
`,
  options: {
    input: { type: 'string', short: 'i' },
    engine: { type: 'string' },
    threads: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(args, io) {
    const [path] = positionals(args, 'model.tflite');
    const input = stringFlag(args, 'input');
    if (input === undefined) throw new UsageError('missing --input <request.json>');
    let text: string;
    try {
      text = input === '-' ? await readStdin() : await readFile(input, 'utf8');
    } catch (error) {
      throw new UsageError(
        `cannot read ${input}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new InputError(`${input} is not valid JSON: ${(error as Error).message}`);
    }
    const threads = integerFlag(args, 'threads', undefined, 1, 64);
    const model = await loadModel(path!, {
      engine: choiceFlag(args, 'engine', ENGINES, 'auto'),
      ...(threads !== undefined && { threads }),
    });
    try {
      const request = parseInferRequest(body, model.inputs);
      const outputs = await model.runAsync(request.inputs);
      const response = formatInferResponse(modelName(path!), outputs, request);
      io.stdout.write(`${JSON.stringify(response, null, args.values.json ? undefined : 2)}\n`);
    } finally {
      model.dispose();
    }
    return 0;
  },
};

const readStdin = async (): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

export { modelName, run };
