// Desk Clerk's page. In the window, Go writes boot data into the page (the app's
// mode and the session snapshot, see app.go Boot), so with a stored sign-in the
// first frame is already the signed-in screen (snapshot.js); otherwise the first
// frame is the loading screen. ClerkJS (large) is loaded after that, so start-up
// is not held up by parsing it. A page without boot data (the dev server's) asks
// the bindings for the same.
import './style.css';
import { Status, Ready, Snapshot } from '../wailsjs/go/main/App';
import { $, afterPaint, el, showErrors, showScreen } from './ui.js';
import { installDiagnostics } from './diagnostics.js';
// Small and free of ClerkJS: bundled with this file, so painting from the snapshot
// costs no extra fetch.
import { startFromSnapshot } from './snapshot.js';

// bootData reads (once) what Go wrote into the window's page, or null.
function bootData() {
  const meta = document.querySelector('meta[name="deskclerk-boot"]');
  if (!meta) return null;
  meta.remove();
  try { return JSON.parse(meta.content); } catch { return null; }
}

function label(st) {
  const badge = $('mode');
  badge.textContent = st.mode === 'emulator' ? 'Local emulator — not a real Clerk instance' : `Clerk · ${st.instance}`;
  badge.classList.toggle('clerk', st.mode !== 'emulator');
  badge.hidden = false;
  $('st-identity').textContent = `Identity: ${st.mode === 'emulator' ? 'local emulator' : st.instance} · ${/^\d/.test(st.version) ? 'v' : ''}${st.version}`;
}

async function start() {
  installDiagnostics();
  const boot = bootData();
  const statusP = Status();
  let fromSnapshot = false;
  if (boot) label(boot);
  if (boot?.snapshot?.present) {
    fromSnapshot = true;
    startFromSnapshot(statusP, boot.snapshot, boot.confirmation);
  } else {
    afterPaint().then(() => Ready('loading')).catch(() => {});
  }
  let status;
  let snap;
  try {
    [status, snap] = await Promise.all([statusP, boot ? boot.snapshot : Snapshot()]);
  } catch (err) {
    showErrors([`Desk Clerk could not start: ${err?.message || err}`]);
    return showScreen('error');
  }
  label(status);
  showErrors(status.errors || []);
  $('about-open').onclick = () => showAbout(status);
  if (!status.publishableKey) {
    return showScreen('error');
  }
  if (fromSnapshot) return;
  if (snap?.present) return startFromSnapshot(statusP, snap);
  const { startClerk } = await import('./session.js');
  // Go found the stored session ended before the page loaded (and forgot the snapshot).
  const c = boot?.confirmation;
  await startClerk(status, c?.state === 'ended' ? { reason: c.message, reasonCode: c.reason } : {});
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
