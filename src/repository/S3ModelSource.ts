import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { ObjectStore } from '../aws/objectStore.js';
import { parseManifestText } from './manifestText.js';
import { isModelName, isVersionDirectory } from './names.js';
import { parseS3Url } from './s3Url.js';
import type { ManifestFiles, ModelSource, VersionFiles } from './types.js';

/**
 * A model repository in S3. Model files are cached under `cacheDir` keyed by
 * their ETag, so a warm function, or a cold one that finds /tmp populated,
 * downloads a version once.
 */
class S3ModelSource implements ModelSource {
  public readonly location: string;
  readonly #store: ObjectStore;
  readonly #prefix: string;

  public constructor(
    url: string,
    client: S3Client,
    private readonly cacheDir: string,
  ) {
    const { bucket, prefix } = parseS3Url(url);
    this.#store = new ObjectStore(client, bucket);
    this.#prefix = prefix;
    this.location = url;
  }

  #key(...parts: (string | number)[]): string {
    return [this.#prefix, ...parts].filter((part) => part !== '').join('/');
  }

  public async listModels(): Promise<string[]> {
    const root = this.#prefix ? `${this.#prefix}/` : '';
    return (await this.#store.list(root, { delimiter: '/' }))
      .map((p) => p.slice(root.length).replace(/\/$/, ''))
      .filter(isModelName)
      .sort();
  }

  public async unreachable(): Promise<string | undefined> {
    try {
      await this.#store.list(this.#prefix ? `${this.#prefix}/` : '', { limit: 1 });
      return undefined;
    } catch (error) {
      return `the model repository cannot be listed: ${(error as Error).name}`;
    }
  }

  public async listVersions(name: string): Promise<number[]> {
    const base = `${this.#key(name)}/`;
    const versions = new Set<number>();
    for (const key of await this.#store.list(base)) {
      const [version, file, ...rest] = key.slice(base.length).split('/');
      if (version && file === 'model.tflite' && rest.length === 0 && isVersionDirectory(version))
        versions.add(Number(version));
    }
    return [...versions].sort((a, b) => a - b);
  }

  public async fetchVersion(name: string, version: number): Promise<VersionFiles> {
    const key = this.#key(name, version, 'model.tflite');
    const etag = await this.#store.etag(key);
    if (etag === undefined) throw new Error(`s3://${this.#store.bucket}/${key} does not exist`);
    const directory = join(this.cacheDir, name, String(version), etag || 'no-etag');
    const modelPath = join(directory, 'model.tflite');
    const download = async (): Promise<void> => {
      const cached = await readFile(join(directory, 'complete'), 'utf8').then(
        (text) => text === etag,
        () => false,
      );
      if (cached) return;
      await mkdir(directory, { recursive: true });
      const object = await this.#store.get(key, { ifMatch: etag });
      if (!object) throw new Error(`s3://${this.#store.bucket}/${key} changed or disappeared while it was fetched`);
      const temporary = `${modelPath}.${process.pid}.${Date.now()}.part`;
      await writeFile(temporary, object.bytes);
      await rename(temporary, modelPath);
      await writeFile(join(directory, 'complete'), etag);
    };
    // model.json beside the model, not after it: one round trip fewer in every cold start's preload.
    const [, manifest] = await Promise.all([download(), this.fetchManifest(name, version)]);
    return { modelPath, etag, ...manifest };
  }

  public async fetchManifest(name: string, version: number): Promise<ManifestFiles> {
    const object = await this.#store.get(this.#key(name, version, 'model.json'));
    return {
      manifest: parseManifestText(object && new TextDecoder().decode(object.bytes), name, version),
      manifestTag: object?.etag,
      readFile: async (file) => {
        const text = await this.#store.getText(this.#key(name, version, file));
        if (text === undefined)
          throw new Error(`s3://${this.#store.bucket}/${this.#key(name, version, file)} does not exist`);
        return text;
      },
    };
  }

  public manifestTag(name: string, version: number): Promise<string | undefined> {
    return this.#store.etag(this.#key(name, version, 'model.json'));
  }
}

export { S3ModelSource };
