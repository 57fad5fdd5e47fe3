import type { Model, TensorInfo } from '../engine/types.js';
import type { ModelManifest } from '../manifest/types.js';

/** A version's serving settings as stored: its model.json and the files it names. */
interface ManifestFiles {
  /** The parsed model.json, or undefined when the version has none. */
  readonly manifest: unknown;
  /** Identity of the model.json read (as manifestTag gives it), undefined when there was none. */
  readonly manifestTag: string | undefined;
  /** Reads another file of the version (a labels file named in model.json). */
  readFile(name: string): Promise<string>;
}

/** One version's files, fetched to local disk. */
interface VersionFiles extends ManifestFiles {
  /** Path of model.tflite on local disk. */
  readonly modelPath: string;
  /** Identity of the stored object (an ETag on S3, mtime and size on disk). */
  readonly etag: string;
}

/**
 * Where models live: `<root>/<name>/<version>/model.tflite` (+ model.json),
 * versions positive integers, as in TF Serving and Triton.
 */
interface ModelSource {
  /** A human-readable location for messages (a path or s3://bucket/prefix). */
  readonly location: string;
  listModels(): Promise<string[]>;
  /** Why the repository cannot be read now (missing directory, S3 refusing), or undefined when it can. */
  unreachable(): Promise<string | undefined>;
  /** Versions holding a model.tflite, ascending; empty when the model does not exist. */
  listVersions(name: string): Promise<number[]>;
  fetchVersion(name: string, version: number): Promise<VersionFiles>;
  /** The version's model.json (and the files it names) alone, read again. */
  fetchManifest(name: string, version: number): Promise<ManifestFiles>;
  /**
   * Identity of the version's model.json now (an ETag on S3, mtime and size
   * on disk), undefined when it has none: a cheap look, so that a model.json
   * written after its model.tflite, or changed, is read again.
   */
  manifestTag(name: string, version: number): Promise<string | undefined>;
}

/** A loaded version ready to serve. */
interface ServedModel {
  readonly name: string;
  readonly version: number;
  readonly model: Model;
  /** The inputs and outputs as the model declares them (a batched request resizes model.inputs). */
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  readonly manifest: ModelManifest;
  /** Where the serving settings came from: the version's model.json, or the task defaults alone. */
  readonly manifestSource: 'model.json' | 'defaults';
  /** Size of model.tflite, what the cache budget counts. */
  readonly bytes: number;
  readonly loadMs: number;
}

/** A served model held by a request; release() when done so that swaps and evictions can dispose it. */
interface Lease {
  readonly served: ServedModel;
  release(): void;
}

export type { Lease, ManifestFiles, ModelSource, ServedModel, VersionFiles };
