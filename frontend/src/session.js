// ClerkJS in native mode, bundled (no remote script). Its Frontend API calls go to
// the Go gateway on the page's own origin; the client token never reaches this page.
import { Clerk } from '@clerk/clerk-js/no-rhc';
import { Ready, RememberSession, SessionEnded, SignedOut } from '../wailsjs/go/main/App';
import { $, afterPaint, el, showErrors, showScreen } from './ui.js';
import { loadProfile } from './api.js';
import { oauthTransport } from './oauth.js';
import { lazyUI, loadClerkUI } from './clerkui.js';
import { updateStatusLine } from './health.js';
import { accountButton, displayFields, ref, setSessionNote, signedInScreen } from './signedin.js';

let clerk;
let shown = ''; // the view on screen: signed-out | signed-in:<user id> | offline
let shownSession = ''; // the session id of the signed-in view
let signingOut = false; // the person asked to sign out here
let endReason = ''; // why the session ended, for the signed-out screen
let endCode = ''; // the same as a code: expired | ended-elsewhere | client-unknown

let emulatorMode = false;

// startClerk loads ClerkJS and shows what it finds. opts.painted is the identity
// already on screen from the snapshot (kept when ClerkJS finds the same user);
// opts.reason is why a session ended, shown on the signed-out screen; with
// opts.offline, a failed load is handed back (the snapshot screen stays) instead
// of showing the offline card.
export async function startClerk(status, opts = {}) {
  if (opts.painted) {
    shown = `signed-in:${opts.painted.userId}`;
    shownSession = opts.painted.sessionId;
  }
  if (opts.reason) { endReason = opts.reason; endCode = opts.reasonCode || ''; }
  // Without a snapshot the sign-in card is the likely first screen: fetch Clerk's UI
  // while clerk.load runs, as before it was made lazy.
  if (!opts.painted) loadClerkUI();
  emulatorMode = status.mode === 'emulator';
  // ClerkJS derives request URLs from proxyUrl's origin, which is opaque ("null") for
  // the wails:// scheme; give it an http placeholder and send each request back to
  // the page's own origin, where the gateway answers.
  const httpPage = /^https?:$/.test(location.protocol);
  const proxyUrl = (httpPage ? location.origin : 'http://wails.localhost') + status.proxyPath;
  clerk ??= new Clerk(status.publishableKey, { proxyUrl });
  clerk.__internal_onBeforeRequest((req) => {
    req.credentials = 'omit';
    req.url = new URL(req.url.pathname + req.url.search, location.href);
  });

  try {
    await clerk.load({
      ui: lazyUI,
      standardBrowser: false,
      telemetry: false,
      // The app is one page: after sign-in or sign-out, re-render instead of navigating.
      routerPush: () => {},
      routerReplace: () => {},
      __internal_oauthTransport: oauthTransport,
    });
  } catch (err) {
    refreshHealth();
    if (opts.offline) throw err;
    return showOffline(err);
  }
  ref.clerk = clerk;
  clerk.addListener(() => render());
  render();
  refreshHealth();
  setInterval(refreshHealth, 5000);
  window.addEventListener('focus', () => {
    // Native mode does not touch the session on focus by itself; keep it alive.
    clerk.session?.touch().catch(() => {});
  });
}

function render() {
  const user = clerk.user;
  const view = user ? `signed-in:${user.id}` : 'signed-out';
  $('st-session').textContent = `Session: ${user ? 'signed in' : 'signed out'}`;
  if (user) remember(user);
  if (view === shown) {
    if (user && document.body.dataset.session !== 'confirmed') confirmed(user); // the snapshot was right
    return;
  }
  const wasSignedIn = shown.startsWith('signed-in:');
  const endedSession = shownSession;
  shown = view;
  if (user) return showSignedIn(user);
  if (wasSignedIn && !signingOut && !endReason) return explainSignedOut(endedSession);
  return showSignedOut();
}

// remember keeps the identity on screen in Go's snapshot for the next start.
let remembered = '';
function remember(user) {
  const id = displayFields(user, clerk.session);
  const key = JSON.stringify(id);
  if (!id.sessionId || key === remembered) return;
  remembered = key;
  shownSession = id.sessionId;
  RememberSession(id).catch(() => {});
}

