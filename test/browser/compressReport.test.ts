import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompressReport } from '../../src/compress/types.js';
import { ARTIFACTS, launchChromium, screenshot } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { mediapipe } from '../helpers/models.js';

let browser: Browser;
const dir = mkdtempSync(join(tmpdir(), 'tfls-report-'));

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(() => browser?.close());

/** tfls compress writing both reports; the HTML one opened from disk, offline, with every request recorded. */
const compressAndOpen = async (
  name: string,
  flags: string[],
  model = 'models/face-detection/1/model.tflite',
  viewport = { width: 900, height: 800 },
) => {
  const html = join(dir, `${name}.html`);
  const jsonFile = join(dir, `${name}.json`);
  const result = await runCli(
    'compress',
    model,
    '-o',
    join(dir, `${name}.tflite`),
    ...flags,
    '--report',
    html,
    '--report',
    jsonFile,
  );
  expect(result.stderr.split('\n').filter((l) => l && !l.includes('\r'))).toEqual([]);
  expect(result.code).toBe(0);
  const report = JSON.parse(readFileSync(jsonFile, 'utf8')) as CompressReport;
  const page = await browser.newPage({ viewport });
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(pathToFileURL(html).href);
  return { page, report, requests, html, stdout: result.stdout };
};

describe('tfls compress --report FILE.html, in a real browser', () => {
  it('int8: size by type, every layer sorted against the keep-float threshold, fidelity, latency', async () => {
    const { page, report, requests, html } = await compressAndOpen('int8', [
      '--mode',
      'int8',
      '--calibration',
      'assets/samples',
      '--samples',
      '8',
      '--auto-keep-float',
      '1',
      '--eval',
      'test/fixtures/eval/faces',
    ]);
    expect(requests).toEqual([pathToFileURL(html).href]);
    expect(report.layers!.length).toBeGreaterThan(20);
    const layers = await page.$$eval('#layer-chart rect.layer-bar', (bars) =>
      bars.map((b) => ({ layer: b.getAttribute('data-layer'), value: Number(b.getAttribute('data-value')) })),
    );
    expect(layers).toHaveLength(report.layers!.length);
    expect(layers.map((l) => l.value)).toEqual([...layers.map((l) => l.value)].sort((a, b) => b - a));
    expect(new Set(layers.map((l) => l.layer))).toEqual(new Set(report.layers!.map((l) => l.name)));
    const threshold = report.autoKeepFloat!.threshold;
    expect(Number(await page.getAttribute('#layer-chart line.threshold', 'data-value'))).toBe(threshold);
    expect(await page.locator('#layer-chart rect.layer-bar.over').count()).toBe(
      report.layers!.filter((l) => l.rmseOverScale > threshold).length,
    );
    // Bars are drawn to scale: a layer at twice another's value is twice as long.
    const widths = await page.$$eval('#layer-chart rect.layer-bar', (bars) =>
      bars.map((b) => b.getBoundingClientRect().width),
    );
    const scale = widths[0]! / layers[0]!.value;
    for (const [i, layer] of layers.entries())
      if (layer.value > layers[0]!.value / 20) expect(widths[i]! / scale / layer.value).toBeCloseTo(1, 2);

    const sizes = await page.$$eval('#size-chart rect.size-bar', (bars) =>
      bars.map((b) => [b.getAttribute('data-type'), b.getAttribute('data-side'), Number(b.getAttribute('data-bytes'))]),
    );
    const types = new Set([...Object.keys(report.constantBytes.before), ...Object.keys(report.constantBytes.after)]);
    expect(sizes).toHaveLength(types.size * 2);
    for (const [type, side, bytes] of sizes)
      expect(bytes).toBe(report.constantBytes[side as 'before' | 'after'][type as string] ?? 0);
    expect(report.constantBytes.after.int8).toBeGreaterThan(0);

    expect(await page.locator('#fidelity tr.fidelity-row').count()).toBe(report.fidelity.outputs.length);
    expect(await page.locator('#latency-chart rect.latency-bar').count()).toBe(2);
    // precision, recall, mean IoU, agreement, p50: before and after.
    expect(await page.locator('#eval tr.eval-row').count()).toBe(5);
    expect(report.eval!.kind).toBe('detection');
    expect(await page.textContent('#recommendation')).toBe(report.recommendation);
    await screenshot(page, 'compress-report-int8');
    await page.close();
  });

  it('int8 on pose landmarks, where the guard keeps dozens of fused layers: the first screen (1280x800) leads with the verdict and the recommendation, the lists collapsed, nothing past the right edge', async () => {
    const served = mkdtempSync(join(tmpdir(), 'tfls-report-pose-'));
    const model = join(served, 'pose_landmark_lite.tflite');
    copyFileSync(mediapipe.poseLandmarkLite, model);
    writeFileSync(join(served, 'model.json'), JSON.stringify({ task: 'landmarks', landmarks: { dims: 5 } }));
    const { page, report, stdout } = await compressAndOpen(
      'pose-int8',
      ['--mode', 'int8', '--calibration', 'test/fixtures/images', '--samples', 'test/fixtures/people'],
      model,
      { width: 1280, height: 800 },
    );
    const kept = report.keptFloat ?? [];
    expect(kept.length).toBeGreaterThan(30);
    expect(report.guard!.task!.statement).toMatch(/^every visible landmark within 1% of the input size/);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'compress-report-first-screen.png') });
    for (const id of ['#verdict', '#recommendation']) {
      const box = (await page.locator(id).boundingBox())!;
      expect(box.y, id).toBeGreaterThanOrEqual(0);
      expect(box.y + box.height, `${id} on the first screen`).toBeLessThanOrEqual(800);
    }
    expect(await page.textContent('#verdict')).toBe(report.verdict);
    expect(await page.textContent('#recommendation')).toBe(report.recommendation);
    // The kept layers: collapsed under a count, cut at 30 with how many more.
    const list = page.locator('details#kept');
    expect(await list.getAttribute('open')).toBeNull();
    expect(await list.locator('summary').textContent()).toBe(`${kept.length} layer(s) kept in float16`);
    expect(await list.locator('li code').count()).toBe(30);
    expect(await list.locator('li.more').textContent()).toMatch(new RegExp(`^and ${kept.length - 30} more`));
    // Open, long fused names wrap inside the page instead of running off its right edge.
    await list.locator('summary').click();
    const widest = await page.$$eval('details#kept li', (items) =>
      Math.max(...items.map((item) => item.getBoundingClientRect().right)),
    );
    expect(widest).toBeLessThanOrEqual(1280);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
    // The terminal summary stays short: lists are counted, the recommendation wrapped.
    expect(stdout.trimEnd().split('\n').length).toBeLessThanOrEqual(20);
    await page.close();
  });

  it('float32: the rewritten tensors instead of layers', async () => {
    const { page, report } = await compressAndOpen('float32', ['--mode', 'float32', '--samples', '2']);
    expect(await page.locator('#layer-chart').count()).toBe(0);
    expect(report.tensors.length).toBeGreaterThan(0);
    expect(await page.locator('#tensor-chart rect.tensor-bar').count()).toBe(Math.min(40, report.tensors.length));
    expect(report.constantBytes.after.float32).toBeGreaterThan(0);
    await page.close();
  });
});
