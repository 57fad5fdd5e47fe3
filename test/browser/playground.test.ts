import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, launchChromium, screenshot } from '../helpers/browser.js';
import { mediapipe } from '../helpers/models.js';
import { addVersion, makeRepository } from '../helpers/repository.js';
import { call, startServer, type TestServer } from '../helpers/server.js';
import { zooModel, zooPresent } from '../helpers/zoo.js';

// MediaPipe's hand topology: the wrist, then four points up each finger.
const HAND_EDGES = [
  [0, 1],
  [1, 2],
  [2, 3],
  [3, 4],
  [0, 5],
  [5, 6],
  [6, 7],
  [7, 8],
  [5, 9],
  [9, 10],
  [10, 11],
  [11, 12],
  [9, 13],
  [13, 14],
  [14, 15],
  [15, 16],
  [13, 17],
  [0, 17],
  [17, 18],
  [18, 19],
  [19, 20],
];

let server: TestServer;
let browser: Browser;
const withZoo = zooPresent('the playground on a multi-class mask (DeepLab)');

/** The test repository, with hand landmarks (as version 2) joined by MediaPipe's skeleton. */
const repository = (): string => {
  const root = makeRepository();
  addVersion(root, 'hands', 2, mediapipe.handLandmarkFull, { task: 'landmarks', landmarks: { edges: HAND_EDGES } });
  // DeepLab as found (ImageSegmenter metadata, 21 PASCAL classes), when the shared models are here.
  if (withZoo) addVersion(root, 'deeplab', 1, zooModel('deeplabv3'));
  return root;
};

/** What the API answers for a photo, asked directly: what the page must draw. */
const apiAnswer = async (model: string, photo: Buffer) => {
  const { status, body } = await call(`${server.url}/v1/models/${model}:predict`, {
    method: 'POST',
    headers: { 'content-type': 'image/jpeg' },
    body: new Uint8Array(photo),
  });
  expect(status).toBe(200);
  return body.predictions[0];
};

const openPage = async (query = ''): Promise<Page> => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  (page as Page & { problems?: string[] }).problems = problems;
  await page.goto(`${server.url}/${query}`);
  return page;
};

const pageErrors = (page: Page): string[] => (page as Page & { problems?: string[] }).problems ?? [];

const chooseModel = async (page: Page, model: string) => {
  await page.waitForSelector(`#model option[value="${model}"]`, { state: 'attached' });
  await page.selectOption('#model', model);
  await page.waitForFunction((m) => document.querySelector('#card h2')?.textContent?.startsWith(m), model);
};

const waitForAnswer = (page: Page) => page.waitForSelector('body[data-state="done"], body[data-state="error"]');

