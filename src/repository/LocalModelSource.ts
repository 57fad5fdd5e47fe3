import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseManifestText } from './manifestText.js';
import { isModelName, isVersionDirectory } from './names.js';
import type { ModelSource, VersionFiles } from './types.js';

const exists = async (path: string): Promise<boolean> =>
  stat(path).then(
    (s) => s.isFile(),
    () => false,
  );

/** A model repository on local disk. */
class LocalModelSource implements ModelSource {
  public readonly location: string;

  public constructor(private readonly root: string) {
    this.location = root;
  }

  public async listModels(): Promise<string[]> {
    const entries = await readdir(this.root, { withFileTypes: true }).catch(() => []);
    const names: string[] = [];
    for (const entry of entries) {
      if (entry.isDirectory() && isModelName(entry.name) && (await this.listVersions(entry.name)).length > 0)
        names.push(entry.name);
    }
    return names.sort();
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
    const directory = join(this.root, name, String(version));
    const modelPath = join(directory, 'model.tflite');
    const info = await stat(modelPath);
    const manifestText = await readFile(join(directory, 'model.json'), 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    const manifest = parseManifestText(manifestText, name, version);
    return {
      modelPath,
      manifest,
      etag: `${info.mtimeMs}-${info.size}`,
      readFile: (file) => readFile(join(directory, file), 'utf8'),
    };
  }
}

export { LocalModelSource };
