import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/engine/loadModel.js';
import { resolveManifest } from '../../src/manifest/resolveManifest.js';
import { runCli } from '../helpers/cli.js';
import { withMetadata } from '../helpers/metadataModel.js';
import { mediapipe } from '../helpers/models.js';
import { addVersion, colourModel } from '../helpers/repository.js';
import { call, startServer, type TestServer } from '../helpers/server.js';

// The colour classifier with the metadata tflite-support's ImageClassifier writer gives it: its name, a labels
// file on the output, and NormalizationOptions mapping 0..255 onto 0..1.
const classifier = () =>
  withMetadata(colourModel(), ['red', 'green', 'blue'], {
    name: 'ImageClassifier',
    normalization: { mean: [0], std: [255] },
  });
const noLabels = () => Promise.reject(new Error('no files'));

describe('TFLite Metadata as serving defaults (model.json wins, key by key)', () => {
  it('with no model.json, the metadata gives the task, the labels and the input scaling', async () => {
    const model = await loadModel(classifier(), { threads: 1 });
    const manifest = await resolveManifest(undefined, model, noLabels);
    model.dispose();
    expect(manifest.task).toBe('classification');
    expect(manifest.labels).toEqual(['red', 'green', 'blue']);
    expect(manifest.input).toMatchObject({ mean: [0], std: [255] });
    expect(manifest.sources).toEqual({ task: 'metadata', labels: 'metadata', input: 'metadata' });
  });

  it('a model.json key overrides that setting and only that one', async () => {
    const model = await loadModel(classifier(), { threads: 1 });
    const range = await resolveManifest({ input: { range: [0, 1] } }, model, noLabels);
    expect(range.sources).toEqual({ task: 'metadata', labels: 'metadata', input: 'model.json' });
    expect(range.input.mean).toBeUndefined();
    expect(range.labels).toEqual(['red', 'green', 'blue']);
    const labels = await resolveManifest({ labels: ['r', 'g', 'b'] }, model, noLabels);
    expect(labels.sources).toEqual({ task: 'metadata', labels: 'model.json', input: 'metadata' });
    expect(labels.labels).toEqual(['r', 'g', 'b']);
    const raw = await resolveManifest({ task: 'raw' }, model, noLabels);
    expect(raw.task).toBe('raw');
    expect(raw.sources.task).toBe('model.json');
    model.dispose();
  });

  it("a detector whose metadata names no task keeps the defaults' task but takes its normalization", async () => {
    const model = await loadModel(withMetadata(mediapipe.faceDetection, ['face']), { threads: 1 });
    const manifest = await resolveManifest(undefined, model, noLabels);
    model.dispose();
    expect(manifest.task).toBe('raw');
    expect(manifest.sources).toEqual({ task: 'default', labels: 'metadata', input: 'metadata' });
    expect(manifest.input).toMatchObject({ mean: [127.5], std: [127.5] });
  });
});

describe('served and inspected', () => {
  let server: TestServer;
  let root: string;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'tfls-metadata-'));
    addVersion(root, 'colours', 1, classifier());
    server = await startServer({ MODEL_REPOSITORY: root });
  });
  afterAll(() => server.close());

  it('a classifier with metadata and no model.json answers with its labels, and says where they came from', async () => {
    const photo = new Uint8Array(readFileSync('assets/samples/coffee.jpg'));
    const answer = await call(`${server.url}/v1/models/colours:predict`, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: photo,
    });
    expect(answer.body.error ?? answer.status).toBe(200);
    // By hand (test/fixtures/eval/README.md): coffee.jpg's channel means are 160, 86, 52.
    expect(answer.body.predictions[0].classes[0].label).toBe('red');
    const metadata = await call(`${server.url}/v2/models/colours`);
    expect(metadata.body.parameters).toMatchObject({
      task: 'classification',
      settings: 'defaults',
      settingsFrom: { task: 'metadata', labels: 'metadata', input: 'metadata' },
      labels: 3,
    });
  });

  it('tfls inspect prints what serving will do, and where each setting came from', async () => {
    const path = join(root, 'colours', '1', 'model.tflite');
    const text = await runCli('inspect', path);
    expect(text.stdout).toMatch(
      /serving\s+task classification \(metadata\); 3 labels \(metadata\); input stretch, mean 0 std 255 \(metadata\)/,
    );
    writeFileSync(join(root, 'colours', '1', 'model.json'), JSON.stringify({ input: { range: [0, 1] } }));
    const json = JSON.parse((await runCli('inspect', path, '--json')).stdout);
    expect(json.serving.sources).toEqual({ task: 'metadata', labels: 'metadata', input: 'model.json' });
    writeFileSync(join(root, 'colours', '1', 'model.json'), '{"task": "nonsense"}');
    const broken = JSON.parse((await runCli('inspect', path, '--json')).stdout);
    expect(broken.serving.error).toMatch(/invalid model.json/);
  });
});
