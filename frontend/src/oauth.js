// Social sign-in leaves the window (RFC 8252): Go opens the system browser and
// waits for Clerk's redirect on a loopback listener. This is ClerkJS's OAuth
// transport plus the window's "continue in your browser" panel.
import { OAuthRedirectURL, OAuthOpen, OAuthStatus, OAuthCancel, CopyText } from '../wailsjs/go/main/App';
import { EventsOn } from '../wailsjs/runtime/runtime';
import { $, el, showErrors } from './ui.js';

let timer = null;
let manualURL = '';

function panel() {
  let p = $('oauth-panel');
  if (!p) {
    p = el('div', { id: 'oauth-panel', class: 'oauth', role: 'dialog', 'aria-live': 'polite' },
      el('div', { class: 'oauth-card' },
        el('h2', {}, 'Continue in your browser'),
        el('p', { id: 'oauth-text' }, 'Finish signing in in the browser window that just opened. This window will come back when you are done.'),
        el('div', { id: 'oauth-manual', class: 'manual', hidden: true },
          el('p', {}, 'No browser could be opened. Open this address yourself:'),
          el('input', { id: 'oauth-url', readonly: true, 'aria-label': 'Sign-in address' }),
          el('button', { id: 'oauth-copy', class: 'ghost', onclick: copy }, 'Copy'),
        ),
        el('p', { id: 'oauth-countdown', class: 'muted' }),
        el('button', { id: 'oauth-cancel', class: 'ghost', onclick: () => OAuthCancel() }, 'Cancel'),
      ));
    document.body.append(p);
  }
  return p;
}

async function copy() {
  try {
    await CopyText(manualURL);
    $('oauth-copy').textContent = 'Copied';
  } catch {
    $('oauth-url').select();
  }
}

function showManual(url) {
  manualURL = url;
  panel();
  $('oauth-text').textContent = 'Finish signing in in your browser. This window will come back when you are done.';
  $('oauth-manual').hidden = false;
  $('oauth-url').value = url;
}

async function tick() {
  const s = await OAuthStatus().catch(() => null);
  if (!s || !s.active) return;
  const left = Math.max(0, Math.round((s.deadlineUnixMilli - Date.now()) / 1000));
  $('oauth-countdown').textContent = `Waiting for the browser: ${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')} left.`;
  if (s.openFailed && s.manualUrl) showManual(s.manualUrl);
}

function close() {
  clearInterval(timer);
  timer = null;
  $('oauth-panel')?.remove();
}

EventsOn('oauth:open-failed', (url) => showManual(url));

export const oauthTransport = {
  getRedirectUrl: () => OAuthRedirectURL(),
  async open(url) {
    panel();
    tick();
    timer = setInterval(tick, 1000);
    try {
      const out = await OAuthOpen(String(url));
      document.body.dataset.oauth = out.error ? `failed:${out.code || 'error'}` : 'done';
      // Cancel pressed here is the person's own choice, not an error to alert about.
      showErrors(out.error && out.code !== 'cancelled' ? [`Social sign-in: ${out.error}`] : []);
      // ClerkJS finishes (or reports the provider's failure) from the callback URL.
      if (out.callbackUrl) return { callbackUrl: out.callbackUrl };
      throw new Error(out.error || 'Social sign-in did not finish.');
    } finally {
      close();
    }
  },
};
