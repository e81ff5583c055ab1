// The real ClerkJS 6.40.0 and its prebuilt UI (@clerk/ui 1.34.0), bundled by
// Vite and run in Debian's Chromium, against the emulator in native mode.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { verifyToken } from '@clerk/backend';
import { launchChromium, openHarness } from '../lib/browser.mjs';
import { startEmulator } from '../lib/emulator.mjs';
import { serveHarness } from '../lib/harness.mjs';

let site, emu, browser;

before(async () => {
  site = await serveHarness();
  emu = await startEmulator({ authorizedParties: [site.origin] });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await emu?.stop();
  await site?.close();
});

const paths = (requests) => requests.map((r) => `${r.override || r.method} ${r.path.replace(/\/(sia|sua|sess)_[A-Za-z0-9]+/, '/$1_…')}`);

// signInWithPassword signs in through <SignIn/>; when Client Trust asks for the
// emailed code (a client the user has not signed in on), it types it. It reports
// whether the code was asked.
async function signInWithPassword(page, user) {
  await page.fill('input[name=identifier]', user.email);
  await page.click('.cl-formButtonPrimary');
  await page.fill('input[name=password]', user.password);
  await page.click('.cl-formButtonPrimary');
  const step = await Promise.race([
    page.waitForSelector('#status[data-state=signed-in]', { timeout: 15_000 }).then(() => 'signed-in'),
    page.waitForSelector('.cl-otpCodeFieldInput, input[autocomplete=one-time-code]', { timeout: 15_000 }).then(() => 'code'),
  ]);
  if (step === 'code') {
    const code = await emu.waitForCode(user.email);
    assert.match(code ?? '', /^\d{6}$/, 'the Client Trust code is in the emulator log');
    await page.keyboard.type(code);
    await page.waitForSelector('#status[data-state=signed-in]', { timeout: 15_000 });
  }
  return step === 'code';
}

