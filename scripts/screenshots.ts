// The README's pictures: the playground answering a face photo, and the
// HTML report of an int8 compression, rendered by Debian's Chromium and
// written as small palette PNGs to docs/.
//   npm run build && npm run screenshots
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { launchChromium } from '../test/helpers/browser.js';
import { runCli } from '../test/helpers/cli.js';
import { startServer } from '../test/helpers/server.js';

const root = join(import.meta.dirname, '..');
const save = async (png: Buffer, name: string, width: number) => {
  const path = join(root, 'docs', name);
  const info = await sharp(png)
    .resize({ width })
    .png({ palette: true, colours: 128, compressionLevel: 9 })
    .toFile(path);
  console.log(`docs/${name}: ${info.width}x${info.height}, ${(info.size / 1024).toFixed(0)} KB`);
};

const browser = await launchChromium();
const server = await startServer({ MODEL_REPOSITORY: join(root, 'models') }, { playground: true });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
  await page.goto(`${server.url}/`);
  await page.waitForSelector('.sample[data-sample="astronaut.jpg"]');
  await page.click('.sample[data-sample="astronaut.jpg"]');
  await page.waitForSelector('body[data-state="done"]');
  await save(await page.screenshot(), 'playground.png', 960);

  const dir = mkdtempSync(join(tmpdir(), 'tfls-shots-'));
  const report = join(dir, 'report.html');
  const result = await runCli(
    'compress',
    join(root, 'models/face-detection/1/model.tflite'),
    '-o',
    join(dir, 'int8.tflite'),
    '--mode',
    'int8',
    '--calibration',
    join(root, 'assets/samples'),
    '--auto-keep-float',
    '1',
    '--report',
    report,
  );
  if (result.code !== 0) throw new Error(result.stderr);
  const reportPage = await browser.newPage({ viewport: { width: 860, height: 1250 } });
  await reportPage.goto(pathToFileURL(report).href);
  await save(await reportPage.screenshot(), 'compress-report.png', 700);
} finally {
  await browser.close();
  await server.close();
}
