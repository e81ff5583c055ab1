// Several accounts (a multi-session instance): the dev build's page with the real Go
// bindings, the real ClerkJS and <UserButton/>, the embedded emulator with
// DESKCLERK_EMULATOR_MULTI_SESSION, and a real Secret Service.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, launchBrowser, signIn, artifact, seedEmulator, keychainSecrets, openApp } from './devapp.mjs';

let app, browser, users;
const dir = mkdtempSync(join(tmpdir(), 'deskclerk-accounts-'));
const env = () => ({ DESKCLERK_EMULATOR_DIR: join(dir, 'emu'), DESKCLERK_EMULATOR_MULTI_SESSION: 'true' });

before(async () => {
  users = await seedEmulator(join(dir, 'emu'));
  app = await startApp(env(), dir);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await app?.stop();
});

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
  let { page, errors } = await openApp(browser, app.url);
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
  ({ page, errors } = await openApp(browser, app.url));
  await shownAs(page, ada.email);
  await whoAmI(page, ada.email);
  assert.match(await page.innerText('#accounts-count'), /2 accounts/);
  assert.match(await page.innerText('#st-expiry'), /^Expires .+ \(in \d+ (days|h)\)$/);

  // Switch with the profile card's button, then sign out of grace only: ada is still
  // signed in, and her API calls work.
  assert.equal(await page.innerText('#switch-account-0'), `Switch to ${grace.email}`);
  await page.click('#switch-account-0');
  await shownAs(page, grace.email);
  await whoAmI(page, grace.email);
  await page.click('#sign-out');
  await shownAs(page, ada.email);
  await whoAmI(page, ada.email);
  assert.match(await page.innerText('#accounts-count'), /1 account on/);
  await openUserMenu(page); // Clerk's menu is back, now for ada
  assert.match(await page.innerText('.cl-userButtonPopoverCard'), new RegExp(ada.email));
  await page.keyboard.press('Escape');
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
  // Every session ended and the snapshot gone; the client token stays (Client Trust
  // knows this device by it), and the reload below finds no session on it.
  assert.deepEqual(keychainSecrets('deskclerk_session_snapshot'), []);
  assert.equal(keychainSecrets('__clerk_client_jwt').length, 1);
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.screen === 'signed-out', null, { timeout: 20000 });

  // Signing out in Clerk's own menu is the person's doing too: no "ended elsewhere"
  // line, and the snapshot goes as with the app's buttons.
  await signIn(page, ada, join(dir, 'emu'));
  await shownAs(page, ada.email);
  assert.equal(keychainSecrets('deskclerk_session_snapshot').length > 0, true);
  await openUserMenu(page);
  await page.click('.cl-userButtonPopoverActionButton__signOut');
  await page.waitForFunction(() => document.body.dataset.screen === 'signed-out', null, { timeout: 15000 });
  assert.equal(await page.$('#end-reason'), null, 'a sign-out asked for here is not explained as ended elsewhere');
  assert.deepEqual(keychainSecrets('deskclerk_session_snapshot'), []);
  assert.deepEqual(errors, []);
  await page.close();
});
