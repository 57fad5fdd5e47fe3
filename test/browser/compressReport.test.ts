import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompressReport } from '../../src/compress/types.js';
import { launchChromium, screenshot } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';

let browser: Browser;
const dir = mkdtempSync(join(tmpdir(), 'tfls-report-'));

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(() => browser?.close());

/** tfls compress writing both reports; the HTML one opened from disk, offline, with every request recorded. */
const compressAndOpen = async (name: string, flags: string[]) => {
  const html = join(dir, `${name}.html`);
  const jsonFile = join(dir, `${name}.json`);
  const result = await runCli(
    'compress',
    'models/face-detection/1/model.tflite',
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
  const page = await browser.newPage({ viewport: { width: 900, height: 800 } });
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(pathToFileURL(html).href);
  return { page, report, requests, html };
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

  it('float16: the rewritten tensors instead of layers', async () => {
    const { page, report } = await compressAndOpen('float16', ['--mode', 'float16', '--samples', '2']);
    expect(await page.locator('#layer-chart').count()).toBe(0);
    expect(await page.locator('#tensor-chart rect.tensor-bar').count()).toBe(Math.min(40, report.tensors.length));
    expect(report.constantBytes.after.float16).toBeGreaterThan(0);
    await page.close();
  });
});
