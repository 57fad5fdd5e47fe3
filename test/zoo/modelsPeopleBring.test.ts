import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compressModel } from '../../src/compress/compressModel.js';
import { imageInputSpec } from '../../src/manifest/resolveManifest.js';
import { disagreements, EIGHT_BIT, FLOAT, iou, type Tolerance } from '../helpers/parity.js';
import { addVersion } from '../helpers/repository.js';
import { call, startServer, type TestServer } from '../helpers/server.js';
import { zooModel, zooPresent } from '../helpers/zoo.js';

/**
 * Converter-made models nobody here made, served as found (no model.json
 * but where a user would need one), photo to answer through the HTTP
 * handler, on every engine. What the photos hold is written down in
 * test/fixtures/images/README.md, by a person, not by a model.
 */
const SUITE = 'models people bring (../shared/fixtures/models)';
const ENGINES = ['native', 'wasm'] as const;
type Engine = (typeof ENGINES)[number];

const PHOTOS = {
  orange: 'test/fixtures/objects/orange.jpg',
  cat: 'test/fixtures/images/chelsea.png',
  astronaut: 'test/fixtures/images/astronaut.png',
} as const;
/** The astronaut, measured by hand (README): x 20 to 362, y 16 to the bottom edge. */
const PERSON_BOX = { x: 20, y: 16, width: 342, height: 496 };
const CAT = /\b(tabby|tiger cat|Egyptian cat|Persian cat|Siamese cat)\b/;
// The PASCAL VOC classes, as the shared models' README gives them.
const PASCAL = [
  'background',
  'aeroplane',
  'bicycle',
  'bird',
  'boat',
  'bottle',
  'bus',
  'car',
  'cat',
  'chair',
  'cow',
  'diningtable',
  'dog',
  'horse',
  'motorbike',
  'person',
  'pottedplant',
  'sheep',
  'sofa',
  'train',
  'tv',
];

const CLASSIFIERS = ['mobilenet_v1_0.25_224_quant', 'mobilenet_v1_0.5_160_quant', 'mobilenet_v1_0.25_224_1_metadata_1'];
const SSD = 'coco_ssd_mobilenet_v1_1.0_quant_2018_06_29';
const DEEPLABS = ['deeplabv3', 'deeplabv3_mnv2_dm05_pascal_quant'];
/** Files written by tfls compress --mode int8, one per --io, and how far engines may differ on them. */
const COMPRESSED = ['face-int8-float32', 'face-int8-int8', 'face-int8-uint8', 'mobilenet-int8-uint8'];

/** Which models compute in 8 bits (kernel rounding differs between engines: see the tolerance). */
const tolerance = (model: string): Tolerance =>
  /quant|int8/.test(model) || model === SSD || model === 'automl_labeler_model' ? EIGHT_BIT : FLOAT;

