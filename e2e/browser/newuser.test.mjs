// A new user's path, at the window's minimum size (720×560): the dead ends found
// when the app was tried from scratch, each checked with the real ClerkJS, the dev
// build's real Go bindings, a standalone emulator and a real Secret Service.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { startApp, launchBrowser, signIn, artifact, startEmulator, freePort, openApp } from './devapp.mjs';

const minSize = { width: 720, height: 560 }; // main.go: MinWidth, MinHeight
const dir = mkdtempSync(join(tmpdir(), 'deskclerk-newuser-'));
let app, browser, em, addrs;

before(async () => {
  addrs = { addr: `127.0.0.1:${await freePort()}`, apiAddr: `127.0.0.1:${await freePort()}` };
  em = await startEmulator(join(dir, 'emu'), addrs);
  app = await startApp({ DESKCLERK_EMULATOR_URL: em.info.frontend_api_url, DESKCLERK_API_URL: em.info.api_url }, dir);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await app?.stop();
  await em?.stop();
});

// fitsAtMinSize: nothing of the window's frame is clipped — the footer is one
// line, fully inside the viewport, and the header keeps its height.
async function assertFits(page, name) {
  await page.screenshot({ path: artifact(`newuser-${name}.png`) });
  const box = await page.evaluate(() => {
    const r = (id) => document.getElementById(id)?.getBoundingClientRect().toJSON();
    const status = document.getElementById('status');
    const lineHeight = parseFloat(getComputedStyle(status).fontSize) * 1.6;
    const items = [...status.children].filter((x) => x.offsetParent !== null).map((x) => x.getBoundingClientRect().top);
    return { footer: r('status'), lines: new Set(items.map((t) => Math.round(t))).size, lineHeight, h: innerHeight, w: innerWidth };
  });
  assert.equal(box.lines, 1, `${name}: the status line wraps onto ${box.lines} lines`);
  assert.ok(box.footer.bottom <= box.h + 0.5 && box.footer.right <= box.w + 0.5, `${name}: the footer is clipped: ${JSON.stringify(box)}`);
}

