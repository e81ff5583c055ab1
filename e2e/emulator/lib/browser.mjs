// Launches Debian's Chromium through playwright-core, with the team's flags.
import { chromium } from 'playwright-core';

export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    timeout: 30_000,
  });
}

/** Opens the harness page and waits until ClerkJS has loaded (or failed). */
export async function openHarness(context, url, { clientToken, setup } = {}) {
  const page = await context.newPage();
  if (setup) await setup(page);
  const problems = [];
  page.on('pageerror', (err) => problems.push(String(err)));
  if (clientToken) await page.addInitScript((t) => { window.__initialClientToken = t; }, clientToken);
  await page.goto(url);
  await page.waitForFunction(() => window.__harness && (window.__harness.ready || window.__harness.error), null, { timeout: 30_000 });
  const error = await page.evaluate(() => window.__harness.error);
  if (error) throw new Error(`harness failed to load ClerkJS: ${error}`);
  page.problems = problems;
  return page;
}
