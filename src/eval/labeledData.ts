import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { InputError } from '../errors.js';

const IMAGE_FILES = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif']);

interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly label?: string;
}

/**
 * A labeled set, by its layout:
 * - classification: DIR/<label>/<photo>, one folder per class;
 * - detection: DIR/boxes.json, {"images": [{"file", "boxes": [{x, y, width, height, label?}]}]}
 *   in original-image pixels, files relative to DIR;
 * - tensors: DIR/<name>.json KServe v2 requests, each with DIR/<name>.expected.json, the
 *   KServe v2 response it should get.
 */
type LabeledData =
  | { readonly kind: 'classification'; readonly items: readonly { file: string; label: string }[] }
  | { readonly kind: 'detection'; readonly items: readonly { file: string; boxes: readonly Box[] }[] }
  | { readonly kind: 'tensors'; readonly items: readonly { request: string; expected: string }[] };

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

const readBoxes = async (dir: string): Promise<LabeledData> => {
  const path = join(dir, 'boxes.json');
  let body: unknown;
  try {
    body = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new InputError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  const images = (body as { images?: unknown }).images;
  if (!Array.isArray(images) || images.length === 0)
    throw new InputError(`${path} needs {"images": [{"file": ..., "boxes": [{"x", "y", "width", "height"}]}]}`);
  const items = images.map((image: unknown, i) => {
    const { file, boxes } = (image ?? {}) as { file?: unknown; boxes?: unknown };
    if (typeof file !== 'string' || !Array.isArray(boxes))
      throw new InputError(`${path} images[${i}] needs "file" (a path) and "boxes" (a list, empty for none)`);
    for (const [j, box] of boxes.entries()) {
      const b = (box ?? {}) as Record<string, unknown>;
      if (![b.x, b.y, b.width, b.height].every(isNumber) || (b.width as number) <= 0 || (b.height as number) <= 0)
        throw new InputError(`${path} images[${i}].boxes[${j}] needs numbers x, y and positive width, height`);
    }
    return { file: resolve(dir, file), boxes: boxes as Box[] };
  });
  return { kind: 'detection', items };
};

/** Reads a labeled set and says which kind it is; a clear error when it is none. */
const readLabeledData = async (dir: string): Promise<LabeledData> => {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (error) {
    throw new InputError(
      `cannot read --data ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  if (names.includes('boxes.json')) return readBoxes(dir);
  const requests = names.filter((n) => n.endsWith('.json') && !n.endsWith('.expected.json'));
  if (requests.length > 0) {
    const items = requests.map((name) => {
      const expected = `${name.slice(0, -'.json'.length)}.expected.json`;
      if (!names.includes(expected)) throw new InputError(`${join(dir, name)} has no ${expected} beside it`);
      return { request: join(dir, name), expected: join(dir, expected) };
    });
    return { kind: 'tensors', items };
  }
  const items: { file: string; label: string }[] = [];
  for (const name of names) {
    const folder = join(dir, name);
    if (!(await stat(folder)).isDirectory()) continue;
    for (const file of (await readdir(folder)).sort())
      if (IMAGE_FILES.has(extname(file).toLowerCase())) items.push({ file: join(folder, file), label: name });
  }
  if (items.length === 0)
    throw new InputError(
      `--data ${dir} holds no labeled set: give <label>/ folders of photos, a boxes.json, or KServe requests with .expected.json answers`,
    );
  return { kind: 'classification', items };
};

export type { Box, LabeledData };
export { readLabeledData };
