import { ManifestError } from '../errors.js';

/** A version's model.json text (undefined when it has none) as JSON; a ManifestError naming the version otherwise. */
const parseManifestText = (text: string | undefined, name: string, version: number): unknown => {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ManifestError(`${name}/${version}/model.json is not valid JSON: ${(error as Error).message}`);
  }
};

export { parseManifestText };
