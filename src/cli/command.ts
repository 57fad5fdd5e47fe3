import { type ParseArgsConfig, parseArgs } from 'node:util';
import { TflsError } from '../errors.js';

/** A mistake in how the command was called: exit code 2, with a pointer to --help. */
class UsageError extends TflsError {
  public override readonly code = 'ERR_USAGE';
  public constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

interface CommandIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

interface Command {
  readonly name: string;
  readonly summary: string;
  /** Full help: usage line, description, options. */
  readonly help: string;
  readonly options: Options;
  run(args: ParsedArgs, io: CommandIo): Promise<number | undefined>;
}

interface ParsedArgs {
  readonly values: Record<string, string | boolean | undefined>;
  readonly positionals: readonly string[];
}

const parse = (command: Command, argv: readonly string[]): ParsedArgs => {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as ParsedArgs['values'], positionals };
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify.*$/s, ''));
  }
};

/** A string flag's value, or undefined. */
const stringFlag = (args: ParsedArgs, name: string): string | undefined => {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
};

/** An integer flag within bounds, or the default. */
function integerFlag(args: ParsedArgs, name: string, fallback: number, min: number, max?: number): number;
function integerFlag(
  args: ParsedArgs,
  name: string,
  fallback: undefined,
  min: number,
  max?: number,
): number | undefined;
function integerFlag(
  args: ParsedArgs,
  name: string,
  fallback: number | undefined,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const value = stringFlag(args, name);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw new UsageError(`--${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
  return parsed;
}

/** A number flag that passes `valid`, or undefined when absent. */
const numberFlag = (
  args: ParsedArgs,
  name: string,
  valid: (value: number) => boolean,
  expected: string,
): number | undefined => {
  const text = stringFlag(args, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || !valid(value))
    throw new UsageError(`--${name} must be ${expected}, got ${JSON.stringify(text)}`);
  return value;
};

/** A flag restricted to a set of values. */
const choiceFlag = <T extends string>(args: ParsedArgs, name: string, choices: readonly T[], fallback: T): T => {
  const value = stringFlag(args, name) ?? fallback;
  if (!choices.includes(value as T))
    throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
};

/** Exactly `count` positional arguments, named for the message. */
const positionals = (args: ParsedArgs, ...names: string[]): string[] => {
  if (args.positionals.length !== names.length) {
    const expected = names.map((n) => `<${n}>`).join(' ');
    throw new UsageError(
      args.positionals.length < names.length
        ? `missing ${expected}`
        : `unexpected argument ${JSON.stringify(args.positionals[names.length])}`,
    );
  }
  return [...args.positionals];
};

export type { Command, CommandIo, ParsedArgs };
export { choiceFlag, integerFlag, numberFlag, parse, positionals, stringFlag, UsageError };
