// Faults, with real parts: a standalone emulator that is stopped and restarted,
// and a protected API that fails, answers late, or is not there at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, launchBrowser, signIn, artifact, seedEmulator, startEmulator, keychainSecrets, freePort } from './devapp.mjs';

// cleanup runs a test's stops in reverse order when it ends, pass or fail.
function cleaner(t) {
  const fns = [];
  t.after(async () => { for (const f of fns.reverse()) await f(); });
  return (f) => fns.push(f);
}


test('identity service down while signed in: offline, not signed out, and back', async (t) => {
  const cleanup = cleaner(t);
  const dir = mkdtempSync(join(tmpdir(), 'deskclerk-offline-'));
  const [fapiPort, apiPort] = [await freePort(), await freePort()];
  const addrs = { addr: `127.0.0.1:${fapiPort}`, apiAddr: `127.0.0.1:${apiPort}` };
  let em = await startEmulator(join(dir, 'emu'), addrs);
  cleanup(() => em.stop());
  const users = em.info.demo_users;
  const app = await startApp({
    DESKCLERK_EMULATOR_URL: em.info.frontend_api_url,
    DESKCLERK_API_URL: em.info.api_url,
  }, dir);
  cleanup(() => app.stop());
  const browser = await launchBrowser();
  cleanup(() => browser.close());
  const page = await browser.newPage();
  await page.goto(app.url);
  await signIn(page, users[0], join(dir, 'emu'));
  await page.waitForFunction(() => document.getElementById('api-result').textContent.includes('user_'));
  const stored = keychainSecrets('__clerk_client_jwt');
  assert.ok(stored.length > 0);

  await em.stop();
  // A call now fails with a readable error, and nobody is signed out.
  await page.click('#api-me');
  await page.waitForFunction(() => document.getElementById('api-error').textContent !== '', null, { timeout: 30000 });
  assert.match(await page.textContent('#api-error-text'), /did not answer|could not be renewed/);
  assert.equal(await page.evaluate(() => document.body.dataset.screen), 'signed-in');
  // A restart of the page while offline shows the signed-in screen from Go's snapshot,
  // labelled offline, with the API answers from before; network actions are disabled.
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.screen === 'offline-signed-in', null, { timeout: 60000 });
  assert.equal(await page.innerText('#profile-name'), `${users[0].first_name} ${users[0].last_name}`);
  assert.match(await page.innerText('#session-note'), /^Offline — last confirmed /);
  assert.match(await page.textContent('#api-result'), /user_/);
  assert.equal(await page.evaluate(() => document.getElementById('api-me').disabled && document.getElementById('sign-out').disabled), true);
  assert.match(await page.innerText('#network-note'), /sign-in service/);
  await page.screenshot({ path: artifact('browser-offline.png') });
  assert.deepEqual(keychainSecrets('__clerk_client_jwt'), stored, 'the stored sign-in survives the outage');

  // Back: the page retries by itself (backoff, and at once on focus) and reconciles in place.
  em = await startEmulator(join(dir, 'emu'), addrs);
  await page.evaluate(() => window.dispatchEvent(new Event('focus')));
  await page.waitForFunction(() => document.body.dataset.screen === 'signed-in' && document.body.dataset.session === 'confirmed', null, { timeout: 30000 });
  await page.click('#api-me');
  await page.waitForFunction(() => !document.getElementById('api-me').disabled);
  assert.equal(await page.innerText('#api-error'), '');
});

test('protected API failing: errors are shown, a retry works, bad tokens are never sent', async (t) => {
  const cleanup = cleaner(t);
  const dir = mkdtempSync(join(tmpdir(), 'deskclerk-api-'));
  const users = await seedEmulator(join(dir, 'emu'));
  let failures = 1; // the first /api/me answers 500
  const seenAuth = [];
  const api = createServer((req, res) => {
    seenAuth.push(req.headers.authorization || '');
    if (req.url.startsWith('/api/me') && failures-- > 0) {
      res.writeHead(500, { 'content-type': 'application/json' });
      return res.end('{"error":{"code":"boom","message":"database on fire"}}');
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(req.url.startsWith('/api/me') ? '{"user":{"id":"user_from_fake_api"}}' : '{"color":null}');
  });
  await new Promise((ok) => api.listen(0, '127.0.0.1', ok));
  cleanup(() => new Promise((ok) => api.close(ok)));
  const app = await startApp({
    DESKCLERK_EMULATOR_DIR: join(dir, 'emu'),
    DESKCLERK_API_URL: `http://127.0.0.1:${api.address().port}`,
  }, dir);
  cleanup(() => app.stop());
  const browser = await launchBrowser();
  cleanup(() => browser.close());
  const page = await browser.newPage();
  await page.goto(app.url);
  await signIn(page, users[0], join(dir, 'emu'));

  await page.waitForFunction(() => /500/.test(document.getElementById('api-error').textContent), null, { timeout: 20000 });
  assert.match(await page.textContent('#api-error-text'), /The API had a problem \(500: database on fire\)/);
  await page.click('#api-me');
  await page.waitForFunction(() => document.getElementById('api-result').textContent.includes('user_from_fake_api'), null, { timeout: 20000 });
  assert.equal(await page.textContent('#api-error-text'), '');
  assert.ok(seenAuth.every((a) => /^Bearer eyJ/.test(a)), 'every call carried a bearer JWT');

  // Invalid and expired-looking tokens are refused in Go and never reach the API.
  const before = seenAuth.length;
  for (const bad of ['not-a-jwt', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln', '']) {
    const res = await page.evaluate((t) => window.go.main.App.CallAPI('GET', '/api/me', '', t), bad);
    assert.equal(res.kind, 'token', `token ${JSON.stringify(bad)}`);
  }
  assert.equal(seenAuth.length, before, 'no bad token reached the API');

  // Nothing listening: a readable "did not answer".
  await new Promise((ok) => api.close(ok));
  await page.click('#api-me');
  await page.waitForFunction(() => /did not answer/.test(document.getElementById('api-error').textContent), null, { timeout: 20000 });
  assert.match(await page.innerText('#st-api'), /unreachable/);
});