// confirmed: ClerkJS found the user painted from the snapshot; refresh the fields
// in place (nothing moves when they are the same) and enable network actions.
function confirmed(user) {
  const id = displayFields(user, clerk.session);
  if ($('profile-name').textContent !== id.name) $('profile-name').textContent = id.name;
  if ($('profile-email').textContent !== id.email) $('profile-email').textContent = id.email;
  const avatar = $('profile-avatar');
  if (id.imageUrl && avatar.getAttribute('src') !== id.imageUrl) avatar.src = id.imageUrl; // e.g. dropped while offline
  accountButton(id, openAccount);
  setSessionNote('', '');
  if (document.body.dataset.screen !== 'signed-in') showScreen('signed-in');
  afterPaint().then(() => Ready('reconciled')).catch(() => {});
}

// explainSignedOut: signed out without asking (expired, revoked elsewhere, device
// unknown); ask Go why, then show it on the signed-out screen.
async function explainSignedOut(sid) {
  const r = await SessionEnded(sid || '').catch(() => null);
  endReason = r?.message || 'You were signed out.';
  endCode = r?.reason || '';
  return showSignedOut();
}

function openAccount() {
  loadClerkUI();
  clerk.openUserProfile();
}

async function showSignedOut() {
  $('user-button').replaceChildren();
  loadClerkUI();
  const mount = el('div', { id: 'sign-in' });
  const reason = endReason && el('p', { class: 'ended', id: 'end-reason', role: 'status', 'data-code': endCode }, endReason);
  const code = endCode;
  endReason = '';
  endCode = '';
  const hint = emulatorMode && el('p', { class: 'hint', id: 'emulator-hint' },
    'Local emulator: sign up with any address containing +clerk_test (e.g. you+clerk_test@example.com; code 424242), ',
    'or use a demo account (ada@example.com, grace@example.com) — `make demo-users` prints their passwords while the app is closed.');
  $('app').replaceChildren(el('section', { class: 'signin-wrap', id: 'signed-out' }, reason, mount, hint));
  clerk.mountSignIn(mount, { withSignUp: true });
  // The card renders asynchronously; the screen counts as shown once its form is there.
  for (let i = 0; i < 300 && !mount.querySelector('input'); i++) await afterPaint();
  if (shown === 'signed-out') {
    await showScreen('signed-out');
    if (code) Ready(`ended:${code}`).catch(() => {});
  }
}

function showSignedIn(user) {
  ref.clerk = clerk;
  // Ask the API who we are straight away: it proves the session works end to end.
  // The call goes out before the screen is built; the answer lands in it.
  const me = loadProfile(clerk);
  const id = displayFields(user, clerk.session);
  showScreen('signed-in', signedInScreen(id, { onSignOut: signOut, onDone: refreshHealth }));
  accountButton(id, openAccount);
  me.then((status) => {
    Ready(`api-me:${status}`).catch(() => {});
    refreshHealth();
  });
}

export async function signOut() {
  signingOut = true;
  const btn = $('sign-out');
  if (btn) { btn.disabled = true; btn.textContent = 'Signing out…'; }
  try {
    await clerk.signOut();
  } catch (err) {
    showErrors([`Sign-out did not reach Clerk (${err?.errors?.[0]?.message || err?.message || err}); this device has forgotten you anyway.`]);
  }
  await SignedOut().catch((err) => showErrors([`Could not clear the keychain: ${err}`]));
  try { localStorage.clear(); sessionStorage.clear(); } catch { /* storage may be unavailable */ }
  remembered = '';
  render();
  signingOut = false;
}

// Clerk's sign-in card routes with the URL hash (#/factor-one, …); report each step
// once painted, like the app's screens, so tests and timings can follow the flow.
addEventListener('hashchange', () => {
  const route = location.hash;
  afterPaint().then(() => Ready(`route:${route}`)).catch(() => {});
});

function showOffline(err) {
  shown = 'offline';
  const code = err?.errors?.[0]?.code;
  const reason = err?.errors?.[0]?.longMessage || err?.errors?.[0]?.long_message || err?.message || String(err);
  $('st-session').textContent = 'Session: offline';
  const card = el('section', { class: 'card center', id: 'offline' },
    el('h1', {}, code === 'keychain_unavailable' ? 'The keychain did not answer' : 'Cannot reach the sign-in service'),
    el('p', {}, reason),
    el('p', {}, 'You have not been signed out. Desk Clerk will try again.'),
    el('button', { id: 'retry', onclick: () => location.reload() }, 'Try again'),
  );
  showScreen('offline', card);
  setTimeout(() => { if (shown === 'offline') location.reload(); }, 10000);
}

function refreshHealth() {
  return updateStatusLine(!!clerk?.user);
}
