// ClerkJS in native mode, bundled (no remote script). Its Frontend API calls go to
// the Go gateway on the page's own origin; the client token never reaches this page.
import { Clerk } from '@clerk/clerk-js/no-rhc';
import { ui } from '@clerk/ui/no-rhc';
import { Health, Ready, SignedOut } from '../wailsjs/go/main/App';
import { $, afterPaint, el, showErrors, showScreen } from './ui.js';
import { apiPanel, loadProfile } from './api.js';
import { oauthTransport } from './oauth.js';
import { accountControls, multiSession, otherAccountsRemain, signingOutAll, watchAccounts } from './accounts.js';
import { showAddAccount } from './addaccount.js';

let clerk;
let shown = ''; // the view on screen: signed-out | signed-in:<user id> | offline

let emulatorMode = false;

// gatewayKey is this launch's gateway key: Go writes it into the window's page; a
// page opened from the dev server has it in the address the dev build printed.
function gatewayKey() {
  const meta = document.querySelector('meta[name="deskclerk-gateway-key"]');
  if (meta) return meta.content;
  return new URLSearchParams(location.search).get('gateway-key') || '';
}

export async function startClerk(status) {
  emulatorMode = status.mode === 'emulator';
  // ClerkJS derives request URLs from proxyUrl's origin, which is opaque ("null") for
  // the wails:// scheme; give it an http placeholder and send each request back to
  // the page's own origin, where the gateway answers.
  const httpPage = /^https?:$/.test(location.protocol);
  const proxyUrl = (httpPage ? location.origin : 'http://wails.localhost') + status.proxyPath;
  clerk = new Clerk(status.publishableKey, { proxyUrl });
  const key = gatewayKey();
  clerk.__internal_onBeforeRequest((req) => {
    req.credentials = 'omit';
    req.url = new URL(req.url.pathname + req.url.search, location.href);
    // The gateway serves only the app's own page: it wants this launch's key.
    req.headers = new Headers(req.headers);
    req.headers.set('X-Deskclerk-Gateway-Key', key);
  });

  try {
    await clerk.load({
      ui,
      standardBrowser: false,
      telemetry: false,
      // The app is one page: after sign-in or sign-out, re-render instead of navigating.
      routerPush: () => {},
      routerReplace: () => {},
      __internal_oauthTransport: oauthTransport,
      // Clerk's dialogs (Manage account) fit the window with a margin at every size.
      appearance: { elements: { modalContent: { maxHeight: 'calc(100vh - 32px)', marginBottom: '16px' } } },
    });
  } catch (err) {
    refreshHealth();
    return showOffline(err);
  }
  clerk.addListener(() => render());
  watchAccounts(clerk);
  addEventListener('hashchange', () => {
    if (location.hash === '#add-account' && clerk.user && multiSession(clerk)) showAddAccount(clerk, () => { shown = ''; render(); });
  });
  render();
  refreshHealth();
  setInterval(refreshHealth, 5000);
  window.addEventListener('focus', () => {
    // Native mode does not touch the session on focus by itself; keep it alive.
    clerk.session?.touch().catch(() => {});
  });
}

function render() {
  if (otherAccountsRemain(clerk)) return; // signed out of one account: another becomes active (accounts.js)
  const user = clerk.user;
  const view = user ? `signed-in:${user.id}` : 'signed-out';
  $('st-session').textContent = `Session: ${user ? 'signed in' : 'signed out'}`;
  // A hint for the next start (not a secret): was someone signed in here?
  try { if (user) localStorage.setItem(signedInHint, '1'); } catch { /* storage may be unavailable */ }
  if (view === shown) {
    // Same person, new details (a rename or a new avatar in Manage account).
    if (user) fillProfile(user);
    return;
  }
  shown = view;
  return user ? showSignedIn(user) : showSignedOut();
}

const signedInHint = 'deskclerk:was-signed-in';

// fillProfile shows Clerk's user object on the profile card; ClerkJS's listener
// calls render() on every change of it, so the card follows Manage account.
function fillProfile(user) {
  const email = user.primaryEmailAddress?.emailAddress || '';
  const name = user.fullName || user.username || email;
  const img = $('profile-avatar');
  if (!img) return;
  if (img.getAttribute('src') !== user.imageUrl) img.src = user.imageUrl;
  $('profile-name').textContent = name;
  $('profile-email').textContent = email;
}

