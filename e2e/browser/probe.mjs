import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, launchBrowser, signIn, seedEmulator, keychainSecrets } from './devapp.mjs';
const dir = mkdtempSync(join(tmpdir(), 'probe-'));
const env = { DESKCLERK_EMULATOR_DIR: join(dir, 'emu'), DESKCLERK_EMULATOR_MULTI_SESSION: 'true' };
const users = await seedEmulator(join(dir, 'emu'));
const app = await startApp(env, dir);
const browser = await launchBrowser();
const page = await browser.newPage({ viewport: { width: 1040, height: 760 } });
try {
  await page.goto(app.url);
  await signIn(page, users[0], join(dir, 'emu'));
  await page.waitForSelector('.cl-userButtonTrigger');
  await page.click('.cl-userButtonTrigger');
  await page.click('.cl-userButtonPopoverActionButton__signOut');
  await page.waitForFunction(() => document.body.dataset.screen === 'signed-out', null, { timeout: 15000 });
  console.log('reason:', await page.evaluate(() => document.getElementById('end-reason')?.textContent));
  console.log('snapshot entries', keychainSecrets('deskclerk_session_snapshot').length, 'client', keychainSecrets('__clerk_client_jwt').length);
  await page.screenshot({ path: '/tmp/probe/so.png' });
} finally {
  await browser.close(); await app.stop();
}
