import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's chromium unless CHROMIUM_PATH names another build. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Quiet and reproducible: no GPU, no sandbox (root in CI), nothing fetched in the background, no first-run UI. */
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface HeadlessChromium {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Debian's Chromium, headless, driven by playwright-core, on a fresh profile of its own (removed by close). A missing
 * Chromium fails the test that asks for it, saying how to install it: a browser test never skips silently.
 */
export async function openHeadlessChromium(): Promise<HeadlessChromium> {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: install Debian's with \`apt-get install -y chromium\` (as root), or set CHROMIUM_PATH to a Chromium binary (docs/testing.md)`,
    );
  const profile = await mkdtemp(join(tmpdir(), 'boxoffice-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: ARGS,
      viewport: { width: 720, height: 900 },
      locale: 'en-GB',
      timezoneId: 'UTC',
    });
    return {
      context,
      close: async () => {
        await context.close();
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
}
