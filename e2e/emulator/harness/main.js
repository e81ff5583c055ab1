// Test harness for the emulator: the real ClerkJS 6 (no-rhc) and its prebuilt
// UI in native mode, the way the desktop app runs it, except that the client
// token lives here in a variable instead of in Go and the OS keychain.
//
// Query parameters: pk (publishable key), fapi (the emulator's URL, used as
// proxyUrl), view=sign-up to show <SignUp/> instead of <SignIn/> when signed out.
// window.__initialClientToken (set by the test before load) restores a stored token.
import { Clerk } from '@clerk/clerk-js/no-rhc';
import { ui } from '@clerk/ui/no-rhc';

const q = new URLSearchParams(location.search);
const statusEl = document.getElementById('status');
const signInEl = document.getElementById('sign-in');
const userButtonEl = document.getElementById('user-button');

let clientToken = window.__initialClientToken || null;
const requests = [];
const navigations = [];

const harness = (window.__harness = {
  ready: false,
  error: null,
  requests,
  navigations,
  clientToken: () => clientToken,
  clerk: null,
});

let mounted = null; // which view is mounted: remounting <SignIn/> on every change restarts its flow
function render(clerk) {
  const signedIn = !!clerk.isSignedIn;
  statusEl.textContent = signedIn ? `signed in as ${clerk.user?.primaryEmailAddress?.emailAddress}` : 'signed out';
  statusEl.dataset.state = signedIn ? 'signed-in' : 'signed-out';
  if (mounted === signedIn) return;
  mounted = signedIn;
  if (signedIn) {
    if (q.get('view') === 'sign-up') clerk.unmountSignUp(signInEl);
    else clerk.unmountSignIn(signInEl);
    clerk.mountUserButton(userButtonEl);
  } else {
    clerk.unmountUserButton(userButtonEl);
    if (q.get('view') === 'sign-up') clerk.mountSignUp(signInEl);
    else clerk.mountSignIn(signInEl);
  }
}

try {
  // proxyUrl is the only way ClerkJS talks http:// (it builds https://<fapi> otherwise).
  const clerk = new Clerk(q.get('pk'), { proxyUrl: q.get('fapi') });
  harness.clerk = clerk;

  // Native mode, as @clerk/expo and @clerk/electron do it: no cookies,
  // _is_native=1, the client token in Authorization; keep any new one.
  clerk.__internal_onBeforeRequest((req) => {
    req.credentials = 'omit';
    req.url.searchParams.set('_is_native', '1');
    if (clientToken) req.headers.set('Authorization', clientToken);
  });
  clerk.__internal_onAfterResponse((req, res) => {
    const t = res?.headers?.get('authorization');
    if (t) clientToken = t.replace(/^Bearer\s+/i, '');
    requests.push({
      method: req.method || 'GET',
      path: req.url.pathname,
      override: req.url.searchParams.get('_method'),
      status: res?.status,
      sentToken: req.headers.has('Authorization'),
      gotToken: !!t,
    });
  });

  await clerk.load({
    ui,
    standardBrowser: false,
    telemetry: false,
    // Keep ClerkJS's post-sign-in/out navigation inside the page (an SPA in the app).
    routerPush: (to) => navigations.push(to),
    routerReplace: (to) => navigations.push(to),
    // Social sign-in leaves the page: the test opens the URL in another tab,
    // like the app's system browser, and hands back the callback URL.
    __internal_oauthTransport: {
      getRedirectUrl: () => `${location.origin}/oauth-callback`,
      open: async (url) => ({ callbackUrl: await window.harnessOpenExternal(url.toString()) }),
    },
  });
  clerk.addListener(() => render(clerk));
  render(clerk);
  harness.ready = true;
} catch (err) {
  harness.error = String(err?.stack || err);
  statusEl.textContent = `error: ${err}`;
}
