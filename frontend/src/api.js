// The panel that calls the protected API through Go. The page passes a fresh
// session token with each call; Go verifies it before sending it anywhere.
import { CallAPI, Ready } from '../wailsjs/go/main/App';
import { el } from './ui.js';

// call sends one request; on a 401 or a rejected token it gets a fresh token and retries once.
export async function call(clerk, method, path, body) {
  let res;
  if (!clerk.session) return { error: 'Your session is not confirmed yet.', kind: 'session' };
  for (let attempt = 0; attempt < 2; attempt++) {
    let token;
    try {
      token = await clerk.session.getToken(attempt ? { skipCache: true } : undefined);
    } catch (err) {
      return { error: `Could not get a session token: ${err?.errors?.[0]?.longMessage || err?.message || err}`, kind: 'session' };
    }
    if (!token) return { error: 'You are signed out.', kind: 'session' };
    res = await CallAPI(method, path, body ? JSON.stringify(body) : '', token);
    if (!(res.status === 401 || res.kind === 'token')) break;
  }
  return res;
}

function describe(res) {
  if (res.error) return res.error;
  let msg = '';
  try { msg = JSON.parse(res.body)?.error?.message || JSON.parse(res.body)?.message || ''; } catch { /* not JSON */ }
  return `The API answered ${res.status}${msg ? `: ${msg}` : ''}.`;
}

// loadProfile fills the panel with /api/me, then the favourite colour; it returns
// /api/me's status as soon as that has arrived.
export async function loadProfile(clerk) {
  const me = await call(clerk, 'GET', '/api/me');
  if (me.status === 200) document.getElementById('api-result').textContent = JSON.stringify(JSON.parse(me.body), null, 2);
  else document.getElementById('api-error').textContent = describe(me);
  colorCall(clerk, 'GET');
  return me.status || me.kind || 'error';
}

let showColorResult = () => {};
let panelButtons = [];
let networkNote = null;

// setNetworkActions enables the panel's buttons, or disables them and says why.
export function setNetworkActions(enabled, why) {
  for (const b of panelButtons) { b.disabled = !enabled; b.title = enabled ? '' : why; }
  if (networkNote) { networkNote.textContent = enabled ? '' : why; networkNote.hidden = enabled; }
}

// showAnswers puts API answers kept from an earlier run into the panel.
export function showAnswers(answers) {
  const me = answers?.['GET /api/me'];
  if (me?.body) {
    try { document.getElementById('api-result').textContent = JSON.stringify(JSON.parse(me.body), null, 2); } catch { /* not JSON */ }
  }
  const color = answers?.['GET /api/favorite-color'];
  if (color?.body) showColorResult(color);
}

// showMe puts an /api/me answer (from Go's first call) into the panel.
export function showMe(res) {
  if (res?.status === 200) document.getElementById('api-result').textContent = JSON.stringify(JSON.parse(res.body), null, 2);
  else if (res) document.getElementById('api-error').textContent = describe(res);
}
let colorSeq = 0;

// colorCall reads or writes the favourite colour; only the newest answer is shown,
// so a slow read cannot overwrite a later save.
async function colorCall(clerk, method, body) {
  const seq = ++colorSeq;
  const res = await call(clerk, method, '/api/favorite-color', body);
  if (seq === colorSeq) showColorResult(res);
}

export function apiPanel(clerk, onDone) {
  const out = el('pre', { id: 'api-result', class: 'result' }, 'Press a button to call the API.');
  const err = el('p', { id: 'api-error', class: 'error-text', role: 'alert' });
  const swatch = el('span', { id: 'color-swatch', class: 'swatch' });
  const colorText = el('span', { id: 'color-value' }, 'unknown');
  const picker = el('input', { type: 'color', id: 'color-input', value: '#6c47ff', 'aria-label': 'Favourite colour' });
  const buttons = [];
  panelButtons = buttons;
  networkNote = el('p', { id: 'network-note', class: 'muted', hidden: true });
  const btn = (id, label, fn) => {
    const b = el('button', { id, onclick: async () => {
      buttons.forEach((x) => { x.disabled = true; });
      const old = b.textContent;
      b.textContent = 'Calling…';
      err.textContent = '';
      try { await fn(); } finally {
        b.textContent = old;
        buttons.forEach((x) => { x.disabled = false; });
        onDone?.();
      }
    } }, label);
    buttons.push(b);
    return b;
  };
  showColorResult = (res) => {
    if (res.status !== 200) { err.textContent = describe(res); return; }
    const c = JSON.parse(res.body);
    const value = c.hex || c.color;
    colorText.textContent = c.color ? `${c.color}${c.hex && c.hex !== c.color ? ` (${c.hex})` : ''}` : 'not set yet';
    swatch.style.background = value || 'transparent';
    if (c.hex) picker.value = c.hex;
  };
  const panel = el('section', { class: 'card', id: 'api-panel' },
    el('h2', {}, 'Protected API'),
    el('p', { class: 'muted' }, 'Each call sends a session token that Go has verified.'),
    el('div', { class: 'row' },
      btn('api-me', 'Who am I?', async () => {
        const res = await call(clerk, 'GET', '/api/me');
        if (res.status === 200) out.textContent = JSON.stringify(JSON.parse(res.body), null, 2);
        else err.textContent = describe(res);
        Ready(`api-me-call:${res.status || res.kind}`).catch(() => {});
      }),
      btn('color-load', 'Read favourite colour', () => colorCall(clerk, 'GET')),
    ),
    el('div', { class: 'row' }, swatch, colorText),
    el('div', { class: 'row' }, picker,
      btn('color-save', 'Save colour', () => colorCall(clerk, 'PUT', { color: picker.value }))),
    networkNote,
    err,
    out,
  );
  return panel;
}
