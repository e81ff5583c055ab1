// ClerkJS in native mode, bundled (no remote script). Its Frontend API calls go to
// the Go gateway on the page's own origin; the client token never reaches this page.
import { Clerk } from '@clerk/clerk-js/no-rhc';
import { ui } from '@clerk/ui/no-rhc';
import { ForgetDevice, Health, Ready, SignedOut } from '../wailsjs/go/main/App';
import { $, afterPaint, el, showErrors, showScreen } from './ui.js';
import { apiPanel, loadProfile } from './api.js';
import { oauthTransport } from './oauth.js';

let clerk;
let shown = ''; // the view on screen: signed-out | signed-in:<user id> | offline

let emulatorMode = false;

export async function startClerk(status) {
  emulatorMode = status.mode === 'emulator';
  // ClerkJS derives request URLs from proxyUrl's origin, which is opaque ("null") for
  // the wails:// scheme; give it an http placeholder and send each request back to
  // the page's own origin, where the gateway answers. The dev server's page uses the
  // same placeholder, so it runs the desktop's code paths.
  const proxyUrl = 'http://wails.localhost' + status.proxyPath;
  clerk = new Clerk(status.publishableKey, { proxyUrl });
  clerk.__internal_onBeforeRequest((req) => {
    req.credentials = 'omit';
    req.url = new URL(req.url.pathname + req.url.search, location.href);
  });
  // The window never leaves the app's page: ClerkJS navigates to other origins
  // (the placeholder among them) through this hook, and to its own through the
  // router options below.
  clerk.__internal_windowNavigate = (to) => {
    if (!keepWindow(to)) console.warn('Desk Clerk: a navigation away from the app was refused');
  };

  try {
    await clerk.load({
      ui,
      standardBrowser: false,
      telemetry: false,
      // The app is one page: after sign-in or sign-out, re-render instead of navigating.
      routerPush: (to) => { keepWindow(to); },
      routerReplace: (to) => { keepWindow(to); },
      __internal_oauthTransport: oauthTransport,
    });
  } catch (err) {
    refreshHealth();
    return showOffline(err);
  }
  clerk.addListener(() => render());
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
    fetch(u.pathname + u.search, { credentials: 'omit', redirect: 'manual' }).catch(() => {});
    return true;
  }
  return u.origin === location.origin || u.protocol === 'wails:';
}

function render() {
  const user = clerk.user;
  const view = user ? `signed-in:${user.id}` : 'signed-out';
  $('st-session').textContent = `Session: ${user ? 'signed in' : 'signed out'}`;
  if (view === shown) return;
  shown = view;
  return user ? showSignedIn(user) : showSignedOut();
}

async function showSignedOut() {
  clerk.unmountUserButton($('user-button'));
  // The card routes with the hash; a step left from the last sign-in (#/client-trust,
  // #/factor-one) has no sign-in behind it now and would show a spinner for ever.
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  const mount = el('div', { id: 'sign-in' });
  const hint = emulatorMode && el('p', { class: 'hint', id: 'emulator-hint' },
    'Local emulator: sign up with any address containing +clerk_test (e.g. you+clerk_test@example.com; code 424242), ',
    'or use a demo account (ada@example.com, grace@example.com) — `make demo-users` prints their passwords while the app is closed.');
  $('app').replaceChildren(el('section', { class: 'signin-wrap', id: 'signed-out' }, mount, hint));
  clerk.mountSignIn(mount, { withSignUp: true });
  // The card renders asynchronously; the screen counts as shown once its form is there.
  for (let i = 0; i < 300 && !mount.querySelector('input'); i++) await afterPaint();
  if (shown === 'signed-out') showScreen('signed-out');
}

function showSignedIn(user) {
  // Ask the API who we are straight away: it proves the session works end to end.
  // The call goes out before the screen is built; the answer lands in it.
  const me = loadProfile(clerk);
  const email = user.primaryEmailAddress?.emailAddress || '';
  const name = user.fullName || user.username || email;
  const profile = el('section', { class: 'card profile', id: 'profile' },
    el('img', { class: 'avatar', src: user.imageUrl, alt: '' }),
    el('div', {},
      el('h1', { id: 'profile-name' }, name),
      el('p', { id: 'profile-email' }, email),
    ),
    el('div', { class: 'actions' },
      el('button', { class: 'ghost', id: 'sign-out', onclick: () => signOut(false) }, 'Sign out'),
      el('button', { class: 'ghost', id: 'forget-device', title: 'The next sign-in on this computer is treated as a new device.', onclick: () => signOut(true) }, 'Sign out and forget this device'),
    ),
  );
  showScreen('signed-in', el('div', { class: 'stack' }, profile, apiPanel(clerk, refreshHealth)));
  me.then((status) => {
    Ready(`api-me:${status}`).catch(() => {});
    refreshHealth();
  });
  // Clerk's user menu mounts a React tree (and loads its chunk): after the call is out.
  // API-key requests go outside /v1 with their own bearer, which the gateway does not
  // forward (it only speaks the Frontend API): no API keys page.
  setTimeout(() => clerk.mountUserButton($('user-button'), { afterSignOutUrl: location.href, userProfileProps: { apiKeysProps: { hide: true } } }), 0);
}

// signOut ends the sessions. The client token stays in the keychain (Clerk keeps
// the client, and Client Trust recognises this device by it) unless the person asks
// to forget this device, or Clerk could not be told: then a kept token would sign
// them back in at the next start.
async function signOut(forget) {
  for (const id of ['sign-out', 'forget-device']) {
    const btn = $(id);
    if (btn) btn.disabled = true;
  }
  const btn = $(forget ? 'forget-device' : 'sign-out');
  if (btn) btn.textContent = 'Signing out…';
  try {
    await clerk.signOut();
  } catch (err) {
    showErrors([`Sign-out did not reach Clerk (${err?.errors?.[0]?.message || err?.message || err}); this device has forgotten you anyway.`]);
    forget = true;
  }
  await (forget ? ForgetDevice() : SignedOut()).catch((err) => showErrors([`Could not clear the keychain: ${err}`]));
  try { localStorage.clear(); sessionStorage.clear(); } catch { /* storage may be unavailable */ }
  render();
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

function formatOffset(s) {
  return s >= 3600 ? `${Math.round(s / 360) / 10} h` : s >= 60 ? `${Math.round(s / 60)} min` : `${s} s`;
}

async function refreshHealth() {
  try {
    const h = await Health();
    const kc = h.keychain;
    $('st-keychain').textContent = `Keychain: ${kc.backend || 'unknown'}${kc.persistent ? '' : ' (not kept after restart)'}`;
    $('st-keychain').title = kc.summary || '';
    $('st-keychain').classList.toggle('warn', !kc.persistent);
    const api = h.api;
    $('st-api').textContent = `API: ${!api.checked ? 'not called yet' : api.reachable ? `reachable (${api.status})` : 'unreachable'}`;
    $('st-api').classList.toggle('warn', api.checked && !api.reachable);
    if (!h.identity.online && clerk?.user) $('st-session').textContent = 'Session: signed in (offline)';
    // Tokens are checked against Clerk's time, so sign-in works; say so anyway.
    const off = Math.round(h.clock?.offsetSeconds || 0);
    $('st-clock').hidden = !h.clock?.large;
    $('st-clock').textContent = `Clock: this computer is ${formatOffset(Math.abs(off))} ${off > 0 ? 'behind' : 'ahead of'} Clerk`;
    $('st-clock').title = 'Desk Clerk checks sign-in times against Clerk\'s clock; other apps may fail. Set the system clock to update automatically.';
  } catch { /* the status line is best effort */ }
}
