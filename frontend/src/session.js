// ClerkJS in native mode, bundled (no remote script). Its Frontend API calls go to
// the Go gateway on the page's own origin; the client token never reaches this page.
import { Clerk } from '@clerk/clerk-js/no-rhc';
import { ForgetDevice, Ready, RememberSession, SessionEnded, SignedOut } from '../wailsjs/go/main/App';
import { $, afterPaint, el, showErrors, showScreen } from './ui.js';
import { loadProfile } from './api.js';
import { oauthTransport } from './oauth.js';
import { lazyUI, loadClerkUI } from './clerkui.js';
import { updateStatusLine } from './health.js';
import { accountButton, displayFields, ref, setSessionNote, signedInScreen } from './signedin.js';
import { accountControls, multiSession, otherAccountsRemain, signingOutAll, watchAccounts } from './accounts.js';
import { showAddAccount } from './addaccount.js';

let clerk;
let shown = ''; // the view on screen: signed-out | signed-in:<user id> | offline
let shownSession = ''; // the session id of the signed-in view
let signingOut = false; // the person asked to sign out here
let endReason = ''; // why the session ended, for the signed-out screen
let endCode = ''; // the same as a code: expired | ended-elsewhere | client-unknown

let emulatorMode = false;

// gatewayKey is this launch's gateway key: Go writes it into the window's page; a
// page opened from the dev server has it in the address the dev build printed.
function gatewayKey() {
  const meta = document.querySelector('meta[name="deskclerk-gateway-key"]');
  if (meta) return meta.content;
  return new URLSearchParams(location.search).get('gateway-key') || '';
}

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
  // the page's own origin, where the gateway answers. The dev server's page uses the
  // same placeholder, so it runs the desktop's code paths.
  const proxyUrl = 'http://wails.localhost' + status.proxyPath;
  const key = gatewayKey();
  clerk ??= new Clerk(status.publishableKey, { proxyUrl });
  clerk.__internal_onBeforeRequest((req) => {
    req.credentials = 'omit';
    req.url = new URL(req.url.pathname + req.url.search, location.href);
    // The gateway serves only the app's own page: it wants this launch's key.
    req.headers = new Headers(req.headers);
    req.headers.set('X-Deskclerk-Gateway-Key', key);
  });
  // The window never leaves the app's page: ClerkJS navigates to other origins
  // (the placeholder among them) through this hook, and to its own through the
  // router options below.
  clerk.__internal_windowNavigate = (to) => {
    if (!keepWindow(to)) {
      console.warn('Desk Clerk: a navigation away from the app was refused');
      return;
    }
    // This page itself (Clerk's "Add account" goes to #add-account): as ClerkJS would.
    const u = new URL(String(to), location.href);
    if (!u.pathname.endsWith('/v1/client/touch')) location.href = u.href;
  };

  try {
    await clerk.load({
      ui: lazyUI,
      standardBrowser: false,
      telemetry: false,
      // The app is one page: after sign-in or sign-out, re-render instead of navigating.
      routerPush: (to) => { keepWindow(to); },
      routerReplace: (to) => { keepWindow(to); },
      __internal_oauthTransport: oauthTransport,
      // Clerk's dialogs (Manage account) fit the window with a margin at every size.
      appearance: { elements: { modalContent: { maxHeight: 'calc(100vh - 32px)', marginBottom: '16px' } } },
    });
  } catch (err) {
    refreshHealth();
    if (opts.offline) throw err;
    return showOffline(err);
  }
  ref.clerk = clerk;
  routeSignOuts();
  watchAccounts(clerk);
  addEventListener('hashchange', () => {
    if (location.hash === '#add-account' && clerk.user && multiSession(clerk)) showAddAccount(clerk, () => { shown = ''; render(); });
  });
  // ClerkJS calls listeners inside its own resource updates: one that throws would
  // fail the sign-in step that caused the update (the card then stalls).
  clerk.addListener(() => {
    try { render(); } catch (err) { console.error('Desk Clerk: render failed', err); }
  });
  render();
  refreshHealth();
  setInterval(refreshHealth, 5000);
  window.addEventListener('focus', () => {
    // Native mode does not touch the session on focus by itself; keep it alive.
    clerk.session?.touch().catch(() => {});
  });
}

