// Starts the dev-tagged Desk Clerk binary (real Go bindings, served over HTTP on
// loopback) under a private Xvfb, for Playwright to drive with Debian's Chromium.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, mkdirSync, writeFileSync, chmodSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

export const repo = resolve(import.meta.dirname, '..', '..');

export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
  });
}

async function startXvfb() {
  const x = spawn('Xvfb', ['-displayfd', '1', '-screen', '0', '1280x900x24', '-nolisten', 'tcp'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  const num = await new Promise((ok, fail) => {
    let buf = '';
    const t = setTimeout(() => fail(new Error('Xvfb did not start')), 15000);
    x.stdout.on('data', (d) => { buf += d; if (buf.includes('\n')) { clearTimeout(t); ok(buf.trim()); } });
    x.once('exit', () => fail(new Error('Xvfb exited')));
  });
  return { display: `:${num}`, stop: () => { try { process.kill(-x.pid, 'SIGTERM'); } catch {} } };
}

// startApp launches the dev binary with extra env; returns {url, origin, stop, log, dataDir}.
// url is the page address the app prints, with this launch's gateway key in its
// query; origin is the bare server address, as any other local program sees it.
export async function startApp(env = {}, dataDir = mkdtempSync(join(tmpdir(), 'deskclerk-e2e-'))) {
  const bin = process.env.DESKCLERK_DEV_BIN || join(repo, 'build', 'bin', 'deskclerk-dev');
  if (!existsSync(bin)) throw new Error(`dev binary ${bin} missing: run make build-dev`);
  const xvfb = await startXvfb();
  const port = await freePort();
  let log = '';
  const app = spawn(bin, ['-assetdir', join(repo, 'frontend', 'dist'), '-devserver', `127.0.0.1:${port}`, '-loglevel', 'Warning'], {
    cwd: dataDir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      DISPLAY: xvfb.display,
      NO_AT_BRIDGE: '1',
      XDG_DATA_HOME: join(dataDir, 'data'),
      XDG_CONFIG_HOME: join(dataDir, 'config'),
      XDG_CACHE_HOME: join(dataDir, 'cache'),
      ...env,
    },
  });
  app.stdout.on('data', (d) => { log += d; });
  app.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((ok) => app.once('exit', ok));
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60000;
  let url;
  for (;;) {
    const m = log.match(/^Desk Clerk dev page: (\S+)$/m);
    url = m?.[1];
    try { if (url && (await fetch(origin + '/')).ok) break; } catch {}
    if (app.exitCode !== null || Date.now() > deadline) {
      xvfb.stop();
      throw new Error(`dev app did not serve ${url}; log:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async () => {
    try { process.kill(-app.pid, 'SIGTERM'); } catch {}
    const t = setTimeout(() => { try { process.kill(-app.pid, 'SIGKILL'); } catch {} }, 10000);
    await exited;
    clearTimeout(t);
    xvfb.stop();
  };
  // kill ends the app's whole process group at once, as a crash or a power cut would.
  const kill = async () => {
    try { process.kill(-app.pid, 'SIGKILL'); } catch {}
    await exited;
    xvfb.stop();
  };
  if (!url.startsWith(`${origin}/?gateway-key=`)) throw new Error(`unexpected dev page address ${url}`);
  return { url, origin, stop, kill, log: () => log, dataDir };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

export function artifact(name) {
  const dir = process.env.DESKCLERK_ARTIFACTS || join(repo, 'test-artifacts');
  return join(dir, name);
}

export const readText = (p) => readFileSync(p, 'utf8');

const bin = (name) => process.env[`DESKCLERK_${name.toUpperCase()}_BIN`] || join(repo, 'build', 'bin', name);

// seedEmulator creates an emulator state directory and returns its demo users
// ({email, password, first_name, last_name}; passwords are generated per directory).
export async function seedEmulator(dir) {
  const em = await startEmulator(dir);
  await em.stop();
  return em.info.demo_users;
}

// startEmulator runs a standalone emulator (so a test can stop and restart it).
export async function startEmulator(dir, { addr = '127.0.0.1:0', apiAddr = '127.0.0.1:0', args = [] } = {}) {
  const ready = join(dir, `ready-${Date.now()}.json`);
  const em = spawn(bin('emulator'), ['-dir', dir, '-addr', addr, '-api-addr', apiAddr, '-ready-file', ready, '-log-level', 'warn', ...args], { stdio: 'ignore' });
  const deadline = Date.now() + 30000;
  while (!existsSync(ready)) {
    if (Date.now() > deadline || em.exitCode !== null) throw new Error('emulator did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  const info = JSON.parse(readFileSync(ready, 'utf8'));
  const exited = new Promise((ok) => em.once('exit', ok));
  return { info, stop: async () => { em.kill('SIGTERM'); await exited; } };
}

// browserShim makes a directory with an "xdg-open" that runs the fake browser, which
// reads its instructions from the returned config file at each run.
export function browserShim(dir) {
  const shim = join(dir, 'shim');
  mkdirSync(shim, { recursive: true });
  const config = join(dir, 'fakebrowser.json');
  const log = join(dir, 'fakebrowser.log');
  writeFileSync(config, '{}');
  const script = `#!/bin/sh\nFAKEBROWSER_CONFIG='${config}' FAKEBROWSER_LOG='${log}' exec '${bin('fakebrowser')}' "$@"\n`;
  // Every name pkg/browser tries, so a real browser installed here is never started.
  for (const name of ['xdg-open', 'x-www-browser', 'www-browser']) {
    writeFileSync(join(shim, name), script);
    chmodSync(join(shim, name), 0o755);
  }
  return {
    path: shim,
    set: (cfg) => writeFileSync(config, JSON.stringify(cfg)),
    log: () => (existsSync(log) ? readFileSync(log, 'utf8') : ''),
    // open visits url as the person would by hand (after copying it from the window).
    open: (url, cfg) => {
      writeFileSync(config, JSON.stringify(cfg));
      execFileSync(bin('fakebrowser'), [url], { env: { ...process.env, FAKEBROWSER_CONFIG: config, FAKEBROWSER_LOG: log } });
    },
  };
}

const keychainService = 'deskclerk-dev (clerk.deskclerk.localhost)';

// keychainSecrets returns the secrets stored under the dev build's keychain service
// for the emulator instance: the client token (possibly in chunks) and the session
// snapshot. With account, only that entry's (e.g. '__clerk_client_jwt'); app
// 'deskclerk' reads a release build's entries instead. It throws when secret-tool
// fails (an empty search exits 0), so "nothing stored" is never reported for a
// keychain that could not be read.
export function keychainSecrets(account, app = 'deskclerk-dev') {
  let out;
  try {
    // secret-tool writes the attributes to stderr: unbuffered stdout into the same
    // pipe keeps each entry's lines together.
    out = execFileSync('sh', ['-c', 'stdbuf -o0 secret-tool search --all service "$1" 2>&1', 'sh', `${app} (clerk.deskclerk.localhost)`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error(`secret-tool could not search the keychain: ${String(err.stdout || err.stderr || err.message).trim()}`);
  }
  const items = out.split(/^\[/m).slice(1).map((block) => ({
    secret: block.match(/^secret = (.*)$/m)?.[1] ?? '',
    user: block.match(/^attribute\.username = (.*)$/m)?.[1] ?? '',
  }));
  return items.filter((i) => !account || i.user === account || i.user.startsWith(`${account}.`)).map((i) => i.secret);
}

// storedClientToken returns the client token the app keeps in the keychain for the
// emulator instance, or null when there is none (see auth/keychain/manifest.go:
// a short value is stored inline after the manifest's header line).
export function storedClientToken() {
  let raw;
  try {
    raw = execFileSync('secret-tool', ['lookup', 'service', keychainService, 'username', '__clerk_client_jwt'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch { return null; } // secret-tool exits 1 when nothing matches
  const nl = raw.indexOf('\n');
  const header = nl < 0 ? raw : raw.slice(0, nl);
  if (/ empty( |$)/.test(header)) return null;
  if (!/ inline( |$)/.test(header)) throw new Error(`unexpected keychain manifest: ${header}`);
  return raw.slice(nl + 1).trimEnd();
}

// forgetClientToken removes every keychain entry of the emulator instance.
export function forgetClientToken() {
  try { execFileSync('secret-tool', ['clear', 'service', keychainService], { stdio: 'ignore' }); } catch {}
}

// mailboxCode reads the last code the emulator with state in emuDir "emailed" to
// address (emulator.MailboxFile), waiting for it to arrive after since (ms).
export async function mailboxCode(emuDir, address, since = 0) {
  const file = join(emuDir, 'mailbox', address.toLowerCase());
  for (const deadline = Date.now() + 10000; ; await new Promise((r) => setTimeout(r, 50))) {
    if (existsSync(file) && statSync(file).mtimeMs >= since) return readFileSync(file, 'utf8').trim();
    if (Date.now() > deadline) throw new Error(`no code for ${address} in ${file}`);
  }
}

// openApp opens the app's page at url in a new tab and waits for its first real
// screen; errors collects the page's uncaught errors (Wails' own IPC script's aside).
export async function openApp(browser, url, pageOptions = {}) {
  const page = await browser.newPage(pageOptions);
  const errors = [];
  page.on('pageerror', (e) => { if (!String(e.stack).includes('/wails/ipc.js')) errors.push(e.message); });
  await page.goto(url);
  await page.waitForFunction(() => ['signed-in', 'signed-out', 'offline'].includes(document.body.dataset.screen), null, { timeout: 30000 });
  return { page, errors };
}

// signIn signs user in through Clerk's prebuilt card and waits for the signed-in
// screen. When Client Trust asks for the emailed code (a client this user has not
// signed in on), it types the code from the emulator's mailbox in emuDir. It
// reports whether the code was asked.
export async function signIn(page, user, emuDir) {
  await page.waitForSelector('input[name=identifier]', { timeout: 30000 });
  await page.fill('input[name=identifier]', user.email);
  await page.click('.cl-formButtonPrimary');
  await page.fill('input[name=password]', user.password);
  const since = Date.now() - 1000; // mtime resolution
  await page.click('.cl-formButtonPrimary');
  // Signed in, or Client Trust's code step (a route of its own, or the code field
  // where the card routes virtually, as in "Add account").
  await page.waitForFunction(() => document.body.dataset.screen === 'signed-in' || location.hash.includes('client-trust')
    || document.querySelector('.cl-otpCodeFieldInput, input[autocomplete=one-time-code]'), null, { timeout: 20000 })
    .catch(async (err) => { await page.screenshot({ path: artifact('signin-stuck.png') }).catch(() => {}); throw err; });
  const asked = await page.evaluate(() => document.body.dataset.screen !== 'signed-in');
  if (asked) {
    await page.waitForSelector('.cl-otpCodeFieldInput, input[autocomplete=one-time-code]', { timeout: 15000 });
    await page.keyboard.type(await mailboxCode(emuDir, user.email, since));
    await page.waitForFunction(() => document.body.dataset.screen === 'signed-in', null, { timeout: 20000 });
  }
  return asked;
}
