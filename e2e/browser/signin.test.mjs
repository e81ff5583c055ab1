// The product in real Chromium: the dev build's page with the real Go bindings,
// the real ClerkJS from npm, the embedded emulator, and a real Secret Service.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, launchBrowser, signIn, artifact, seedEmulator, keychainSecrets, browserShim, openApp } from './devapp.mjs';

let app, browser, users, shim;
const dir = mkdtempSync(join(tmpdir(), 'deskclerk-signin-'));

// A release build's sign-in for the same instance: the dev build must never use,
// rotate or delete it.
const releaseSignIn = 'release-build-client-token-must-stay';

before(async () => {
  execFileSync('secret-tool', ['store', '--label=deskclerk release', 'service', 'deskclerk (clerk.deskclerk.localhost)', 'username', '__clerk_client_jwt'], { input: releaseSignIn });
  users = await seedEmulator(join(dir, 'emu'));
  shim = browserShim(dir);
  app = await startApp({
    DESKCLERK_EMULATOR_DIR: join(dir, 'emu'),
    PATH: `${shim.path}:${process.env.PATH}`,
  }, dir);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await app?.stop();
});


// pageSecrets collects everything the page can see: DOM, web storage, binding results.
async function pageSecrets(page) {
  return page.evaluate(async () => {
    const App = window.go.main.App;
    return JSON.stringify({
      html: document.documentElement.outerHTML,
      local: { ...localStorage },
      session: { ...sessionStorage },
      status: await App.Status(),
      health: await App.Health(),
      oauth: await App.OAuthStatus(),
    });
  });
}

test('email and password sign-in, API calls, reload, sign-out', async () => {
  const ada = users[0];
  const { page, errors } = await openApp(browser, app.url);
  assert.equal(await page.evaluate(() => document.body.dataset.screen), 'signed-out');
  await page.waitForSelector('input[name=identifier]');

  // A wrong password is refused with Clerk's message and signs nobody in.
  await page.fill('input[name=identifier]', ada.email);
  await page.click('.cl-formButtonPrimary');
  await page.fill('input[name=password]', 'not-the-password');
  await page.click('.cl-formButtonPrimary');
  await page.waitForSelector('.cl-formFieldErrorText', { timeout: 15000 });
  await page.goto(app.url);
  await page.waitForFunction(() => document.body.dataset.screen === 'signed-out');

  assert.equal(await signIn(page, ada, join(dir, 'emu')), true, 'Client Trust asks a new device for the emailed code');
  assert.equal(await page.innerText('#profile-name'), `${ada.first_name} ${ada.last_name}`);
  assert.equal(await page.innerText('#profile-email'), ada.email);
  // The account button loads Clerk's UI only when pressed; then the account dialog opens.
  await page.click('#account-open:not([disabled])');
  await page.waitForSelector('.cl-userProfile-root', { timeout: 20000 });
  await page.keyboard.press('Escape');
  await page.waitForSelector('.cl-userProfile-root', { state: 'detached', timeout: 10000 });

  // /api/me is called on arrival; the answer names this user.
  await page.waitForFunction(() => document.getElementById('api-result').textContent.includes('user_'), null, { timeout: 15000 });
  const me = JSON.parse(await page.textContent('#api-result'));
  assert.equal(JSON.stringify(me).includes(ada.email), true, 'the API knows the user');
  await page.click('#api-me');
  await page.waitForFunction(() => !document.getElementById('api-me').disabled);
  assert.equal(await page.textContent('#api-error-text'), '');

  // Favourite colour: change, then read back from the API.
  await page.locator('#color-input').fill('#00aa88');
  await page.click('#color-save');
  await page.waitForFunction(() => document.getElementById('color-value').textContent.includes('#00aa88'), null, { timeout: 15000 });
  assert.match(await page.textContent('#color-saved'), /Saved/, 'a save is confirmed');
  await page.click('#color-load');
  await page.waitForFunction(() => !document.getElementById('color-load').disabled);
  assert.match(await page.innerText('#color-value'), /#00aa88/);
  assert.match(await page.innerText('#st-api'), /reachable \(200\)/);
  assert.match(await page.innerText('#st-keychain'), /Secret Service/);
  await page.screenshot({ path: artifact('browser-signed-in.png') });

  // The client token is in the keychain, and nowhere the page can see.
  const secrets = keychainSecrets('__clerk_client_jwt');
  assert.ok(secrets.length >= 1, 'the client token is in the keychain');
  const seen = await pageSecrets(page);
  for (const s of secrets) {
    for (const part of s.split(/[^A-Za-z0-9_-]+/).filter((p) => p.length >= 16)) {
      assert.equal(seen.includes(part), false, 'a piece of the keychain secret reached the page');
    }
  }

  // Another program on this machine reaching the dev server, without this launch's
  // key (a plain curl), gets neither the signed-in client nor a session token.
  for (const [method, path] of [['GET', '/__fapi/v1/client'], ['GET', '/__fapi/v1/me'], ['POST', '/__fapi/v1/client/sessions?_method=GET']]) {
    const res = await fetch(app.origin + path, { method });
    const body = await res.text();
    assert.equal(res.status, 403, `${method} ${path}: ${res.status}`);
    assert.doesNotMatch(body, /sess_|user_|eyJ/, `${method} ${path} leaked the sign-in: ${body.slice(0, 200)}`);
  }

  // Reload: still signed in, from the token in Go.
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.screen === 'signed-in', null, { timeout: 20000 });

  // Sign out: signed-out screen, web storage empty; the client token stays in the
  // keychain (Clerk keeps the client), and restores nobody.
  await page.click('#sign-out');
  await page.waitForFunction(() => document.body.dataset.screen === 'signed-out', null, { timeout: 15000 });
  assert.ok(keychainSecrets().length >= 1, 'sign-out keeps the client token');
  assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length), 0);
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.screen === 'signed-out', null, { timeout: 20000 });

  // The same device signs in again with the password alone (Client Trust knows it).
  assert.equal(await signIn(page, ada, join(dir, 'emu')), false, 'a returning device is not asked for a code');
  await page.screenshot({ path: artifact('browser-signed-in-forget.png') });

  // "Sign out and forget this device": the token is gone, and the next sign-in is a new device.
  await page.click('#forget-device');
  await page.waitForFunction(() => document.body.dataset.screen === 'signed-out', null, { timeout: 15000 });
  assert.deepEqual(keychainSecrets(), []);
  assert.deepEqual(keychainSecrets(undefined, 'deskclerk'), [releaseSignIn], "the release build's sign-in was not touched");
  assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length), 0);
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.screen === 'signed-out', null, { timeout: 20000 });
  assert.equal(await signIn(page, ada, join(dir, 'emu')), true, 'a forgotten device is asked for the code again');
  await page.click('#sign-out');
  await page.waitForFunction(() => document.body.dataset.screen === 'signed-out', null, { timeout: 15000 });
  assert.deepEqual(errors, []);
  await page.close();
});