// keepWindow handles a navigation ClerkJS asks for without leaving the page. The
// one that matters is the client touch (<proxyUrl>/v1/client/touch?redirect_url=…,
// sent when Clerk says the client's cookie expires within 8 days: clerk.ts
// #decorateUrlWithTouch): it is made in the background through the gateway. It
// reports whether the navigation was one the app expects.
function keepWindow(to) {
  let u;
  try { u = new URL(String(to), location.href); } catch { return false; }
  if (u.pathname.endsWith('/v1/client/touch')) {
    fetch(u.pathname + u.search, { credentials: 'omit', redirect: 'manual', headers: { 'X-Deskclerk-Gateway-Key': gatewayKey() } }).catch(() => {});
    return true;
  }
  return u.origin === location.origin || u.protocol === 'wails:';
}

function render() {
  const user = clerk.user;
  const view = user ? `signed-in:${user.id}` : 'signed-out';
  $('st-session').textContent = `Session: ${user ? 'signed in' : 'signed out'}`;
  if (otherAccountsRemain(clerk)) return; // signed out of one account: another becomes active (accounts.js)
  // "Add account" is on screen: its card's sign-in updates the client at every step;
  // the view follows once it has finished (addaccount.js).
  if (user && $('add-account-view')) return;
  // A hint for the next start (not a secret): was someone signed in here?
  try { if (user) localStorage.setItem(signedInHint, '1'); } catch { /* storage may be unavailable */ }
  if (user) remember(user);
  if (view === shown) {
    // The snapshot was right; or the same person with new details (a rename or a
    // new avatar in Manage account): the card follows Clerk's user object.
    if (user) confirmed(user);
    return;
  }
  const wasSignedIn = shown.startsWith('signed-in:');
  const endedSession = shownSession;
  shown = view;
  if (user) return showSignedIn(user);
  if (wasSignedIn && !signingOut && !endReason) return explainSignedOut(endedSession);
  return showSignedOut();
}

const signedInHint = 'deskclerk:was-signed-in';

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
  if (!$('profile-name')) return; // another view is on screen; it re-renders when it closes
  if ($('profile-name').textContent !== id.name) $('profile-name').textContent = id.name;
  if ($('profile-email').textContent !== id.email) $('profile-email').textContent = id.email;
  const avatar = $('profile-avatar');
  if (id.imageUrl && avatar.getAttribute('src') !== id.imageUrl) avatar.src = id.imageUrl; // e.g. dropped while offline
  userMenu(id);
  showAccounts();
  if (document.body.dataset.session === 'confirmed') return; // a later change of the same user
  setSessionNote('', '');
  if (document.body.dataset.screen !== 'signed-in') showScreen('signed-in');
  afterPaint().then(() => Ready('reconciled')).catch(() => {});
}

// userMenu is the header's account control: Clerk's <UserButton/> on a
// multi-session instance (it adds and switches accounts), else the app's own
// light button, which loads no Clerk UI until the account dialog is opened.
let userButtonMounted = false;
function userMenu(id) {
  if (!multiSession(clerk)) {
    accountButton(id, openAccount);
    return;
  }
  if (userButtonMounted) return;
  userButtonMounted = true;
  loadClerkUI();
  $('user-button').replaceChildren();
  // API-key requests go outside /v1 with their own bearer, which the gateway does not
  // forward (it only speaks the Frontend API): no API keys page.
  clerk.mountUserButton($('user-button'), { afterSignOutUrl: location.href, signInUrl: '#add-account', userProfileProps: { apiKeysProps: { hide: true } } });
}

// showAccounts puts the accounts row (multi-session: how many, add, switch, sign
// out of all) under the profile, or replaces it when it has changed; the screen
// painted from the snapshot gets it once ClerkJS has confirmed the session.
function showAccounts() {
  const row = accountControls(clerk, () => signOutAll(false));
  const old = $('accounts');
  if (!row) return old?.remove();
  if (old?.isEqualNode(row)) return;
  if (old) old.replaceWith(row);
  else $('profile')?.querySelector('div')?.append(row);
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
  clerk.openUserProfile({ apiKeysProps: { hide: true } });
}