async function showSignedOut() {
  clerk.unmountUserButton($('user-button'));
  // Clerk's cards route with the hash; a route left over from sign-up (for example
  // #/create/verify-email-address) would make the sign-in card render nothing.
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  $('st-api').textContent = 'API: —';
  $('st-api').classList.remove('warn');
  const mount = el('div', { id: 'sign-in' });
  // Under the card, or above it in a short window (style.css), so it is always in view.
  const hint = emulatorMode && el('p', { class: 'hint', id: 'emulator-hint' },
    'Local emulator: sign up with any address containing +clerk_test (code 424242), or use ada@example.com or ',
    'grace@example.com — `make demo-users` prints their passwords while the app is closed.');
  $('app').replaceChildren(el('section', { class: 'signin-wrap', id: 'signed-out' }, hint, mount));
  clerk.mountSignIn(mount, { withSignUp: true });
  // The card renders asynchronously; the screen counts as shown once its form is there.
  for (let i = 0; i < 300 && !mount.querySelector('input'); i++) await afterPaint();
  if (shown === 'signed-out') showScreen('signed-out');
}

function showSignedIn(user) {
  // Ask the API who we are straight away: it proves the session works end to end.
  // The call goes out before the screen is built; the answer lands in it.
  const me = loadProfile(clerk);
  const profile = el('section', { class: 'card profile', id: 'profile' },
    el('img', { class: 'avatar', id: 'profile-avatar', alt: '' }),
    el('div', {},
      el('h1', { id: 'profile-name' }),
      el('p', { id: 'profile-email' }),
    ),
    el('button', { class: 'ghost', id: 'sign-out', onclick: signOut }, 'Sign out'),
  );
  const accounts = accountControls(clerk, signOutAll);
  if (accounts) profile.querySelector('div').append(accounts);
  showScreen('signed-in', el('div', { class: 'stack' }, profile, apiPanel(clerk, refreshHealth)));
  fillProfile(user);
  me.then((status) => {
    Ready(`api-me:${status}`).catch(() => {});
    refreshHealth();
  });
  // Clerk's user menu mounts a React tree (and loads its chunk): after the call is out.
  setTimeout(() => clerk.mountUserButton($('user-button'), { afterSignOutUrl: location.href, signInUrl: '#add-account' }), 0);
}

// signOut ends the active account's session; with other accounts signed in on this
// device (multi-session) they stay, and the most recent becomes active.
async function signOut() {
  if (!multiSession(clerk) || (clerk.client?.signedInSessions?.length || 0) < 2) return signOutAll();
  const btn = $('sign-out');
  if (btn) { btn.disabled = true; btn.textContent = 'Signing out…'; }
  try {
    await clerk.signOut({ sessionId: clerk.session.id });
  } catch (err) {
    showErrors([`Sign-out did not reach Clerk (${err?.errors?.[0]?.message || err?.message || err}).`]);
    if (btn) { btn.disabled = false; btn.textContent = 'Sign out'; }
  }
}

async function signOutAll() {
  signingOutAll();
  const btn = $('sign-out');
  if (btn) { btn.disabled = true; btn.textContent = 'Signing out…'; }
  try {
    await clerk.signOut();
  } catch (err) {
    showErrors([`Sign-out did not reach Clerk (${err?.errors?.[0]?.message || err?.message || err}); this device has forgotten you anyway.`]);
  }
  await SignedOut().catch((err) => showErrors([`Could not clear the keychain: ${err}`]));
  try { localStorage.clear(); sessionStorage.clear(); } catch { /* storage may be unavailable */ }
  render();
  refreshHealth();
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
    el('p', {}, wasSignedIn()
      ? 'You have not been signed out. Desk Clerk will try again.'
      : 'You can sign in once it is reachable again. Desk Clerk will try again.'),
    el('button', { id: 'retry', onclick: () => location.reload() }, 'Try again'),
  );
  showScreen('offline', card);
  setTimeout(() => { if (shown === 'offline') location.reload(); }, 10000);
}

function wasSignedIn() {
  try { return localStorage.getItem(signedInHint) === '1'; } catch { return false; }
}

async function refreshHealth() {
  try {
    const h = await Health();
    const kc = h.keychain;
    $('st-keychain').textContent = `Keychain: ${kc.backend || 'unknown'}${kc.persistent ? '' : ' (not kept after restart)'}`;
    $('st-keychain').title = kc.summary || '';
    $('st-keychain').classList.toggle('warn', !kc.persistent);
    const api = h.api;
    if (clerk?.user) { // signed out, the last call's outcome says nothing about now
      $('st-api').textContent = `API: ${!api.checked ? 'not called yet' : api.reachable ? `reachable (${api.status})` : 'unreachable'}`;
      $('st-api').classList.toggle('warn', api.checked && !api.reachable);
    }
    if (!h.identity.online && clerk?.user) $('st-session').textContent = 'Session: signed in (offline)';
  } catch { /* the status line is best effort */ }
}