// solidPNG makes a size×size PNG of one colour (an avatar to upload).
function solidPNG(size, [r, g, b]) {
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (buf) => { let c = 0xffffffff; for (const x of buf) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0); ihdr.writeUInt32BE(size, 4); ihdr[8] = 8; ihdr[9] = 2;
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: size }, () => [r, g, b]).flat())]);
  const raw = Buffer.concat(Array.from({ length: size }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

async function signOut(page) {
  await page.click('#sign-out');
  await page.waitForFunction(() => document.body.dataset.screen === 'signed-out', null, { timeout: 20000 });
}

// openAccount opens Clerk's <UserProfile/> ("Manage account") from the user button.
async function openAccount(page) {
  await page.click('#account-open:not([disabled])'); // the header's account button
  await page.waitForSelector('.cl-userProfile-root, .cl-modalContent', { timeout: 15000 });
}

async function closeAccount(page) {
  await page.keyboard.press('Escape');
  await page.waitForSelector('.cl-modalContent', { state: 'detached', timeout: 10000 });
}

test('sign up, sign out: the sign-in card is there (no blank window)', async () => {
  const { page, errors } = await openApp(browser, app.url, { viewport: minSize });
  await assertFits(page, 'signed-out');
  const hint = await page.$('#emulator-hint');
  assert.ok(hint, 'the emulator hint is shown');
  const hintBox = await hint.boundingBox();
  assert.ok(hintBox.y + hintBox.height <= minSize.height, `the emulator hint is below the fold: ${JSON.stringify(hintBox)}`);

  // The card signs in or up: a new address leads on to sign-up.
  const email = `newbie.${Date.now()}+clerk_test@example.com`;
  await page.fill('input[name=identifier]', email);
  await page.click('.cl-formButtonPrimary');
  await page.waitForSelector('input[name=password]', { timeout: 15000 });
  await page.fill('input[name=password]', 'a-first-password-1');
  await page.click('.cl-formButtonPrimary');
  await page.waitForSelector('input[autocomplete=one-time-code], .cl-otpCodeFieldInput', { timeout: 15000 });
  assert.match(await page.evaluate(() => location.hash), /verify/);
  await page.keyboard.type('424242');
  await page.waitForFunction(() => document.body.dataset.screen === 'signed-in', null, { timeout: 20000 });
  await page.waitForSelector('#api-answer', { timeout: 20000 });
  await assertFits(page, 'signed-in');

  await signOut(page);
  await page.waitForSelector('input[name=identifier]', { timeout: 10000 });
  assert.equal(await page.evaluate(() => location.hash), '');
  // The status line follows the sign-out (it is refreshed right after it).
  await page.waitForFunction(() => document.getElementById('st-api').textContent === 'API: —', null, { timeout: 10000 });
  await page.screenshot({ path: artifact('newuser-after-signup-signout.png') });
  assert.deepEqual(errors, []);
  await page.close();
});

test('Manage account: add and verify an email, make it primary, new password, avatar, rename', async (t) => {
  const { page, errors } = await openApp(browser, app.url, { viewport: minSize });
  const ada = em.info.demo_users.find((u) => u.email === 'ada@example.com');
  await signIn(page, ada, join(dir, 'emu'));
  await page.waitForSelector('#api-answer', { timeout: 20000 });
  await openAccount(page);
  await page.screenshot({ path: artifact('newuser-account.png') });
  const modal = await page.$('.cl-modalContent');
  const mb = await modal.boundingBox();
  assert.ok(mb.y >= 0 && mb.y + mb.height <= minSize.height + 0.5, `the Account dialog is clipped: ${JSON.stringify(mb)}`);

  // Rename: the card follows Clerk's user object.
  page.setDefaultTimeout(15000);
  t.after(() => page.screenshot({ path: artifact('newuser-account-last.png') }).catch(() => {}));
  await page.click('text=Update profile');
  await page.fill('input[name=firstName]', 'Augusta');
  // Clerk's form takes the click only once it has seen the new value: press Save
  // until the form closes (a deadline, not a fixed wait).
  for (let i = 0; i < 4; i++) {
    await page.click('.cl-formButtonPrimary:not([disabled])');
    if (await page.waitForSelector('input[name=firstName]', { state: 'detached', timeout: 5000 }).then(() => true, () => false)) break;
  }
  await page.waitForFunction(() => document.getElementById('profile-name').textContent.startsWith('Augusta'), null, { timeout: 10000 });

  // Avatar: upload a picture; the card shows it.
  await page.click('text=Update profile');
  const png = solidPNG(16, [0x1b, 0x8a, 0x5a]);
  await page.setInputFiles('.cl-modalContent input[type=file]', { name: 'me.png', mimeType: 'image/png', buffer: png });
  // Clerk uploads the picture as soon as it is chosen.
  await page.waitForFunction(() => {
    const img = document.getElementById('profile-avatar');
    return /\/emulator\/images\//.test(img.src) && img.complete && img.naturalWidth === 16;
  }, null, { timeout: 15000 });
  await page.waitForSelector('.cl-formButtonReset', { state: 'detached' }); // and closes the form

  // A second email address, verified with the mailed code, made primary.
  const newEmail = `ada.${Date.now()}+clerk_test@example.com`;
  await page.click('text=Add email address');
  await page.fill('input[name=emailAddress]', newEmail);
  await page.click('.cl-formButtonPrimary');
  await page.waitForSelector('input[autocomplete=one-time-code], .cl-otpCodeFieldInput', { timeout: 15000 });
  await page.keyboard.type('424242');
  await page.waitForSelector(`text=${newEmail}`, { timeout: 15000 });
  // Make it primary: the card follows.
  const row = page.locator('.cl-profileSectionItem__emailAddresses', { hasText: newEmail });
  await row.locator('.cl-menuButtonEllipsis').click();
  await page.click('text=Set as primary');
  await page.waitForFunction((e) => document.getElementById('profile-email').textContent === e, newEmail, { timeout: 15000 });
  await page.screenshot({ path: artifact('newuser-email-added.png') });

  // A new password: signing in with it works. (At this width the navigation is a menu.)
  if (await page.isVisible('.cl-navbarMobileMenuButton')) await page.click('.cl-navbarMobileMenuButton');
  await page.locator('.cl-navbarButton__security:visible').click();
  await page.click('text=Update password');
  await page.fill('input[name=currentPassword]', ada.password);
  await page.fill('input[name=newPassword]', 'a-brand-new-password-7');
  await page.fill('input[name=confirmPassword]', 'a-brand-new-password-7');
  await page.click('.cl-formButtonPrimary');
  await page.waitForSelector('input[name=newPassword]', { state: 'detached', timeout: 15000 });
  await page.waitForSelector('.cl-activeDevice', { timeout: 10000 });
  const device = await page.textContent('.cl-activeDevice');
  assert.doesNotMatch(device, /\(\)/, `device entry: ${device}`);
  await page.screenshot({ path: artifact('newuser-security.png') });
  await closeAccount(page);

  await signOut(page);
  await signIn(page, { email: newEmail, password: 'a-brand-new-password-7' }, join(dir, 'emu'));
  assert.deepEqual(errors, []);
  await page.close();
});

test('an API call with the identity service gone and the token expired: a clear message in time, buttons back', async () => {
  const { page } = await openApp(browser, app.url, { viewport: minSize });
  if (await page.evaluate(() => document.body.dataset.screen) !== 'signed-in') {
    await signIn(page, em.info.demo_users.find((u) => u.email === 'grace@example.com'), join(dir, 'emu'));
  }
  await page.waitForSelector('#api-answer', { timeout: 20000 });
  await em.stop();
  try {
    // Two minutes later by the page's clock: ClerkJS's cached token (60 s) is expired,
    // so a call needs the identity service for a new one. Either the call ends within
    // the bound with a plain message, or the app has already noticed the service is
    // gone and the button says why it is disabled; never "Calling…" for minutes.
    await page.clock.setFixedTime(Date.now() + 120_000);
    if (await page.isEnabled('#api-me')) await page.click('#api-me', { timeout: 5000 }).catch(() => {});
    await page.waitForFunction(() => {
      const b = document.getElementById('api-me');
      return document.getElementById('api-error-text').textContent !== '' || (b.disabled && b.title && b.textContent !== 'Calling…');
    }, null, { timeout: 40000 });
    const msg = (await page.textContent('#api-error-text')) || (await page.getAttribute('#api-me', 'title'));
    assert.match(msg, /did not answer|cannot be reached/);
    assert.doesNotMatch(msg, /dial tcp|connection refused|127\.0\.0\.1:\d+/, 'no Go error chain in the window');
    if (await page.textContent('#api-error-text')) {
      const color = await page.evaluate(() => getComputedStyle(document.getElementById('api-error')).color);
      assert.equal(color, 'rgb(138, 28, 28)', 'errors are in the error colour');
    }
    await page.screenshot({ path: artifact('newuser-api-offline.png') });
  } finally {
    em = await startEmulator(join(dir, 'emu'), addrs);
  }
  // The service is back: the buttons are usable again without a restart.
  await page.clock.setFixedTime(Date.now());
  await page.waitForFunction(() => !document.getElementById('api-me').disabled, null, { timeout: 60000 });
  await page.close();
});
