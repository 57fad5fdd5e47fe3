import { ConfigError } from '../errors.js';

/** Parses s3://bucket/prefix; `what` names the setting in the error. */
const parseS3Url = (url: string, what = 'MODEL_REPOSITORY'): { bucket: string; prefix: string } => {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!match) throw new ConfigError(`${what} ${JSON.stringify(url)} is not s3://bucket[/prefix]`);
  return { bucket: match[1]!, prefix: (match[2] ?? '').replace(/\/+$/, '') };
};

export { parseS3Url };
