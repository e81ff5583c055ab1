// A desktop clock 5 minutes off Clerk's either way: a standalone emulator runs its
// clock ahead or behind (-clock-offset), and the real app signs in, calls the API,
// refreshes its token and restarts signed in; the status line warns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, launchBrowser, signIn, startEmulator } from './devapp.mjs';

for (const [offset, words] of [['5m', /5 min behind Clerk/], ['-5m', /5 min ahead of Clerk/]]) {
  test(`Clerk's clock ${offset} from the desktop's`, async (t) => {
    const stops = [];
    t.after(async () => { for (const f of stops.reverse()) await f(); });
    const dir = mkdtempSync(join(tmpdir(), 'deskclerk-clock-'));
    const em = await startEmulator(join(dir, 'emu'), { args: ['-clock-offset', offset] });
    stops.push(() => em.stop());
    const env = { DESKCLERK_EMULATOR_URL: em.info.frontend_api_url, DESKCLERK_API_URL: em.info.api_url };
    let app = await startApp(env, dir);
    stops.push(() => app.stop());
    const browser = await launchBrowser();
    stops.push(() => browser.close());
    let page = await browser.newPage();
    await page.goto(app.url);

    // Sign-in and the first API call.
    await signIn(page, em.info.demo_users[0], join(dir, 'emu'));
    await page.waitForFunction(() => document.getElementById('api-result').textContent.includes('user_'), null, { timeout: 20000 });
    await page.waitForSelector('#st-clock:not([hidden])', { timeout: 15000 });
    assert.match(await page.innerText('#st-clock'), words);

    // A token refresh: a fresh token from the Frontend API through the gateway, verified in Go.
    const refreshed = await page.evaluate(async () => {
      // The gateway serves only the app's page: its calls carry this launch's key.
      const headers = { 'X-Deskclerk-Gateway-Key': new URLSearchParams(location.search).get('gateway-key') || '' };
      const client = await (await fetch('/__fapi/v1/client', { headers })).json();
      const sid = client.response.last_active_session_id;
      const { jwt } = await (await fetch(`/__fapi/v1/client/sessions/${sid}/tokens`, { method: 'POST', headers })).json();
      return window.go.main.App.CallAPI('GET', '/api/me', '', jwt);
    });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed));
    await page.click('#api-me');
    await page.waitForFunction(() => !document.getElementById('api-me').disabled);
    assert.equal(await page.textContent('#api-error-text'), '');

    // Restart: signed in again, and the API answers.
    await page.close();
    await app.stop();
    app = await startApp(env, dir);
    page = await browser.newPage();
    await page.goto(app.url);
    await page.waitForFunction(() => document.body.dataset.screen === 'signed-in', null, { timeout: 30000 });
    await page.waitForFunction(() => document.getElementById('api-result').textContent.includes('user_'), null, { timeout: 20000 });
    await page.close();
  });
}
