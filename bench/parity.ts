/**
 * How far the engines' answers differ on the models people bring: every
 * model of the shared zoo (TFLS_MODEL_ZOO, default ../shared/fixtures/models)
 * on every shared photo (../shared/fixtures/images), through the serving path,
 * native against WASM. Prints per model the largest score difference, the
 * top-1 disagreements with their margins, and the mask pixel agreement.
 *
 *   npm run bench:parity [-- --models a,b] [--photos DIR]
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import type { EngineName } from '../src/engine/types.js';
import { ImageDeadline } from '../src/image/imageDeadline.js';
import { LocalModelSource } from '../src/repository/LocalModelSource.js';
import { ModelRepository } from '../src/repository/ModelRepository.js';
import { predictImage } from '../src/serving/predictImage.js';
import { describeMachine } from './machine.js';

const { values } = parseArgs({ options: { models: { type: 'string' }, photos: { type: 'string' } } });
const zoo = resolve(process.env.TFLS_MODEL_ZOO ?? '../shared/fixtures/models');
const photosDir = resolve(values.photos ?? join(zoo, '..', 'images'));
const models =
  values.models?.split(',') ??
  readdirSync(zoo)
    .filter((f) => f.endsWith('.tflite'))
    .map((f) => f.slice(0, -7));
const photos = readdirSync(photosDir).filter((f) => /\.(jpe?g|png)$/i.test(f));
const ENGINES: readonly EngineName[] = ['native', 'wasm'];

// biome-ignore lint/suspicious/noExplicitAny: the API's JSON answers, read field by field.
type Answer = any;
const answers = new Map<string, Answer | Error>();
const root = mkdtempSync(join(tmpdir(), 'tfls-parity-'));
for (const model of models) {
  mkdirSync(join(root, model, '1'), { recursive: true });
  copyFileSync(join(zoo, `${model}.tflite`), join(root, model, '1', 'model.tflite'));
}
for (const engine of ENGINES) {
  const repository = new ModelRepository({
    source: new LocalModelSource(root),
    cacheBytes: 2 ** 30,
    refreshMs: 3_600_000,
    load: { threads: 1, engine },
  });
  for (const model of models) {
    for (const photo of photos) {
      const key = `${engine}|${model}|${photo}`;
      try {
        const lease = await repository.acquire(model);
        try {
          answers.set(
            key,
            (await predictImage(lease.served, readFileSync(join(photosDir, photo)), ImageDeadline.after(60)))
              .prediction,
          );
        } finally {
          lease.release();
        }
      } catch (error) {
        answers.set(key, error as Error);
      }
    }
  }
  repository.dispose();
}
rmSync(root, { recursive: true, force: true });

const maskPixels = async (mask: string): Promise<Buffer> =>
  sharp(Buffer.from(mask, 'base64')).extractChannel(0).raw().toBuffer();

console.log(`# native against WASM, ${photos.length} photos; ${describeMachine()}`);
for (const model of models) {
  let maxScore = 0;
  const flips: string[] = [];
  const agreement: number[] = [];
  let refused: string | undefined;
  for (const photo of photos) {
    const a = answers.get(`native|${model}|${photo}`);
    const b = answers.get(`wasm|${model}|${photo}`);
    if (a instanceof Error || b instanceof Error) {
      refused = (b instanceof Error ? b : (a as Error)).message;
      continue;
    }
    if (Array.isArray(a.classes)) {
      for (const c of a.classes) {
        const other = b.classes.find((o: Answer) => o.index === c.index);
        if (other) maxScore = Math.max(maxScore, Math.abs(other.score - c.score));
      }
      if (a.classes[0].index !== b.classes[0].index)
        flips.push(`${photo} (${a.classes[0].score} / ${a.classes[1]?.score ?? 0})`);
    } else if (typeof a.mask === 'string') {
      const [x, y] = await Promise.all([maskPixels(a.mask), maskPixels(b.mask)]);
      let equal = 0;
      for (let i = 0; i < x.length; i++) if (x[i] === y[i]) equal++;
      agreement.push(equal / x.length);
    }
  }
  const parts = [model];
  if (refused) parts.push(`WASM: ${refused.slice(0, 120)}`);
  if (maxScore > 0 || flips.length > 0)
    parts.push(`max score difference ${maxScore.toFixed(4)}, top-1 differs on ${flips.length}: ${flips.join(', ')}`);
  if (agreement.length > 0)
    parts.push(
      `mask pixels equal ${(Math.min(...agreement) * 100).toFixed(1)}-${(Math.max(...agreement) * 100).toFixed(1)}%`,
    );
  console.log(parts.join('; '));
}