describe('ClerkJS in native mode against the emulator', () => {
  let storedToken; // what the app would keep in the keychain
  let ada;

  test('loads signed out and renders <SignIn/> with the emulator label and social buttons', async () => {
    ada = emu.demo_users.find((u) => u.email === 'ada@example.com');
    const page = await openHarness(await browser.newContext(), site.pageURL(emu));
    assert.equal(await page.getAttribute('#status', 'data-state'), 'signed-out');
    await page.waitForSelector('input[name=identifier]');
    const card = await page.textContent('.cl-card');
    assert.match(card, /Desk Clerk \(local emulator\)/);
    assert.match(card, /GitHub/);
    assert.match(card, /Google/);
    assert.deepEqual(paths(await page.evaluate(() => window.__harness.requests)).sort(), ['GET /v1/client', 'GET /v1/environment']);
    await page.context().close();
  });

  test('a wrong password shows Clerk\'s message and signs nobody in', async () => {
    const page = await openHarness(await browser.newContext(), site.pageURL(emu));
    await page.fill('input[name=identifier]', ada.email);
    await page.click('.cl-formButtonPrimary');
    await page.fill('input[name=password]', 'definitely-not-it');
    await page.click('.cl-formButtonPrimary');
    const err = await page.waitForSelector('.cl-formFieldErrorText', { timeout: 15_000 });
    assert.match(await err.textContent(), /Password is incorrect/);
    assert.equal(await page.getAttribute('#status', 'data-state'), 'signed-out');
    await page.context().close();
  });

  test('password sign-in through <SignIn/>, getToken(), the demo API and <UserButton/>', async () => {
    const page = await openHarness(await browser.newContext(), site.pageURL(emu));
    assert.equal(await signInWithPassword(page, ada), true, 'a new client asks for the Client Trust code');
    await page.waitForSelector('.cl-userButtonTrigger');
    const reqs = await page.evaluate(() => window.__harness.requests);
    assert.deepEqual(paths(reqs).slice(2), [
      'POST /v1/client/sign_ins',
      'POST /v1/client/sign_ins/sia_…/attempt_first_factor',
      'POST /v1/client/sign_ins/sia_…/prepare_second_factor',
      'POST /v1/client/sign_ins/sia_…/attempt_second_factor',
      'POST /v1/client/sessions/sess_…/touch',
    ]);
    // A client token came with the first sign-in request, and a rotated one on completion.
    assert.equal(reqs[2].gotToken, true);
    assert.equal(reqs[5].gotToken, true);
    assert.equal(reqs[5].sentToken, true);

    const jwt = await page.evaluate(() => window.__harness.clerk.session.getToken({ skipCache: true }));
    assert.match(jwt, /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    const claims = await verifyToken(jwt, { jwtKey: emu.public_key_pem, authorizedParties: [site.origin] });
    assert.equal(claims.iss, emu.issuer);
    assert.equal(claims.azp, site.origin, 'azp is the page Origin');
    assert.equal(claims.sid, await page.evaluate(() => window.__harness.clerk.session.id));
    assert.equal(claims.sub, await page.evaluate(() => window.__harness.clerk.user.id));
    assert.equal(claims.exp - claims.iat, 60);

    // The demo API, called from the page (cross-origin, CORS) with the bearer token.
    const me = await page.evaluate(async ([api, token]) => {
      const r = await fetch(`${api}/api/me`, { headers: { Authorization: `Bearer ${token}` } });
      return { status: r.status, body: await r.json() };
    }, [emu.api_url, jwt]);
    assert.equal(me.status, 200);
    assert.equal(me.body.user.email, ada.email);
    assert.equal(me.body.session.azp, site.origin);

    // <UserButton/> opens its menu with the user's identity and a sign-out action.
    await page.click('.cl-userButtonTrigger');
    const popover = await page.waitForSelector('.cl-userButtonPopoverCard');
    assert.match(await popover.textContent(), /Ada Lovelace/);
    await page.waitForSelector('.cl-userButtonPopoverActionButton__signOut');
    await page.keyboard.press('Escape');

    storedToken = await page.evaluate(() => window.__harness.clientToken());
    assert.ok(storedToken, 'the harness holds a client token');
    assert.equal(page.problems.length, 0, page.problems.join('\n'));
    await page.context().close();
  });

  test('<UserProfile/>: a name change reaches the demo API (user.updated webhook); Security lists the device', async () => {
    const page = await openHarness(await browser.newContext(), site.pageURL(emu), { clientToken: storedToken });
    await page.click('.cl-userButtonTrigger');
    await page.click('.cl-userButtonPopoverActionButton__manageAccount');
    await page.click('text=Update profile');
    await page.fill('input[name=firstName]', 'Augusta Ada');
    await page.click('.cl-formButtonPrimary');
    await page.waitForFunction(() => window.__harness.clerk.user.firstName === 'Augusta Ada', null, { timeout: 10_000 });

    const jwt = await page.evaluate(() => window.__harness.clerk.session.getToken());
    let name;
    for (let i = 0; i < 50 && name !== 'Augusta Ada'; i++) { // the webhook is asynchronous, as with Clerk
      const r = await fetch(`${emu.api_url}/api/me`, { headers: { Authorization: `Bearer ${jwt}`, Origin: site.origin } });
      name = (await r.json()).user?.first_name;
      if (name !== 'Augusta Ada') await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(name, 'Augusta Ada');

    await page.click('.cl-navbarButton__security');
    await page.waitForSelector('.cl-activeDevice', { timeout: 10_000 });
    assert.match(await page.textContent('.cl-activeDevice'), /Chrome/);
    const reqs = paths(await page.evaluate(() => window.__harness.requests));
    assert.ok(reqs.includes('PATCH /v1/me'), reqs.join('\n'));
    assert.ok(reqs.includes('GET /v1/me/sessions/active'), reqs.join('\n'));
    assert.equal(page.problems.length, 0, page.problems.join('\n'));
    await page.context().close();
  });

  test('a fresh page given only the stored client token is signed in again', async () => {
    const page = await openHarness(await browser.newContext(), site.pageURL(emu), { clientToken: storedToken });
    assert.equal(await page.getAttribute('#status', 'data-state'), 'signed-in');
    assert.match(await page.textContent('#status'), /ada@example\.com/);
    await page.waitForSelector('.cl-userButtonTrigger');
    const reqs = await page.evaluate(() => window.__harness.requests);
    assert.deepEqual(paths(reqs).sort(), ['GET /v1/client', 'GET /v1/environment'], 'a cold start needs only environment and client');
    assert.ok(reqs.every((r) => r.sentToken));
    const jwt = await page.evaluate(() => window.__harness.clerk.session.getToken());
    await verifyToken(jwt, { jwtKey: emu.public_key_pem, authorizedParties: [site.origin] });

    // Sign out through <UserButton/>.
    await page.click('.cl-userButtonTrigger');
    await page.click('.cl-userButtonPopoverActionButton__signOut');
    await page.waitForSelector('#status[data-state=signed-out]', { timeout: 15_000 });
    await page.waitForSelector('input[name=identifier]');
    const after = paths(await page.evaluate(() => window.__harness.requests));
    assert.ok(after.includes('DELETE /v1/client/sessions'), after.join('\n'));

    // The ended session can no longer mint tokens, and the stored token now restores nothing.
    const r = await fetch(`${emu.frontend_api_url}/v1/client/sessions/${JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url')).sid}/tokens?_is_native=1`, {
      method: 'POST', headers: { Authorization: storedToken },
    });
    assert.equal(r.status, 401);
    assert.equal((await r.json()).errors[0].code, 'signed_out');
    await page.context().close();

    const again = await openHarness(await browser.newContext(), site.pageURL(emu), { clientToken: storedToken });
    assert.equal(await again.getAttribute('#status', 'data-state'), 'signed-out');
    // The client outlived the sign-out: Client Trust recognises it, the password is enough.
    await again.waitForSelector('input[name=identifier]');
    assert.equal(await signInWithPassword(again, ada), false, 'a returning client is not asked for a code');
    await again.context().close();
    // A new client (a forgotten device) is asked again.
    const fresh = await openHarness(await browser.newContext(), site.pageURL(emu));
    assert.equal(await signInWithPassword(fresh, ada), true, 'a new client is asked for the code');
    await fresh.context().close();
  });

  test('sign-up through <SignUp/> with an emailed code; a client deleted elsewhere then signs ClerkJS out (401)', async () => {
    const page = await openHarness(await browser.newContext(), site.pageURL(emu, { view: 'sign-up' }));
    const email = `alan.${Date.now()}@example.com`;
    await page.waitForSelector('input[name=emailAddress]');
    await page.fill('input[name=emailAddress]', email);
    await page.fill('input[name=password]', 'enigma-machine-1912');
    await page.click('.cl-formButtonPrimary');
    await page.waitForSelector('input[autocomplete=one-time-code], .cl-otpCodeFieldInput', { timeout: 15_000 });
    const code = await emu.waitForCode(email);
    assert.match(code ?? '', /^\d{6}$/, 'the code is in the emulator log');
    await page.keyboard.type(code);
    await page.waitForSelector('#status[data-state=signed-in]', { timeout: 15_000 });
    assert.match(await page.textContent('#status'), new RegExp(email.replace(/\./g, '\\.')));
    const reqs = paths(await page.evaluate(() => window.__harness.requests));
    assert.deepEqual(reqs.slice(2), [
      'POST /v1/client/sign_ups',
      'POST /v1/client/sign_ups/sua_…/prepare_verification',
      'POST /v1/client/sign_ups/sua_…/attempt_verification',
      'POST /v1/client/sessions/sess_…/touch',
    ]);

    // The client dies behind ClerkJS's back (another device, an admin): the
    // next token request gets a 401, ClerkJS reloads the client and signs out.
    const token = await page.evaluate(() => window.__harness.clientToken());
    const del = await fetch(`${emu.frontend_api_url}/v1/client?_is_native=1&_method=DELETE`, { method: 'POST', headers: { Authorization: token } });
    assert.equal(del.status, 200);
    const outcome = await page.evaluate(() => window.__harness.clerk.session.getToken({ skipCache: true }).then(() => 'token', (e) => e.status ?? String(e)));
    assert.equal(outcome, 401);
    await page.waitForSelector('#status[data-state=signed-out]', { timeout: 15_000 });
    const log = paths(await page.evaluate(() => window.__harness.requests));
    const refused = log.lastIndexOf('POST /v1/client/sessions/sess_…/tokens');
    assert.ok(refused > 0 && log.slice(refused + 1).includes('GET /v1/client'), `ClerkJS reloads the client after the 401:\n${log.join('\n')}`);
    await page.context().close();
  });
});
