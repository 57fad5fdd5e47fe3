import type { Stats } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { ModelFormatError } from '../errors.js';
import { parseManifestText } from './manifestText.js';
import { isModelName, isVersionDirectory } from './names.js';
import type { ManifestFiles, ModelSource, VersionFiles } from './types.js';

const exists = async (path: string): Promise<boolean> =>
  stat(path).then(
    (s) => s.isFile(),
    () => false,
  );

/** A file error for messages that reach callers: the repository-relative name and the code, never the server's path. */
const fileError = (relative: string, error: unknown): Error => {
  const code = (error as NodeJS.ErrnoException).code;
  return Object.assign(new Error(`cannot read ${relative}: ${code ?? 'unreadable'}`), { code });
};

/** A file's identity on disk: a rewrite changes its mtime (or size). */
const tagOf = (info: Stats): string => `${info.mtimeMs}-${info.size}`;

/** A model repository on local disk. */
class LocalModelSource implements ModelSource {
  /** Shown to callers in place of the directory: where the server keeps its models is not theirs to know. */
  public readonly location = 'the model repository';
  #realRoot?: Promise<string>;

  public constructor(private readonly root: string) {}

  public async listModels(): Promise<string[]> {
    const entries = await readdir(this.root, { withFileTypes: true }).catch(() => []);
    const names: string[] = [];
    for (const entry of entries) {
      if (entry.isDirectory() && isModelName(entry.name) && (await this.listVersions(entry.name)).length > 0)
        names.push(entry.name);
    }
    return names.sort();
  }

  public async unreachable(): Promise<string | undefined> {
    const info = await stat(this.root).catch(() => undefined);
    return info?.isDirectory() ? undefined : 'the model repository directory does not exist';
  }

  public async listVersions(name: string): Promise<number[]> {
    const entries = await readdir(join(this.root, name), { withFileTypes: true }).catch(() => []);
    const versions: number[] = [];
    for (const entry of entries) {
      if (
        entry.isDirectory() &&
        isVersionDirectory(entry.name) &&
        (await exists(join(this.root, name, entry.name, 'model.tflite')))
      ) {
        versions.push(Number(entry.name));
      }
    }
    return versions.sort((a, b) => a - b);
  }

  public async fetchVersion(name: string, version: number): Promise<VersionFiles> {
    const modelPath = await this.#inside(this.#path(name, version, 'model.tflite'), `${name}/${version}/model.tflite`);
    const info = await stat(modelPath);
    return { modelPath, etag: tagOf(info), ...(await this.fetchManifest(name, version)) };
  }

  public async fetchManifest(name: string, version: number): Promise<ManifestFiles> {
    const relative = (file: string) => `${name}/${version}/${file}`;
    const manifestPath = await this.#inside(this.#path(name, version, 'model.json'), relative('model.json')).catch(
      (error: unknown) => {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      },
    );
    // The identity is taken before the read: a write between the two shows as a change at the next look.
    const manifestTag = manifestPath === undefined ? undefined : await this.manifestTag(name, version);
    const manifestText =
      manifestPath === undefined
        ? undefined
        : await readFile(manifestPath, 'utf8').catch((error: unknown) => {
            throw fileError(relative('model.json'), error);
          });
    return {
      manifest: parseManifestText(manifestText, name, version),
      manifestTag,
      readFile: async (file) => {
        const path = await this.#inside(this.#path(name, version, file), relative(file));
        return readFile(path, 'utf8').catch((error: unknown) => {
          throw fileError(relative(file), error);
        });
      },
    };
  }

  public async manifestTag(name: string, version: number): Promise<string | undefined> {
    const info = await stat(this.#path(name, version, 'model.json')).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    return info && tagOf(info);
  }

  #path(name: string, version: number, file: string): string {
    return join(this.root, name, String(version), file);
  }

  /**
   * The real path of a repository file, refused when a link takes it outside
   * the repository: a model or labels file must not be a way to read the
   * server's other files.
   */
  async #inside(path: string, relative: string): Promise<string> {
    this.#realRoot ??= realpath(this.root);
    const [root, real] = await Promise.all([this.#realRoot, realpath(path)]).catch((error: unknown) => {
      throw fileError(relative, error);
    });
    if (real !== root && !real.startsWith(`${root}${sep}`))
      throw new ModelFormatError(`${relative} links outside the model repository; it is not served`);
    return real;
  }
}

export { LocalModelSource };
