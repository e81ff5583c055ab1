// The status line: keychain, protected API, and whether the identity service answers.
import { Health } from '../wailsjs/go/main/App';
import { $ } from './ui.js';

function formatOffset(s) {
  return s >= 3600 ? `${Math.round(s / 360) / 10} h` : s >= 60 ? `${Math.round(s / 60)} min` : `${s} s`;
}

export async function updateStatusLine(signedIn) {
  try {
    const h = await Health();
    const kc = h.keychain;
    $('st-keychain').textContent = `Keychain: ${kc.backend || 'unknown'}${kc.persistent ? '' : ' (not kept after restart)'}`;
    $('st-keychain').title = kc.summary || '';
    $('st-keychain').classList.toggle('warn', !kc.persistent);
    const api = h.api;
    if (signedIn) { // signed out, the last call's outcome says nothing about now
      $('st-api').textContent = `API: ${!api.checked ? 'not called yet' : api.reachable ? `reachable (${api.status})` : 'unreachable'}`;
      $('st-api').classList.toggle('warn', api.checked && !api.reachable);
    } else {
      $('st-api').textContent = 'API: —';
      $('st-api').classList.remove('warn');
    }
    if (!h.identity.online && signedIn) $('st-session').textContent = 'Session: signed in (offline)';
    // Tokens are checked against Clerk's time, so sign-in works; say so anyway.
    const off = Math.round(h.clock?.offsetSeconds || 0);
    $('st-clock').hidden = !h.clock?.large;
    $('st-clock').textContent = `Clock: this computer is ${formatOffset(Math.abs(off))} ${off > 0 ? 'behind' : 'ahead of'} Clerk`;
    $('st-clock').title = 'Desk Clerk checks sign-in times against Clerk\'s clock; other apps may fail. Set the system clock to update automatically.';
  } catch { /* the status line is best effort */ }
}
