// The panel that calls the protected API through Go. The page passes a fresh
// session token with each call; Go verifies it before sending it anywhere.
import { CallAPI, Health, Ready } from '../wailsjs/go/main/App';
import { el } from './ui.js';

// tokenWait bounds how long a call waits for ClerkJS to mint a session token: with
// the identity service gone and the cached token expired, getToken would retry for
// minutes. Go bounds the API request itself (15 s).
const tokenWait = 15000;

function withTimeout(promise, ms) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(Object.assign(new Error('timeout'), { timeout: true })), ms); }),
  ]);
}

// call sends one request; on a 401 or a rejected token it gets a fresh token and retries once.
export async function call(clerk, method, path, body) {
  let res;
  for (let attempt = 0; attempt < 2; attempt++) {
    let token;
    try {
      if (!clerk.session) return { error: 'Your session is not confirmed yet.', kind: 'session' };
      token = await withTimeout(clerk.session.getToken(attempt ? { skipCache: true } : undefined), tokenWait);
    } catch (err) {
      console.warn('getToken failed', err);
      const offline = err?.timeout || !(await Health().then((h) => h.identity.online, () => false));
      return {
        kind: 'session',
        error: offline
          ? 'Your session could not be renewed: the sign-in service did not answer. Check your connection and try again.'
          : 'Your session could not be renewed. Try again; if it keeps failing, sign out and sign in again.',
      };
    }
    if (!token) return { error: 'You are signed out.', kind: 'session' };
    res = await CallAPI(method, path, body ? JSON.stringify(body) : '', token);
    if (!(res.status === 401 || res.kind === 'token')) break;
  }
  return res;
}

export function describe(res) {
  if (res.error) return res.error;
  let msg = '';
  try { msg = JSON.parse(res.body)?.error?.message || JSON.parse(res.body)?.message || ''; } catch { /* not JSON */ }
  const what = res.status >= 500 ? 'The API had a problem' : res.status === 403 ? 'The API refused this' : 'The API did not accept the request';
  return `${what} (${res.status}${msg ? `: ${msg}` : ''}). Try again in a moment.`;
}

// meCard shows /api/me's answer as a person reads it (the raw JSON stays one click
// away, in #api-result).
function meCard(body) {
  let me;
  try { me = JSON.parse(body); } catch { return el('p', { class: 'muted' }, 'The answer is not JSON; see the raw answer.'); }
  const u = me.user || {};
  const name = [u.first_name, u.last_name].filter(Boolean).join(' ');
  const row = (k, v) => v ? el('tr', {}, el('th', {}, k), el('td', {}, v)) : null;
  const expires = me.session?.expires_at ? new Date(me.session.expires_at).toLocaleTimeString() : '';
  return el('div', { class: 'answer' },
    el('table', { class: 'about', id: 'api-answer' },
      row('Name', name || '—'),
      row('Email', u.email),
      row('User id', me.session?.user_id || u.id),
      row('Session', me.session?.session_id),
      row('Token valid until', expires)));
}

let showMeBody = () => {};
let showError = () => {};
let panelButtons = [];
let networkNote = null;

// setNetworkActions enables the panel's buttons, or disables them and says why.
export function setNetworkActions(enabled, why) {
  networkDown = !enabled;
  for (const b of panelButtons) { b.disabled = !enabled; b.title = enabled ? '' : why; }
  if (networkNote) { networkNote.textContent = enabled ? '' : why; networkNote.hidden = enabled; }
}
let networkDown = false;

// showAnswers puts API answers kept from an earlier run into the panel.
export function showAnswers(answers) {
  const me = answers?.['GET /api/me'];
  if (me?.body) showMeBody(me.body);
  const color = answers?.['GET /api/favorite-color'];
  if (color?.body) showColorResult(color, 'GET');
}

// showMe puts an /api/me answer (from Go's first call) into the panel.
export function showMe(res) {
  if (res?.status === 200) showMeBody(res.body);
  else if (res) showError(describe(res));
}

// loadProfile fills the panel with /api/me, then the favourite colour; it returns
// /api/me's status as soon as that has arrived.
export async function loadProfile(clerk) {
  const me = await call(clerk, 'GET', '/api/me');
  if (me.status === 200) showMeBody(me.body);
  else showError(describe(me), () => loadProfile(clerk));
  colorCall(clerk, 'GET');
  return me.status || me.kind || 'error';
}

