// Several accounts (a multi-session instance): the dev build's page with the real Go
// bindings, the real ClerkJS and <UserButton/>, the embedded emulator with
// DESKCLERK_EMULATOR_MULTI_SESSION, and a real Secret Service.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, launchBrowser, signIn, artifact, seedEmulator, keychainSecrets } from './devapp.mjs';

let app, browser, users;
const dir = mkdtempSync(join(tmpdir(), 'deskclerk-accounts-'));
// Client Trust off: its code step inside the "Add account" card is not covered here
// (the card stalls after the password; see the README's known limits).
const env = () => ({ DESKCLERK_EMULATOR_DIR: join(dir, 'emu'), DESKCLERK_EMULATOR_MULTI_SESSION: 'true', DESKCLERK_EMULATOR_CLIENT_TRUST: 'false' });

before(async () => {
  users = await seedEmulator(join(dir, 'emu'));
  app = await startApp(env(), dir);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await app?.stop();
});

async function openApp() {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => { if (!String(e.stack).includes('/wails/ipc.js')) errors.push(e.message); });
  await page.goto(app.url);
  await page.waitForFunction(() => ['signed-in', 'signed-out', 'offline'].includes(document.body.dataset.screen), null, { timeout: 30000 });
  return { page, errors };
}

// whoAmI presses "Who am I?" and returns the email the protected API answers for.
async function whoAmI(page, expected) {
  await page.click('#api-me');
  await page.waitForFunction((email) => document.getElementById('api-result').textContent.includes(email), expected, { timeout: 15000 });
  return JSON.parse(await page.textContent('#api-result'));
}

async function shownAs(page, email) {
  await page.waitForFunction((e) => document.body.dataset.screen === 'signed-in' && document.getElementById('profile-email')?.textContent === e, email, { timeout: 20000 });
}

async function openUserMenu(page) {
  await page.waitForSelector('.cl-userButtonTrigger');
  await page.click('.cl-userButtonTrigger');
  await page.waitForSelector('.cl-userButtonPopoverCard');
}

test('add an account, switch, restart, sign out of one, sign out of all', async () => {
  const [ada, grace] = users;
  let { page, errors } = await openApp();
  await signIn(page, ada, join(dir, 'emu'));
  await shownAs(page, ada.email);
  await whoAmI(page, ada.email);

  // "Add account" in Clerk's user menu opens the sign-in card; ada stays signed in.
  await openUserMenu(page);
  await page.click('.cl-userButtonPopoverActionButton__addAccount');
  await page.waitForFunction(() => document.body.dataset.screen === 'add-account', null, { timeout: 15000 });
  await signIn(page, grace, join(dir, 'emu'));
  await shownAs(page, grace.email);
  assert.match(await page.innerText('#accounts-count'), /2 accounts/);
  await whoAmI(page, grace.email);

  // Switch back to ada in the user menu: API calls now carry her session.
  await openUserMenu(page);
  await page.click(`.cl-userPreviewSecondaryIdentifier:has-text("${ada.email}")`);
  await shownAs(page, ada.email);
  const me = await whoAmI(page, ada.email);
  assert.equal(JSON.stringify(me).includes(grace.email), false, 'the API answered for the active account only');
  await page.screenshot({ path: artifact('browser-accounts.png') });
  await page.close();

  // Restart: the same account is active (Clerk's last_active_session_id), grace still signed in.
  await app.stop();
  app = await startApp(env(), dir);
  ({ page, errors } = await openApp());
  await shownAs(page, ada.email);
  await whoAmI(page, ada.email);
  assert.match(await page.innerText('#accounts-count'), /2 accounts/);
  assert.match(await page.innerText('#st-expiry'), /^Expires .+ \(in \d+ (days|h)\)$/);

  // Sign out of grace only: ada is still signed in, and her API calls work.
  await openUserMenu(page);
  await page.click(`.cl-userPreviewSecondaryIdentifier:has-text("${grace.email}")`);
  await shownAs(page, grace.email);
  await page.click('#sign-out');
  await shownAs(page, ada.email);
  await whoAmI(page, ada.email);
  assert.match(await page.innerText('#accounts-count'), /1 account on/);
  assert.ok(keychainSecrets().length >= 1, 'the client (and ada) stay in the keychain');
  await page.reload();
  await shownAs(page, ada.email);

  // Add grace again with the app's own button, then "Sign out of all accounts".
  await page.click('#add-account');
  await page.waitForFunction(() => document.body.dataset.screen === 'add-account', null, { timeout: 15000 });
  await signIn(page, grace, join(dir, 'emu'));
  await shownAs(page, grace.email);
  await page.click('#sign-out-all');
  await page.waitForFunction(() => document.body.dataset.screen === 'signed-out', null, { timeout: 15000 });
  assert.deepEqual(keychainSecrets(), []);
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.screen === 'signed-out', null, { timeout: 20000 });
  assert.deepEqual(errors, []);
  await page.close();
});
