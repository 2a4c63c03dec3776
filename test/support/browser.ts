import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

/** Debian's chromium package (`.ci/run` installs it); CHROMIUM_PATH points elsewhere. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Headless, and quiet: no sandbox (CI runs as root), no GPU, and none of the browser's own
 * background traffic (updates, sync, field trials), so the only requests are the test's.
 */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Whether the browser specs can run. Without a browser they are skipped with a note, except
 * in CI (CI=true), where a missing browser is a failure rather than a silent skip.
 */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (process.env.CI === 'true') {
    throw new Error(`no browser at ${CHROMIUM_PATH}: .ci/run installs Debian's chromium`);
  }
  console.warn(
    `browser specs skipped: no browser at ${CHROMIUM_PATH} ` +
      '(apt-get install chromium, or set CHROMIUM_PATH)',
  );
  return false;
}

/** A browser with a fresh profile of its own (playwright makes a temporary one per launch). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

export interface WatchedContext {
  context: BrowserContext;
  /** Script errors, console errors (CSP violations among them) and requests to elsewhere. */
  problems: string[];
}

/**
 * A browser context that may only talk to `origin`: any other request is aborted and
 * recorded, and so is every script error and console error of its pages.
 */
export async function watchedContext(
  browser: Browser,
  origin: string,
  viewport = { width: 1280, height: 800 },
): Promise<WatchedContext> {
  const context = await browser.newContext({ viewport });
  context.setDefaultTimeout(10_000);
  const problems: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(`${origin}/`)) return route.continue();
    problems.push(`request to another origin: ${url}`);
    return route.abort();
  });
  context.on('page', (page) => {
    page.on('pageerror', (error) => problems.push(`script error: ${error.message}`));
    page.on('console', (message) => {
      // The API's own 4xx answers are logged by the browser as failed loads: expected here.
      if (message.type() === 'error' && !/status of 4\d\d/.test(message.text())) {
        problems.push(`console error: ${message.text()}`);
      }
    });
  });
  return { context, problems };
}
