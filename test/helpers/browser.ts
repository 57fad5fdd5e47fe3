import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Where browser tests leave their screenshots (CI keeps the folder as an artifact). */
const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');

/**
 * Debian's Chromium, headless, driven by Playwright: nothing downloads a
 * browser. CHROMIUM_PATH points elsewhere; .ci/run installs the package.
 */
const launchChromium = async (): Promise<Browser> => {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  try {
    return await chromium.launch({
      executablePath,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
    });
  } catch (error) {
    throw new Error(
      `cannot start Chromium at ${executablePath} (apt-get install chromium, or set CHROMIUM_PATH): ${(error as Error).message.split('\n')[0]}`,
    );
  }
};

/** A full-page screenshot under test-artifacts/. */
const screenshot = async (page: Page, name: string): Promise<string> => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
};

export { ARTIFACTS, launchChromium, screenshot };