let showColorResult = () => {};
let colorSeq = 0;

// colorCall reads or writes the favourite colour; only the newest answer is shown,
// so a slow read cannot overwrite a later save.
async function colorCall(clerk, method, body) {
  const seq = ++colorSeq;
  const res = await call(clerk, method, '/api/favorite-color', body);
  if (seq === colorSeq) showColorResult(res, method, () => colorCall(clerk, method, body));
}

export function apiPanel(clerk, onDone) {
  const card = el('div', { id: 'api-out' }, el('p', { class: 'muted' }, 'Press a button to call the API.'));
  const raw = el('pre', { id: 'api-result', class: 'result' }, '');
  const out = el('div', {}, card, el('details', {}, el('summary', {}, 'Raw answer'), raw));
  const errText = el('span', { id: 'api-error-text' });
  const retry = el('button', { id: 'api-retry', class: 'ghost small', hidden: true }, 'Try again');
  const err = el('p', { id: 'api-error', class: 'error-text', role: 'alert' }, errText, ' ', retry);
  const swatch = el('span', { id: 'color-swatch', class: 'swatch' });
  const colorText = el('span', { id: 'color-value' }, 'unknown');
  const saved = el('span', { id: 'color-saved', class: 'ok-text', role: 'status' });
  const picker = el('input', { type: 'color', id: 'color-input', value: '#6c47ff', 'aria-label': 'Favourite colour' });
  const buttons = [];
  const clearError = () => { errText.textContent = ''; retry.hidden = true; };
  showError = (msg, again) => {
    errText.textContent = msg;
    retry.hidden = !again;
    retry.onclick = again ? () => run(retry, again) : null;
  };
  showMeBody = (body) => {
    card.replaceChildren(meCard(body));
    try { raw.textContent = JSON.stringify(JSON.parse(body), null, 2); } catch { raw.textContent = body; }
  };
  panelButtons = buttons;
  networkNote = el('p', { id: 'network-note', class: 'muted', hidden: true });
  // run disables the buttons while one call is out; every call is bounded, so they always come back.
  async function run(b, fn) {
    buttons.forEach((x) => { x.disabled = true; });
    const old = b.textContent;
    b.textContent = 'Calling…';
    clearError();
    saved.textContent = '';
    try { await fn(); } finally {
      b.textContent = old;
      buttons.forEach((x) => { x.disabled = networkDown; });
      onDone?.();
    }
  }
  const btn = (id, label, fn) => {
    const b = el('button', { id, onclick: () => run(b, fn) }, label);
    buttons.push(b);
    return b;
  };
  showColorResult = (res, method, again) => {
    if (res.status !== 200) { showError(describe(res), again); return; }
    const c = JSON.parse(res.body);
    const value = c.hex || c.color;
    colorText.textContent = c.color ? `${c.color}${c.hex && c.hex !== c.color ? ` (${c.hex})` : ''}` : 'not set yet';
    swatch.style.background = value || 'transparent';
    if (c.hex) picker.value = c.hex;
    if (method === 'PUT') saved.textContent = 'Saved ✓';
  };
  const whoAmI = async () => {
    const res = await call(clerk, 'GET', '/api/me');
    if (res.status === 200) showMeBody(res.body);
    else showError(describe(res), whoAmI);
    Ready(`api-me-call:${res.status || res.kind}`).catch(() => {});
  };
  const panel = el('section', { class: 'card', id: 'api-panel' },
    el('h2', {}, 'Protected API'),
    el('p', { class: 'muted' }, 'Each call sends a session token that Go has verified.'),
    el('div', { class: 'row' },
      btn('api-me', 'Who am I?', whoAmI),
      btn('color-load', 'Read favourite colour', () => colorCall(clerk, 'GET')),
    ),
    el('div', { class: 'row' }, swatch, colorText),
    el('div', { class: 'row' }, picker,
      btn('color-save', 'Save colour', () => colorCall(clerk, 'PUT', { color: picker.value })), saved),
    networkNote,
    err,
    out,
  );
  return panel;
}
