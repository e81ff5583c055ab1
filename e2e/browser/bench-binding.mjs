// Benchmark (not a test): the latency of a protected-API call through the Wails
// binding (page → Go → verify → HTTP → page), next to a binding call that does no
// work (the IPC floor), measured in the same run against the dev build's page.
// Run inside the keychain sandbox: ../../auth/keychain/testdata/run-with-keyring.sh node bench-binding.mjs
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, launchBrowser, startEmulator, mailboxCode } from './devapp.mjs';

const N = Number(process.env.N || 300);
const dir = mkdtempSync(join(tmpdir(), 'deskclerk-bench-'));
const em = await startEmulator(join(dir, 'emu'));
const { frontend_api_url: fapi, api_url: apiURL, demo_users: users } = em.info;

// A session token for a demo user, from a native client of our own.
let client = '';
async function fapiCall(path, form) {
  const res = await fetch(`${fapi}${path}?_is_native=1`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(client ? { authorization: client } : {}) },
    body: new URLSearchParams(form),
  });
  client = res.headers.get('authorization') || client;
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return res.json();
}
const si = await fapiCall('/v1/client/sign_ins', { identifier: users[0].email });
let done = await fapiCall(`/v1/client/sign_ins/${si.response.id}/attempt_first_factor`, { strategy: 'password', password: users[0].password });
if (done.response.status === 'needs_client_trust') { // a new client: Client Trust's emailed code
  const since = Date.now() - 1000;
  await fapiCall(`/v1/client/sign_ins/${si.response.id}/prepare_second_factor`, { strategy: 'email_code' });
  const code = await mailboxCode(join(dir, 'emu'), users[0].email, since);
  done = await fapiCall(`/v1/client/sign_ins/${si.response.id}/attempt_second_factor`, { strategy: 'email_code', code });
}
const { jwt } = await fapiCall(`/v1/client/sessions/${done.response.created_session_id}/tokens`, { organization_id: '' });

const app = await startApp({ DESKCLERK_EMULATOR_URL: fapi, DESKCLERK_API_URL: apiURL }, dir);
const browser = await launchBrowser();
try {
  const page = await browser.newPage();
  await page.goto(app.url);
  await page.waitForFunction(() => document.body.dataset.screen === 'signed-out', null, { timeout: 30000 });
  const r = await page.evaluate(async ([n, t]) => {
    const App = window.go.main.App;
    const floor = [], api = [];
    for (let i = -20; i < n; i++) {
      let t0 = performance.now();
      await App.Status();
      const a = performance.now() - t0;
      t0 = performance.now();
      const res = await App.CallAPI('GET', '/api/me', '', t);
      const b = performance.now() - t0;
      if (res.status !== 200) throw new Error(`api ${res.status} ${res.error}`);
      if (i >= 0) { floor.push(a); api.push(b); }
    }
    const q = (v, p) => { const s = [...v].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(s.length * p / 100))]; };
    return { floor50: q(floor, 50), floor99: q(floor, 99), api50: q(api, 50), api99: q(api, 99) };
  }, [N, jwt]);
  const f = (x) => `${x.toFixed(2)} ms`;
  console.log(`\nAPI call through the binding, ${N} calls (dev build: the page talks to Go over a local websocket)\n`);
  console.log('| path | p50 | p99 |\n|---|---|---|');
  console.log(`| binding that does no work (Status) — IPC floor | ${f(r.floor50)} | ${f(r.floor99)} |`);
  console.log(`| CallAPI: binding + verify + HTTP to the demo API | ${f(r.api50)} | ${f(r.api99)} |`);
  console.log(`| added over the IPC floor | +${f(r.api50 - r.floor50)} | +${f(r.api99 - r.floor99)} |`);
} finally {
  await browser.close();
  await app.stop();
  await em.stop();
}
