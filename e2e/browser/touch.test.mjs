// An instance whose client cookie expires within 8 days (ClerkJS then sends the
// window to <proxyUrl>/v1/client/touch on setActive and signOut) and that has user
// API keys enabled: the window stays on the app's page while the client is
// touched through the gateway, and <UserProfile/> shows no API keys page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, launchBrowser, signIn, startEmulator } from './devapp.mjs';

test('client touch keeps the window on the page; no API keys page', async (t) => {
  const stops = [];
  t.after(async () => { for (const f of stops.reverse()) await f(); });
  const dir = mkdtempSync(join(tmpdir(), 'deskclerk-touch-'));
  const em = await startEmulator(join(dir, 'emu'), { args: ['-cookie-expires-within', '168h', '-api-keys'] });
  stops.push(() => em.stop());
  const app = await startApp({ DESKCLERK_EMULATOR_URL: em.info.frontend_api_url, DESKCLERK_API_URL: em.info.api_url }, dir);
  stops.push(() => app.stop());
  const browser = await launchBrowser();
  stops.push(() => browser.close());
  const page = await browser.newPage();
  const documents = []; // every document the window loads
  const touches = []; // touch requests and the gateway's answers
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) documents.push(f.url()); });
  page.on('response', (r) => { if (r.url().includes('/v1/client/touch')) touches.push(`${new URL(r.url()).host} ${r.status()}`); });
  await page.goto(app.url);
  const origin = new URL(app.url).host;

  // Sign-in: setActive touches the client.
  await signIn(page, em.info.demo_users[0], join(dir, 'emu'));
  await page.waitForFunction(() => document.getElementById('api-result').textContent.includes('user_'), null, { timeout: 20000 });
  for (let i = 0; i < 100 && touches.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(touches, [`${origin} 303`], 'one touch, through the gateway on the page\'s own origin');

  // <UserProfile/>: the account pages, no API keys page although the instance offers it.
  await page.click('#account-open:not([disabled])'); // the header's account button
  await page.waitForSelector('.cl-navbarButton__security', { timeout: 15000 });
  assert.equal(await page.locator('.cl-navbarButton__apiKeys').count(), 0, 'no API keys page');
  await page.keyboard.press('Escape');

  // Sign-out touches again; the window is still the app's page.
  await page.click('#sign-out');
  await page.waitForFunction(() => document.body.dataset.screen === 'signed-out', null, { timeout: 15000 });
  for (let i = 0; i < 100 && touches.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(touches, [`${origin} 303`, `${origin} 303`]);
  assert.ok(documents.every((u) => new URL(u).host === origin && !u.includes('/v1/client/touch')), documents.join('\n'));
});