test('social sign-in through the system browser: approve, deny, first-time user', async () => {
  const grace = users[1];
  const { page } = await openApp(browser, app.url);
  await page.waitForSelector('.cl-socialButtonsBlockButton__github');

  // Denied consent: a readable error in the window, still signed out.
  shim.set({ decision: 'deny' });
  await page.click('.cl-socialButtonsBlockButton__github');
  await page.waitForFunction(() => (document.body.dataset.oauth || '').startsWith('failed'), null, { timeout: 20000 });
  assert.match(await page.innerText('#errors'), /Social sign-in: .+/);
  assert.equal(await page.evaluate(() => document.body.dataset.screen), 'signed-out');

  // Approve as an existing account.
  shim.set({ decision: 'approve', identity: grace.email });
  await page.click('.cl-socialButtonsBlockButton__github');
  await page.waitForFunction(() => document.body.dataset.screen === 'signed-in', null, { timeout: 20000 });
  assert.equal(await page.innerText('#profile-email'), grace.email);
  await page.click('#sign-out');
  await page.waitForFunction(() => document.body.dataset.screen === 'signed-out', null, { timeout: 15000 });

  // A first-time user is signed up and signed in.
  const email = `new.person.${Date.now()}@example.com`;
  shim.set({ decision: 'approve', newEmail: email });
  await page.waitForSelector('.cl-socialButtonsBlockButton__google');
  await page.click('.cl-socialButtonsBlockButton__google');
  await page.waitForFunction(() => document.body.dataset.screen === 'signed-in', null, { timeout: 20000 });
  assert.equal(await page.innerText('#profile-email'), email);
  await page.screenshot({ path: artifact('browser-oauth-signed-up.png') });
  await page.click('#sign-out');
  await page.waitForFunction(() => document.body.dataset.screen === 'signed-out', null, { timeout: 15000 });
  assert.match(shim.log(), /deny ok[\s\S]*approve ok[\s\S]*approve ok/);

  // The page asking Go to open anything else (a phishing page) gets a clear refusal,
  // and no browser is started for it.
  const visits = shim.log();
  const refused = await page.evaluate(async () => {
    const App = window.go.main.App;
    await App.OAuthRedirectURL();
    return App.OAuthOpen('https://evil.example/login?redirect_uri=https%3A%2F%2Fevil.example%2Fv1%2Foauth_callback');
  });
  assert.match(refused.error, /refused to open that address.*not a sign-in address of 127\.0\.0\.1:\d+/);
  assert.equal(refused.error.includes('evil'), false, 'the refusal does not repeat the address');
  assert.equal(shim.log(), visits, 'no browser was started for it');
  await page.close();
});

