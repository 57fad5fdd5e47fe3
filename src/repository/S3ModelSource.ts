import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ConfigError } from '../errors.js';
import { parseManifestText } from './manifestText.js';
import { isModelName, isVersionDirectory } from './names.js';
import type { ModelSource, VersionFiles } from './types.js';

const missing = (error: unknown): boolean =>
  error instanceof NoSuchKey ||
  error instanceof NotFound ||
  (error as { name?: string }).name === 'NoSuchKey' ||
  (error as { name?: string }).name === 'NotFound';

/** Parses s3://bucket/prefix. */
const parseS3Url = (url: string): { bucket: string; prefix: string } => {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!match) throw new ConfigError(`MODEL_REPOSITORY ${JSON.stringify(url)} is not s3://bucket[/prefix]`);
  return { bucket: match[1]!, prefix: (match[2] ?? '').replace(/\/+$/, '') };
};

/**
 * A model repository in S3. Model files are cached under `cacheDir` keyed by
 * their ETag, so a warm function, or a cold one that finds /tmp populated,
 * downloads a version once.
 */
class S3ModelSource implements ModelSource {
  public readonly location: string;
  readonly #bucket: string;
  readonly #prefix: string;

  public constructor(
    url: string,
    private readonly client: S3Client,
    private readonly cacheDir: string,
  ) {
    const { bucket, prefix } = parseS3Url(url);
    this.#bucket = bucket;
    this.#prefix = prefix;
    this.location = url;
  }

  #key(...parts: (string | number)[]): string {
    return [this.#prefix, ...parts].filter((part) => part !== '').join('/');
  }

  async #list(prefix: string, delimiter?: string): Promise<{ keys: string[]; prefixes: string[] }> {
    const keys: string[] = [];
    const prefixes: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.#bucket,
          Prefix: prefix,
          Delimiter: delimiter,
          ContinuationToken: token,
        }),
      );
      for (const item of page.Contents ?? []) if (item.Key) keys.push(item.Key);
      for (const item of page.CommonPrefixes ?? []) if (item.Prefix) prefixes.push(item.Prefix);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return { keys, prefixes };
  }

  public async listModels(): Promise<string[]> {
    const root = this.#prefix ? `${this.#prefix}/` : '';
    const { prefixes } = await this.#list(root, '/');
    return prefixes
      .map((p) => p.slice(root.length).replace(/\/$/, ''))
      .filter(isModelName)
      .sort();
  }

  public async listVersions(name: string): Promise<number[]> {
    const base = `${this.#key(name)}/`;
    const { keys } = await this.#list(base);
    const versions = new Set<number>();
    for (const key of keys) {
      const [version, file, ...rest] = key.slice(base.length).split('/');
      if (version && file === 'model.tflite' && rest.length === 0 && isVersionDirectory(version))
        versions.add(Number(version));
    }
    return [...versions].sort((a, b) => a - b);
  }

  async #getText(key: string): Promise<string | undefined> {
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
      return await object.Body!.transformToString('utf8');
    } catch (error) {
      if (missing(error)) return undefined;
      throw error;
    }
  }

  public async fetchVersion(name: string, version: number): Promise<VersionFiles> {
    const key = this.#key(name, version, 'model.tflite');
    const head = await this.client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
    const etag = (head.ETag ?? '').replace(/"/g, '');
    const directory = join(this.cacheDir, name, String(version), etag || 'no-etag');
    const modelPath = join(directory, 'model.tflite');
    const cached = await readFile(join(directory, 'complete'), 'utf8').then(
      (text) => text === etag,
      () => false,
    );
    if (!cached) {
      await mkdir(directory, { recursive: true });
      const object = await this.client.send(
        new GetObjectCommand({ Bucket: this.#bucket, Key: key, IfMatch: head.ETag }),
      );
      const temporary = `${modelPath}.${process.pid}.${Date.now()}.part`;
      await writeFile(temporary, await object.Body!.transformToByteArray());
      await rename(temporary, modelPath);
      await writeFile(join(directory, 'complete'), etag);
    }
    const manifestText = await this.#getText(this.#key(name, version, 'model.json'));
    const manifest = parseManifestText(manifestText, name, version);
    return {
      modelPath,
      manifest,
      etag,
      readFile: async (file) => {
        const text = await this.#getText(this.#key(name, version, file));
        if (text === undefined)
          throw new Error(`s3://${this.#bucket}/${this.#key(name, version, file)} does not exist`);
        return text;
      },
    };
  }
}

export { parseS3Url, S3ModelSource };
