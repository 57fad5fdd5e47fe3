import { InputError } from '../errors.js';

// Names become path segments and S3 keys: no separators, no dot-only names.
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const VERSION = /^[1-9][0-9]{0,9}$/;

const isModelName = (name: string): boolean => NAME.test(name) && !name.includes('..');

/** A model name safe to use in a path or key; throws a 400 otherwise. */
const checkModelName = (name: string): string => {
  if (!isModelName(name)) {
    throw new InputError(
      `invalid model name ${JSON.stringify(name.slice(0, 140))}: use letters, digits, ".", "_" and "-" (at most 128)`,
    );
  }
  return name;
};

/** A version number from a path segment; throws a 400 otherwise. */
const parseVersion = (text: string): number => {
  if (!VERSION.test(text) || Number(text) > 2 ** 31 - 1)
    throw new InputError(`invalid model version ${JSON.stringify(text.slice(0, 20))}: a positive integer`);
  return Number(text);
};

const isVersionDirectory = (segment: string): boolean => VERSION.test(segment) && Number(segment) <= 2 ** 31 - 1;

export { checkModelName, isModelName, isVersionDirectory, parseVersion };
