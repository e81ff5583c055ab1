// Social sign-in with the prebuilt <SignIn/>: ClerkJS's OAuth transport opens
// the emulator's consent page in another tab (the system browser, in the app),
// the page redirects to the callback URL with rotating_token_nonce, and ClerkJS
// finishes the sign-in (or transfers a new identity to a sign-up).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
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

/**
 * Opens the harness with an "external browser" that runs consent(tab) on the
 * provider page and hands the callback URL back to ClerkJS.
 */
async function openWithProvider(consent) {
  const seen = { consentURL: null, callbackURL: null };
  const page = await openHarness(await browser.newContext(), site.pageURL(emu), {
    setup: (p) => p.exposeFunction('harnessOpenExternal', async (url) => {
      seen.consentURL = url;
      const tab = await p.context().newPage();
      try {
        await tab.goto(url);
        await consent(tab);
        await tab.waitForURL((u) => u.pathname === '/oauth-callback', { timeout: 15_000 });
        seen.callbackURL = tab.url();
        return seen.callbackURL;
      } finally {
        await tab.close();
      }
    }),
  });
  return { page, seen };
}

const paths = (requests) => requests.map((r) => `${r.override || r.method} ${r.path.replace(/\/(sia|sua|sess)_[A-Za-z0-9]+/, '/$1_…')}`);

describe('social sign-in through the OAuth stand-in', () => {
  test('an existing user signs in with GitHub', async () => {
    const grace = emu.demo_users.find((u) => u.email === 'grace@example.com');
    const { page, seen } = await openWithProvider(async (tab) => {
      assert.match(await tab.textContent('#title'), /GitHub/);
      await tab.selectOption('#identity', grace.email);
      await tab.click('#approve');
    });
    await page.click('.cl-socialButtonsBlockButton__github');
    await page.waitForSelector('#status[data-state=signed-in]', { timeout: 20_000 });
    assert.match(await page.textContent('#status'), /grace@example\.com/);
    assert.ok(seen.consentURL.startsWith(`${emu.frontend_api_url}/oauth/github/authorize?`), seen.consentURL);
    const cb = new URL(seen.callbackURL);
    assert.match(cb.searchParams.get('rotating_token_nonce') ?? '', /^\w{20,}$/);
    const reqs = paths(await page.evaluate(() => window.__harness.requests));
    assert.ok(reqs.includes('POST /v1/client/sign_ins'), reqs.join('\n'));
    assert.ok(reqs.includes('GET /v1/client/sign_ins/sia_…'), reqs.join('\n'));
    const providers = await page.evaluate(() => window.__harness.clerk.user.externalAccounts.map((a) => a.provider));
    assert.deepEqual(providers, ['github']);
    await page.context().close();
  });

  test('a new identity from Google becomes a new user (transfer to sign-up)', async () => {
    const email = `new.${Date.now()}@example.org`;
    const { page } = await openWithProvider(async (tab) => {
      await tab.fill('#new-email', email);
      await tab.fill('#new-first-name', 'Katherine');
      await tab.fill('#new-last-name', 'Johnson');
      await tab.click('#approve');
    });
    await page.click('.cl-socialButtonsBlockButton__google');
    await page.waitForSelector('#status[data-state=signed-in]', { timeout: 20_000 });
    assert.match(await page.textContent('#status'), new RegExp(email.replace(/\./g, '\\.')));
    const reqs = paths(await page.evaluate(() => window.__harness.requests));
    assert.ok(reqs.includes('POST /v1/client/sign_ups'), `transfer to sign-up:\n${reqs.join('\n')}`);
    const user = await page.evaluate(() => {
      const u = window.__harness.clerk.user;
      return { first: u.firstName, last: u.lastName, providers: u.externalAccounts.map((a) => a.provider), verified: u.primaryEmailAddress.verification.status };
    });
    assert.deepEqual(user, { first: 'Katherine', last: 'Johnson', providers: ['google'], verified: 'verified' });
    await page.context().close();
  });

  test('denying consent sends ClerkJS the failure; it starts over, signed out', async () => {
    const { page, seen } = await openWithProvider(async (tab) => {
      await tab.click('#deny');
    });
    await page.click('.cl-socialButtonsBlockButton__github');
    // ClerkJS answers __clerk_status=failed by resetting: a second, fresh sign-in.
    await page.waitForFunction(() => window.__harness.requests.filter((r) => r.path === '/v1/client/sign_ins').length === 2, null, { timeout: 15_000 });
    const cb = new URL(seen.callbackURL);
    assert.equal(cb.searchParams.get('__clerk_status'), 'failed');
    assert.equal(cb.searchParams.get('__clerk_error_code'), 'oauth_access_denied');
    assert.equal(cb.searchParams.get('rotating_token_nonce'), null);
    const reqs = paths(await page.evaluate(() => window.__harness.requests));
    assert.ok(!reqs.some((r) => r.startsWith('GET /v1/client/sign_ins/')), 'no nonce, no reload');
    assert.equal(await page.getAttribute('#status', 'data-state'), 'signed-out');
    await page.context().close();
  });
});
