// Headless Chromium (Debian's /usr/bin/chromium, package `chromium`) for the page tests, offline:
// every request that is not for a file is refused and listed, so a test can assert there was none.
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';

export interface OfflinePage {
  browser: Browser;
  page: Page;
  /** URLs the page tried to fetch from the network (refused). */
  refused: string[];
}

export async function openOffline(
  file: string,
  viewport = { width: 1400, height: 1000 },
): Promise<OfflinePage> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    timeout: 60_000,
  });
  const refused: string[] = [];
  const context = await browser.newContext({ viewport });
  await context.route('**', (route) => {
    if (route.request().url().startsWith('file:')) return route.continue();
    refused.push(route.request().url());
    return route.abort();
  });
  const page = await context.newPage();
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load', timeout: 30_000 });
  return { browser, page, refused };
}