beforeAll(async () => {
  server = await startServer(
    { MODEL_REPOSITORY: repository(), PRELOAD_MODELS: 'face-detection' },
    { playground: true },
  );
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the playground in a real browser (Debian Chromium)', () => {
  it('a sample photo with a face: the boxes drawn sit where the API says, on screen too', async () => {
    const page = await openPage();
    await chooseModel(page, 'face-detection');
    await page.click('.sample[data-sample="astronaut.jpg"]');
    await waitForAnswer(page);
    expect(await page.getAttribute('body', 'data-state')).toBe('done');
    const expected = await apiAnswer('face-detection', readFileSync('assets/samples/astronaut.jpg'));
    expect(expected.detections.length).toBeGreaterThan(0);
    const drawn = await page.evaluate(() => {
      const photo = document.getElementById('photo') as HTMLImageElement;
      const frame = photo.getBoundingClientRect();
      return {
        scale: frame.width / photo.naturalWidth,
        frame: { left: frame.left, top: frame.top },
        boxes: [...document.querySelectorAll('#overlay rect.box')].map((r) => ({
          x: Number(r.getAttribute('x')),
          y: Number(r.getAttribute('y')),
          width: Number(r.getAttribute('width')),
          height: Number(r.getAttribute('height')),
          screen: r.getBoundingClientRect().toJSON() as DOMRect,
        })),
        labels: [...document.querySelectorAll('#overlay .label')].map((t) => t.textContent),
        keypoints: document.querySelectorAll('#overlay .keypoint').length,
      };
    });
    expect(drawn.boxes).toHaveLength(expected.detections.length);
    for (const [i, box] of drawn.boxes.entries()) {
      const want = expected.detections[i].box;
      for (const key of ['x', 'y', 'width', 'height'] as const) expect(box[key]).toBeCloseTo(want[key], 1);
      // Where the browser put it: the photo's position plus the box scaled as the photo is.
      expect(box.screen.left).toBeCloseTo(drawn.frame.left + want.x * drawn.scale, 0);
      expect(box.screen.top).toBeCloseTo(drawn.frame.top + want.y * drawn.scale, 0);
      expect(box.screen.width).toBeCloseTo(want.width * drawn.scale, 0);
      expect(box.screen.height).toBeCloseTo(want.height * drawn.scale, 0);
    }
    expect(drawn.labels[0]).toMatch(/^face \d+(\.\d)?%$/);
    expect(drawn.keypoints).toBe(expected.detections.length * 6);
    // The Server-Timing split and the model card.
    const stages = await page.$$eval('.timing-legend li', (items) =>
      items.map((i) => (i as HTMLElement).dataset.stage),
    );
    expect(stages).toEqual(['decode', 'preprocess', 'infer', 'postprocess']);
    expect(await page.textContent('#card dd[data-fact="task"]')).toBe('face-detection');
    expect(await page.textContent('#card dd[data-fact="engine"]')).toMatch(/^(native|wasm)$/);
    expect(await page.textContent('#card dd[data-fact="settings from"]')).toBe('model.json');
    await screenshot(page, 'playground-face-detection');
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });

  it('an uploaded photo through the file input, landmarks with their skeleton, a mask, class bars', async () => {
    const page = await openPage();
    const photo = 'test/fixtures/people/camera.jpg';
    await chooseModel(page, 'hands');
    await page.setInputFiles('#file', photo);
    await waitForAnswer(page);
    const hands = await apiAnswer('hands', readFileSync(photo));
    expect(await page.locator('#overlay circle.landmark').count()).toBe(hands.landmarks.length);
    expect(await page.locator('#overlay line.edge').count()).toBe(HAND_EDGES.length);
    const first = await page.locator('#overlay circle.landmark').first();
    expect(Number(await first.getAttribute('cx'))).toBeCloseTo(hands.landmarks[0].x, 1);
    await screenshot(page, 'playground-hands');

    await chooseModel(page, 'selfie');
    await page.waitForSelector('#overlay image.mask');
    expect(await page.textContent('#caption')).toBe('mask, one class');
    await screenshot(page, 'playground-selfie');

    await chooseModel(page, 'colours');
    await page.waitForFunction(() => document.querySelectorAll('#classes li.class').length > 0);
    const colours = await apiAnswer('colours', readFileSync(photo));
    const bars = await page.$$eval('#classes li.class', (rows) =>
      rows.map((r) => [r.querySelector('.class-label')?.textContent, Number((r as HTMLElement).dataset.score)]),
    );
    expect(bars).toEqual(colours.classes.map((c: { label: string; score: number }) => [c.label, c.score]));
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });

  it.runIf(withZoo)('a class mask: each class coloured, and listed by its share with that colour', async () => {
    const page = await openPage();
    const photo = 'test/fixtures/images/astronaut.png';
    await chooseModel(page, 'deeplab');
    await page.setInputFiles('#file', photo);
    await waitForAnswer(page);
    const { status, body } = await call(`${server.url}/v1/models/deeplab:predict`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: new Uint8Array(readFileSync(photo)),
    });
    expect(status).toBe(200);
    const shares = body.predictions[0].shares as { label: string; index: number; share: number }[];
    expect(shares.map((s) => s.label)).toContain('person');
    expect(await page.textContent('#caption')).toBe(`mask, 21 classes, ${shares.length} in the photo`);
    const rows = await page.$$eval('#classes li.class', (items) =>
      items.map((r) => ({
        label: r.querySelector('.class-label')?.textContent,
        share: Number((r as HTMLElement).dataset.score),
        swatch: getComputedStyle(r.querySelector('.swatch')!).backgroundColor,
      })),
    );
    expect(rows.map((r) => [r.label, r.share])).toEqual(shares.map((s) => [s.label, s.share]));
    // The suit at (190, 300) is the astronaut (README): drawn in the colour the list gives person.
    const person = rows.find((r) => r.label === 'person')!;
    const drawn = await page.evaluate(async () => {
      const image = document.querySelector('#overlay image.mask')!.getAttribute('href')!;
      const element = new Image();
      element.src = image;
      await element.decode();
      const canvas = document.createElement('canvas');
      canvas.width = element.naturalWidth;
      canvas.height = element.naturalHeight;
      const context = canvas.getContext('2d')!;
      context.drawImage(element, 0, 0);
      const [r, g, b, a] = context.getImageData(190, 300, 1, 1).data;
      return { rgb: `rgb(${r}, ${g}, ${b})`, alpha: a };
    });
    // Within a step per channel: the mask is drawn translucent, and the canvas keeps it premultiplied.
    const channels = (rgb: string) => rgb.match(/\d+/g)!.map(Number);
    const want = channels(person.swatch);
    for (const [i, value] of channels(drawn.rgb).entries()) expect(Math.abs(value - want[i]!)).toBeLessThanOrEqual(2);
    expect(drawn.alpha).toBeGreaterThan(0);
    await screenshot(page, 'playground-deeplab');
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });

  it("bad input shows the API's own message, and the page keeps working", async () => {
    const page = await openPage();
    await chooseModel(page, 'face-detection');
    const notAnImage = join(ARTIFACTS, 'not-an-image.txt');
    writeFileSync(notAnImage, 'this is a shopping list, not a photo\n');
    await page.setInputFiles('#file', notAnImage);
    await waitForAnswer(page);
    expect(await page.getAttribute('body', 'data-state')).toBe('error');
    const form = new FormData();
    form.append('image', new Blob([readFileSync(notAnImage)], { type: 'text/plain' }), 'not-an-image.txt');
    const api = await call(`${server.url}/v1/models/face-detection:predict`, { method: 'POST', body: form });
    expect(api.status).toBeGreaterThanOrEqual(400);
    expect(api.status).toBeLessThan(500);
    expect(await page.textContent('#error')).toBe(`${api.status}: ${api.body.error}`);
    await screenshot(page, 'playground-not-an-image');
    // A good photo after the bad one is answered.
    await page.click('.sample[data-sample="astronaut.jpg"]');
    await page.waitForSelector('body[data-state="done"]');
    expect(await page.isHidden('#error')).toBe(true);
    expect(await page.locator('#overlay rect.box').count()).toBeGreaterThan(0);
    expect(pageErrors(page)).toEqual([]);
    await page.close();

    const unknown = await openPage('?model=nobody');
    await unknown.waitForSelector('#error:not([hidden])');
    const missing = await call(`${server.url}/v2/models/nobody`);
    expect(missing.status).toBe(404);
    expect(await unknown.textContent('#error')).toBe(`404: ${missing.body.error}`);
    expect(pageErrors(unknown)).toEqual([]);
    await unknown.close();
  });

  it('an API that cannot be reached is an error on the page, not a broken page', async () => {
    const page = await openPage('?api=http://127.0.0.1:9');
    await page.waitForSelector('#error:not([hidden])');
    expect(await page.textContent('#error')).toMatch(/^cannot reach the API at http:\/\/127\.0\.0\.1:9/);
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });
});

describe('the playground files', () => {
  it('only the local server with the playground on serves them, and nothing outside them', async () => {
    const page = await call(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect((await call(`${server.url}/playground/playground.js`)).headers.get('content-type')).toMatch(/javascript/);
    expect((await call(`${server.url}/playground/samples.json`)).body).toContain('astronaut.jpg');
    for (const path of ['/playground/..%2Fpackage.json', '/playground/samples/../README.md', '/playground/.env'])
      expect((await call(`${server.url}${path}`)).status).toBe(404);
    expect((await call(`${server.url}/playground/nothing.js`)).body).toEqual({
      error: 'no playground file nothing.js',
    });
    const apiOnly = await startServer({ MODEL_REPOSITORY: repository() });
    try {
      expect(await call(`${apiOnly.url}/`)).toMatchObject({ status: 404, body: { error: 'no route for GET /' } });
      expect((await call(`${apiOnly.url}/playground/playground.js`)).status).toBe(404);
    } finally {
      await apiOnly.close();
    }
  });
});