async function showSignedOut() {
  // Clerk's UserButton is React's to remove (it does so after this returns; clearing
  // the node first would make its removal throw); the light button is ours.
  if (userButtonMounted) { clerk.unmountUserButton($('user-button')); userButtonMounted = false; } else $('user-button').replaceChildren();
  loadClerkUI();
  // Clerk's cards route with the hash; a route left over from sign-up (for example
  // #/create/verify-email-address) would make the sign-in card render nothing.
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  const mount = el('div', { id: 'sign-in' });
  const reason = endReason && el('p', { class: 'ended', id: 'end-reason', role: 'status', 'data-code': endCode }, endReason);
  const code = endCode;
  endReason = '';
  endCode = '';
  // Under the card, or above it in a short window (style.css), so it is always in view.
  const hint = emulatorMode && el('p', { class: 'hint', id: 'emulator-hint' },
    'Local emulator: sign up with any address containing +clerk_test (code 424242), or use ada@example.com or ',
    'grace@example.com — `make demo-users` prints their passwords while the app is closed.');
  $('app').replaceChildren(el('section', { class: 'signin-wrap', id: 'signed-out' }, reason, hint, mount));
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
  // The sign-in card's component stays mounted in Clerk's UI until unmounted, and
  // would follow (and fight over) the hash routes of a later card such as "Add account".
  const card = $('sign-in');
  if (card) clerk.unmountSignIn(card);
  showScreen('signed-in', signedInScreen(id, { onSignOut: () => signOut(false), onForget: () => signOutAll(true), onDone: refreshHealth }));
  showAccounts();
  userMenu(id);
  me.then((status) => {
    Ready(`api-me:${status}`).catch(() => {});
    refreshHealth();
  });
}

// signOut ends the active account's session; with other accounts signed in on this
// device (multi-session) they stay, and the most recent becomes active.
export async function signOut() {
  if (!othersStay(clerk.session?.id)) return signOutAll(false);
  const btn = $('sign-out');
  if (btn) { btn.disabled = true; btn.textContent = 'Signing out…'; }
  try {
    await clerk.signOut({ sessionId: clerk.session.id });
  } catch (err) {
    showErrors([`Sign-out did not reach Clerk (${err?.errors?.[0]?.message || err?.message || err}).`]);
    if (btn) { btn.disabled = false; btn.textContent = 'Sign out'; }
  }
}

// routeSignOuts sends the sign-outs Clerk's own components make (the user menu's
// "Sign out" of the last account, "Sign out of all accounts") through signOutAll, as
// the app's buttons do: asked for here, so not "ended elsewhere", and the snapshot goes.
let clerkSignOut;
function routeSignOuts() {
  if (clerkSignOut) return;
  clerkSignOut = clerk.signOut;
  clerk.signOut = (...args) => {
    // ClerkJS: signOut(callbackOrOptions?, options?).
    const opts = args.find((a) => a && typeof a === 'object') || {};
    if (othersStay(opts.sessionId)) return clerkSignOut(...args); // one of several
    return signOutAll(false, () => clerkSignOut(...args));
  };
}

// othersStay: ending sessionId leaves other accounts signed in on this device
// (multi-session); a single-session client has only the one.
function othersStay(sessionId) {
  return !!sessionId && (clerk.client?.signedInSessions || []).some((s) => s.id !== sessionId);
}

// signOutAll ends every session. The client token stays in the keychain (Clerk
// keeps the client, and Client Trust recognises this device by it) unless the
// person asks to forget this device, or Clerk could not be told: then a kept token
// would sign them back in at the next start.
async function signOutAll(forget = false, endSessions = () => (clerkSignOut || clerk.signOut)()) {
  signingOutAll();
  signingOut = true;
  for (const id of ['sign-out', 'forget-device']) {
    const b = $(id);
    if (b) b.disabled = true;
  }
  const btn = $(forget ? 'forget-device' : 'sign-out');
  if (btn) btn.textContent = 'Signing out…';
  try {
    await endSessions();
  } catch (err) {
    showErrors([`Sign-out did not reach Clerk (${err?.errors?.[0]?.message || err?.message || err}); this device has forgotten you anyway.`]);
    forget = true;
  }
  await (forget ? ForgetDevice() : SignedOut()).catch((err) => showErrors([`Could not clear the keychain: ${err}`]));
  try { localStorage.clear(); sessionStorage.clear(); } catch { /* storage may be unavailable */ }
  remembered = '';
  render();
  refreshHealth();
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

function refreshHealth() {
  return updateStatusLine(!!clerk?.user);
}
