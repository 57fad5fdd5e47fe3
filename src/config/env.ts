import { ConfigError } from '../errors.js';

/**
 * Typed readers for environment variables: explicit value, else env, else
 * default. A set but invalid value is an error naming the variable, so a
 * misconfigured function fails at cold start rather than at some request.
 */
interface EnvOptions<T> {
  readonly key: string;
  readonly defaultValue: T;
  readonly env?: NodeJS.ProcessEnv;
}

const raw = (key: string, env: NodeJS.ProcessEnv = process.env): string | undefined => {
  const value = env[key]?.trim();
  return value === undefined || value === '' ? undefined : value;
};

/**
 * @example getStringFromEnv({ key: 'MODEL_REPOSITORY', defaultValue: 'models' })
 */
const getStringFromEnv = ({ key, defaultValue, env }: EnvOptions<string>): string => raw(key, env) ?? defaultValue;

/**
 * @example getNumberFromEnv({ key: 'PORT', defaultValue: 3000, min: 1, max: 65535, integer: true })
 */
const getNumberFromEnv = ({
  key,
  defaultValue,
  env,
  min = Number.NEGATIVE_INFINITY,
  max = Number.POSITIVE_INFINITY,
  integer = false,
}: EnvOptions<number> & { min?: number; max?: number; integer?: boolean }): number => {
  const value = raw(key, env);
  if (value === undefined) return defaultValue;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || (integer && !Number.isInteger(parsed)) || parsed < min || parsed > max) {
    const kind = integer ? 'an integer' : 'a number';
    throw new ConfigError(
      `environment variable ${key} must be ${kind} in [${min}, ${max}], got ${JSON.stringify(value)}`,
    );
  }
  return parsed;
};

/**
 * @example getListFromEnv({ key: 'PRELOAD_MODELS', defaultValue: [] })
 */
const getListFromEnv = ({ key, defaultValue, env }: EnvOptions<readonly string[]>): readonly string[] => {
  const value = raw(key, env);
  if (value === undefined) return defaultValue;
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
};

/** An S3 key prefix as the functions use it: no leading "/", one trailing "/". */
const keyPrefix = (value: string): string => {
  const trimmed = value.replace(/^\/+/, '');
  return trimmed.endsWith('/') ? trimmed : `${trimmed}/`;
};

export { getListFromEnv, getNumberFromEnv, getStringFromEnv, keyPrefix };
