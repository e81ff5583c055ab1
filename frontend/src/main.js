// Desk Clerk's page. The first frame is the loading screen; with a stored sign-in
// the signed-in screen follows straight from Go's snapshot (snapshot.js), and
// ClerkJS (large) is loaded after it, so start-up is not held up by parsing it.
import './style.css';
import { Status, Ready, Snapshot } from '../wailsjs/go/main/App';
import { $, afterPaint, el, showErrors, showScreen } from './ui.js';
import { installDiagnostics } from './diagnostics.js';
// Small and free of ClerkJS: bundled with this file, so painting from the snapshot
// costs no extra fetch.
import { startFromSnapshot } from './snapshot.js';

async function start() {
  installDiagnostics();
  afterPaint().then(() => Ready('loading')).catch(() => {});
  let status;
  let snap;
  try {
    [status, snap] = await Promise.all([Status(), Snapshot()]);
  } catch (err) {
    showErrors([`Desk Clerk could not start: ${err?.message || err}`]);
    return showScreen('error');
  }
  const badge = $('mode');
  badge.textContent = status.mode === 'emulator' ? 'Local emulator — not a real Clerk instance' : `Clerk · ${status.instance}`;
  badge.classList.toggle('clerk', status.mode !== 'emulator');
  badge.hidden = false;
  $('st-identity').textContent = `Identity: ${status.mode === 'emulator' ? 'local emulator' : status.instance} · ${/^\d/.test(status.version) ? 'v' : ''}${status.version}`;
  showErrors(status.errors || []);
  $('about-open').onclick = () => showAbout(status);
  if (!status.publishableKey) {
    return showScreen('error');
  }
  if (snap?.present) return startFromSnapshot(status, snap);
  const { startClerk } = await import('./session.js');
  await startClerk(status);
}

// showAbout: the version and where identity and the API come from.
function showAbout(status) {
  if ($('about')) return;
  const close = () => $('about')?.remove();
  const row = (k, v) => el('tr', {}, el('th', {}, k), el('td', {}, v || '—'));
  document.body.append(el('div', { id: 'about', class: 'oauth', role: 'dialog', 'aria-label': 'About Desk Clerk', onclick: (e) => { if (e.target.id === 'about') close(); } },
    el('div', { class: 'oauth-card' },
      el('h2', {}, 'Desk Clerk'),
      el('table', { class: 'about' },
        row('Version', status.version),
        row('Identity', status.mode === 'emulator' ? `local emulator (${status.instance})` : `Clerk (${status.instance})`),
        row('Protected API', status.apiOrigin),
        row('Keychain', $('st-keychain').title || $('st-keychain').textContent)),
      el('p', { class: 'muted' }, 'Signs you in with Clerk; your sign-in is kept in the system keychain, never in this window.'),
      el('button', { id: 'about-close', class: 'ghost', onclick: close }, 'Close'))));
}

start();
