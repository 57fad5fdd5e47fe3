import { loadModel } from '../engine/loadModel.js';
import type { LoadOptions, Model } from '../engine/types.js';
import { resolveManifest } from '../manifest/resolveManifest.js';
import type { ModelManifest } from '../manifest/types.js';

/** A model loaded with the serving settings its model.json, metadata and tensors give. */
interface BuiltModel {
  readonly model: Model;
  readonly manifest: ModelManifest;
  /** Where the settings came from: a model.json beside it, or the metadata and task defaults alone. */
  readonly manifestSource: 'model.json' | 'defaults';
}

/**
 * The one place model bytes and a model.json become something to serve: the
 * repository's loads, ingest's checks, eval and inspect all build here, so
 * that what they check is what serving does. The model is disposed if the
 * model.json does not fit it.
 */
const buildServedModel = async (
  bytes: Uint8Array,
  files: { readonly manifest: unknown; readFile(name: string): Promise<string> },
  load: LoadOptions = {},
): Promise<BuiltModel> => {
  const model = await loadModel(bytes, load);
  try {
    return {
      model,
      manifest: await resolveManifest(files.manifest, model, (name) => files.readFile(name)),
      manifestSource: files.manifest === undefined ? 'defaults' : 'model.json',
    };
  } catch (error) {
    model.dispose();
    throw error;
  }
};

export type { BuiltModel };
export { buildServedModel };
