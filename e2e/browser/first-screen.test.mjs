// The page served by the dev build, with the real Go bindings, in real Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, launchBrowser, artifact } from './devapp.mjs';

let app, browser;
before(async () => {
  app = await startApp();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await app?.stop();
});

test('first screen: loading, then signed out, with the emulator labelled', async () => {
  const page = await browser.newPage();
  const errors = [];
  // Wails' dev-only IPC script throws once while mounting its reconnect overlay (it has
  // no anchor in any page); it is not served by real builds, so only our own errors count.
  page.on('pageerror', (e) => { if (!String(e.stack).includes('/wails/ipc.js')) errors.push(e.message); });
  await page.goto(app.url);
  await page.waitForFunction(() => document.body.dataset.screen === 'signed-out', null, { timeout: 30000 });
  assert.ok(await page.isVisible('#signed-out input[name=identifier]'), "Clerk's sign-in card is shown");
  assert.match(await page.innerText('#emulator-hint'), /\+clerk_test/);
  assert.match(await page.innerText('#mode'), /local emulator/i);
  assert.equal(await page.isVisible('#errors'), false, 'no start-up errors shown');
  assert.equal(await page.title(), 'Desk Clerk');
  await page.screenshot({ path: artifact('browser-first-screen.png') });
  await page.click('#about-open');
  assert.match(await page.innerText('#about'), /Version\s+\S+/);
  assert.match(await page.innerText('#about'), /local emulator \(clerk\.deskclerk\.localhost\)/);
  await page.click('#about-close');
  assert.equal(await page.isVisible('#about'), false);
  assert.deepEqual(errors, []);
});

test('bindings answer from Go', async () => {
  const page = await browser.newPage();
  await page.goto(app.url);
  await page.waitForFunction(() => window.go?.main?.App?.Status);
  const status = await page.evaluate(() => window.go.main.App.Status());
  assert.equal(status.mode, 'emulator');
  assert.equal(status.instance, 'clerk.deskclerk.localhost');
  assert.match(status.publishableKey, /^pk_test_/);
  assert.ok(Array.isArray(status.errors));
});
