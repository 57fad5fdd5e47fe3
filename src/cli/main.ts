import { nativeLogs } from '../engine/loadModel.js';
import { TflsError } from '../errors.js';
import { type Command, type CommandIo, parse, UsageError } from './command.js';
import { batch } from './commands/batch.js';
import { bench } from './commands/bench.js';
import { compress } from './commands/compress.js';
import { evaluate } from './commands/eval.js';
import { inspect } from './commands/inspect.js';
import { run } from './commands/run.js';
import { serve } from './commands/serve.js';

const COMMANDS: readonly Command[] = [serve, inspect, compress, evaluate, bench, run, batch];

const overview = (): string => `Usage: tfls <command> [options]

Serve, inspect, benchmark and compress TensorFlow Lite models.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(10)}${c.summary}`).join('\n')}

Run "tfls <command> --help" for a command's options; --verbose shows
TFLite's own messages as it loads models.
`;

/** One line, no stack: the CLI's users get messages, not traces. */
const report = (error: unknown, command: string | undefined, io: CommandIo): number => {
  const prefix = command ? `tfls ${command}` : 'tfls';
  if (error instanceof UsageError) {
    io.stderr.write(`${prefix}: ${error.message} (see "${prefix} --help")\n`);
    return 2;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`${prefix}: ${message.split('\n')[0]}\n`);
  if (process.env.TFLS_DEBUG && error instanceof Error && !(error instanceof TflsError))
    io.stderr.write(`${error.stack}\n`);
  return 1;
};

/** Runs the CLI; resolves to the exit code. */
const main = async (
  argv: readonly string[],
  io: CommandIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> => {
  // --verbose anywhere: TFLite's own load-time messages on stderr.
  if (argv.includes('--verbose')) nativeLogs.verbose = true;
  const [name, ...rest] = argv.filter((arg) => arg !== '--verbose');
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(overview());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (!command)
      throw new UsageError(
        `unknown command ${JSON.stringify(name)}; commands: ${COMMANDS.map((c) => c.name).join(', ')}`,
      );
    const args = parse(command, rest);
    if (args.values.help) {
      io.stdout.write(command.help);
      return 0;
    }
    return (await command.run(args, io)) ?? 0;
  } catch (error) {
    return report(error, command?.name, io);
  }
};

export { COMMANDS, main };