test('social sign-in: cancel, and no browser (copy the address, finish by hand)', async () => {
  const ada = users[0];
  const { page } = await openApp(browser, app.url);
  await page.waitForSelector('.cl-socialButtonsBlockButton__github');

  // The person never finishes in the browser: a countdown, then Cancel ends the flow.
  shim.set({ ignore: true });
  await page.click('.cl-socialButtonsBlockButton__github');
  await page.waitForSelector('#oauth-panel');
  await page.waitForFunction(() => /\d:\d\d left/.test(document.getElementById('oauth-countdown')?.textContent || ''), null, { timeout: 10000 });
  await page.click('#oauth-cancel');
  await page.waitForSelector('#oauth-panel', { state: 'detached', timeout: 10000 });
  assert.equal((await page.evaluate(() => window.go.main.App.OAuthStatus())).active, false);
  assert.equal(await page.evaluate(() => document.body.dataset.screen), 'signed-out');
  assert.equal(await page.isVisible('#errors'), false, 'a Cancel of one\'s own raises no alert');

  // No browser at all: the window shows the address with a Copy button; opening it
  // by hand still completes the sign-in.
  shim.set({ noBrowser: true });
  await page.click('.cl-socialButtonsBlockButton__github');
  await page.waitForSelector('#oauth-manual:not([hidden])', { timeout: 15000 });
  assert.doesNotMatch(await page.textContent('#oauth-text'), /just opened/, 'no claim that a browser opened');
  const url = await page.inputValue('#oauth-url');
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\//);
  assert.ok(await page.isVisible('#oauth-copy'));
  shim.open(url, { decision: 'approve', identity: ada.email });
  await page.waitForFunction(() => document.body.dataset.screen === 'signed-in', null, { timeout: 20000 });
  assert.equal(await page.innerText('#profile-email'), ada.email);
  await page.click('#sign-out');
  await page.waitForFunction(() => document.body.dataset.screen === 'signed-out', null, { timeout: 15000 });
  await page.close();
});

// Manage account → Connected accounts → Connect account: @clerk/ui's ConnectedAccountsMenu
// goes through the app's OAuth transport (the system browser and back), then reloads the
// user; the connected account is listed, and can be removed again.
test('connect a Google account from Manage account, then remove it', async () => {
  const ada = users[0];
  const { page } = await openApp(browser, app.url);
  await signIn(page, ada, join(dir, 'emu'));
  await page.click('#account-open:not([disabled])'); // the header's account button
  await page.waitForSelector('.cl-userProfile-root, .cl-modalContent', { timeout: 15000 });
  shim.set({ decision: 'approve', identity: ada.email });
  await page.getByText('Connect account', { exact: true }).click();
  // Google: ada's GitHub account is linked by the social sign-in tests above.
  await page.getByRole('menuitem', { name: /Google/ }).click();
  const connected = page.locator('.cl-profileSectionItem__connectedAccounts', { hasText: 'Google' });
  await connected.waitFor({ timeout: 20000 });
  await page.screenshot({ path: artifact('browser-connected-account.png') });
  assert.match(shim.log(), /approve ok\s*$/);
  assert.equal((await page.evaluate(() => window.go.main.App.OAuthStatus())).active, false);

  // Remove it again (DELETE /v1/me/external_accounts/{id}).
  await connected.locator('.cl-menuButton, button[aria-label="Open menu"]').first().click();
  await page.getByRole('menuitem', { name: /Remove/ }).click();
  await page.getByRole('button', { name: /Remove/ }).last().click();
  await connected.waitFor({ state: 'detached', timeout: 15000 });
  await page.close();
});