describe.runIf(zooPresent(SUITE))(SUITE, () => {
  const servers = new Map<Engine, TestServer>();
  let root: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'tfls-zoo-'));
    for (const name of [...CLASSIFIERS, SSD, 'automl_labeler_model', 'deeplabv3'])
      addVersion(root, name, 1, zooModel(name));
    // No metadata: the task comes from its ARG_MAX class map; the labels are what a user adds.
    addVersion(root, DEEPLABS[1]!, 1, zooModel(DEEPLABS[1]!), { labels: PASCAL });
    const face = new Uint8Array(readFileSync('models/face-detection/1/model.tflite'));
    for (const io of ['float32', 'int8', 'uint8'] as const) {
      const { bytes } = await compressModel(face, {
        mode: 'int8',
        io,
        calibration: 'test/fixtures/images',
        imageSpec: imageInputSpec({ task: 'face-detection' }),
        latencyRuns: 1,
        sampleCount: 2,
        guard: false,
      });
      addVersion(root, `face-int8-${io}`, 1, bytes, { task: 'face-detection' });
    }
    const mobilenet = await compressModel(new Uint8Array(readFileSync(zooModel(CLASSIFIERS[2]!))), {
      mode: 'int8',
      io: 'uint8',
      calibration: 'test/fixtures/images',
      imageSpec: { ...imageInputSpec({ task: 'classification' }), range: [-1, 1] },
      latencyRuns: 1,
      sampleCount: 2,
      guard: false,
    });
    addVersion(root, 'mobilenet-int8-uint8', 1, mobilenet.bytes);
    for (const engine of ENGINES)
      servers.set(engine, await startServer({ MODEL_REPOSITORY: root, TFLITE_ENGINE: engine }));
  });

  afterAll(async () => {
    for (const server of servers.values()) await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  const predict = async (engine: Engine, model: string, photo: string) =>
    call(`${servers.get(engine)!.url}/v1/models/${model}:predict`, {
      method: 'POST',
      headers: { 'content-type': photo.endsWith('.png') ? 'image/png' : 'image/jpeg' },
      body: new Uint8Array(readFileSync(photo)),
    });

  const answer = async (engine: Engine, model: string, photo: string) => {
    const { status, body } = await predict(engine, model, photo);
    expect(body.error ?? status, `${engine} ${model} ${photo}`).toBe(200);
    return body.predictions[0];
  };

  describe.each(ENGINES)('on %s', (engine) => {
    it('the MobileNets, uint8 and float, name the orange and the cat in their top 3, as probabilities', async () => {
      for (const model of [...CLASSIFIERS, 'mobilenet-int8-uint8']) {
        const orange = await answer(engine, model, PHOTOS.orange);
        const cat = await answer(engine, model, PHOTOS.cat);
        const top3 = (p: { classes: { label: string }[] }) => p.classes.slice(0, 3).map((c) => c.label);
        expect(
          top3(orange).some((label) => /\borange\b/.test(label)),
          `${model}: ${top3(orange)}`,
        ).toBe(true);
        expect(
          top3(cat).some((label) => CAT.test(label)),
          `${model}: ${top3(cat)}`,
        ).toBe(true);
        for (const { score } of [...orange.classes, ...cat.classes]) {
          expect(score).toBeGreaterThanOrEqual(0);
          expect(score).toBeLessThanOrEqual(1);
        }
      }
    });

    it('the AutoML flower classifier answers its five labels as probabilities', async () => {
      const { classes } = await answer(engine, 'automl_labeler_model', PHOTOS.orange);
      expect(classes.map((c: { label: string }) => c.label).sort()).toEqual([
        'daisy',
        'dandelion',
        'roses',
        'sunflowers',
        'tulips',
      ]);
      const total = classes.reduce((sum: number, c: { score: number }) => sum + c.score, 0);
      expect(total).toBeCloseTo(1, 1);
    });

    it('the SSD finds the astronaut, labelled person, in the box measured by hand', async () => {
      const { status, body } = await predict(engine, SSD, PHOTOS.astronaut);
      if (engine === 'wasm') {
        // LiteRT.js answers this model once and then fails every run: refused at load, with the reason.
        expect(status).toBe(503);
        expect(body.error).toMatch(/LiteRT\.js cannot run this model more than once/);
        return;
      }
      expect(body.error ?? status).toBe(200);
      const people = body.predictions[0].detections.filter((d: { label: string }) => d.label === 'person');
      expect(people.length).toBeGreaterThanOrEqual(1);
      expect(iou(people[0].box, PERSON_BOX)).toBeGreaterThanOrEqual(0.5);
      for (const { score } of body.predictions[0].detections) expect(score).toBeLessThanOrEqual(1);
    });

    it('both DeepLabs mark the astronaut as person over most of her box, and the cat as cat', async () => {
      for (const model of DEEPLABS) {
        const astronaut = await answer(engine, model, PHOTOS.astronaut);
        expect(astronaut.labels[15]).toMatch(/^person$/);
        const pixels = await sharp(Buffer.from(astronaut.mask, 'base64')).extractChannel(0).raw().toBuffer();
        let person = 0;
        for (let y = PERSON_BOX.y; y < PERSON_BOX.y + PERSON_BOX.height; y++)
          for (let x = PERSON_BOX.x; x < PERSON_BOX.x + PERSON_BOX.width; x++) if (pixels[y * 512 + x] === 15) person++;
        expect(person / (PERSON_BOX.width * PERSON_BOX.height), model).toBeGreaterThan(0.5);
        const cat = await answer(engine, model, PHOTOS.cat);
        const foreground = cat.shares.filter((s: { index: number }) => s.index !== 0);
        expect(foreground[0].label, model).toBe('cat');
        expect(cat.shares.reduce((sum: number, s: { share: number }) => sum + s.share, 0)).toBeCloseTo(1, 3);
      }
    });
  });

  it('reads the task, labels and input scaling from what each file says', async () => {
    const parameters = async (model: string) =>
      (await call(`${servers.get('native')!.url}/v2/models/${model}`)).body.parameters;
    expect(await parameters(SSD)).toMatchObject({
      task: 'object-detection',
      labels: 90,
      settingsFrom: { task: 'metadata', labels: 'metadata', input: 'tensor' },
    });
    expect(await parameters('deeplabv3')).toMatchObject({
      task: 'segmentation',
      labels: 21,
      settingsFrom: { task: 'metadata', input: 'metadata' },
      input: { mean: [127.5], std: [127.5] },
    });
    expect(await parameters(DEEPLABS[1]!)).toMatchObject({
      task: 'segmentation',
      settingsFrom: { task: 'tensor', labels: 'model.json', input: 'tensor' },
    });
    // uint8 input, scale 1/128, zero point 128: the pixel bytes as they are.
    expect(await parameters(CLASSIFIERS[0]!)).toMatchObject({
      task: 'classification',
      labels: 1001,
      settingsFrom: { task: 'metadata', input: 'tensor' },
      input: { range: [-1, 0.9921875] },
    });
  });

  it('every engine answers as native does, for every model and every compress --io variant it loads', async () => {
    const problems: string[] = [];
    const compared: string[] = [];
    for (const model of [...CLASSIFIERS, 'automl_labeler_model', ...DEEPLABS, SSD, ...COMPRESSED]) {
      for (const photo of Object.values(PHOTOS)) {
        const { width = 0, height = 0 } = await sharp(photo).metadata();
        const size = Math.max(width, height);
        const reference = await predict('native', model, photo);
        expect(reference.body.error ?? reference.status, `native ${model} ${photo}`).toBe(200);
        for (const engine of ENGINES.filter((e) => e !== 'native')) {
          const other = await predict(engine, model, photo);
          if (other.status === 503) continue; // refused at load, with its reason (asserted above)
          compared.push(`${engine} ${model}`);
          for (const problem of await disagreements(
            reference.body.predictions[0],
            other.body.predictions[0],
            size,
            tolerance(model),
          ))
            problems.push(`${engine} ${model} ${photo}: ${problem}`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(new Set(compared).size).toBeGreaterThanOrEqual(ENGINES.length - 1 + COMPRESSED.length);
  });
});
