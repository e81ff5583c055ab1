// The page served by the dev build, with the real Go bindings, in real Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
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

// Another local program (or a web page) reaching the dev server: the gateway wants
// this launch's key, which only the page's address carries, and the bindings'
// websocket refuses foreign origins.
test('strangers get no token and no bindings', async () => {
  const page = await browser.newPage();
  await page.goto(app.url);
  await page.waitForFunction(() => document.body.dataset.screen === 'signed-out', null, { timeout: 30000 });
  const own = await page.evaluate(async () => (await fetch('/__fapi/v1/client?_clerk_js_version=6', {
    headers: { 'X-Deskclerk-Gateway-Key': new URLSearchParams(location.search).get('gateway-key') },
  })).status);
  assert.equal(own, 200, 'the page itself, with the key from its address, is served');

  for (const [method, path] of [['GET', '/__fapi/v1/client'], ['POST', '/__fapi/v1/client/sessions/sess_x/tokens'], ['GET', '/__fapi/v1/environment']]) {
    for (const key of [undefined, 'guessed-key']) {
      const res = await fetch(app.origin + path, { method, headers: key ? { 'X-Deskclerk-Gateway-Key': key } : {} });
      const body = await res.text();
      assert.equal(res.status, 403, `${method} ${path} without the key: ${res.status} ${body}`);
      assert.match(body, /gateway_key_invalid/);
      assert.equal(res.headers.get('authorization'), null);
      assert.doesNotMatch(body, /eyJ|"client"/, 'no token or client in the refusal');
    }
  }
  // The page as any program fetches it has no key in it.
  const html = await (await fetch(app.origin + '/')).text();
  assert.doesNotMatch(html, /deskclerk-gateway-key/);
  assert.equal(html.includes(new URL(app.url).searchParams.get('gateway-key')), false);

  const upgrade = (origin) => new Promise((ok, fail) => {
    const u = new URL(app.origin);
    const req = request({ host: u.hostname, port: u.port, path: '/wails/ipc', headers: {
      Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', Origin: origin,
    } });
    req.on('upgrade', (res, socket) => { socket.destroy(); ok(res.statusCode); });
    req.on('response', (res) => { res.resume(); ok(res.statusCode); });
    req.on('error', fail);
    req.end();
  });
  assert.equal(await upgrade('http://evil.example'), 403, 'a foreign web page cannot open the bindings websocket');
  assert.equal(await upgrade('null'), 403, 'nor can an opaque origin');
  assert.equal(await upgrade(app.origin), 101, "the page's own origin can");
  await page.close();
});
