// Start-up with a stored sign-in: the signed-in screen is painted at once from the
// snapshot Go keeps (no ClerkJS, no network), marked while it is being confirmed.
// Go confirms the session itself (mints a session token through the gateway,
// verifies it, calls /api/me) while ClerkJS loads afterwards and takes over.
// Offline, the screen stays, labelled, and the app keeps trying.
import { ConfirmSession, Ready } from '../wailsjs/go/main/App';
import { $, showScreen } from './ui.js';
import { showAnswers, showMe } from './api.js';
import { accountButton, setSessionNote, signedInScreen } from './signedin.js';
import { updateStatusLine } from './health.js';

let statusP;
let identity;
let lastConfirmed;
let retryDelay = 0;
let retryTimer = 0;
let busy = false;
let done = false;

const session = () => import('./session.js');

// startFromSnapshot paints the signed-in screen from snap at once (before the
// first frame, when the snapshot came with the page), then confirms it: with
// early, the check Go has already made (boot data), else by asking Go.
// statusP resolves to the app's status, which ClerkJS needs to take over.
export async function startFromSnapshot(stP, snap, early) {
  statusP = stP;
  identity = snap.identity;
  lastConfirmed = snap.confirmedAt;
  const screen = signedInScreen(identity, { onSignOut: () => session().then((s) => s.signOut()) });
  accountButton(identity, () => {});
  $('st-session').textContent = 'Session: signed in (confirming)';
  if (early?.state === 'offline') {
    $('app').replaceChildren(screen);
    showAnswers(snap.answers);
    offline(early.message, early.reason === 'expired');
    window.addEventListener('focus', () => { if (!done) confirm(); });
    return;
  }
  const shown = showScreen('signed-in', screen);
  showAnswers(snap.answers);
  setSessionNote('confirming', 'Confirming your session…');
  // Go's first /api/me answer, when it came with the page, is in the first frame.
  if (early?.me) { showMe(early.me); shown.then(() => Ready(`api-me:${early.me.status}`)).catch(() => {}); }
  await shown; // ClerkJS is loaded after the first frame, never before it
  window.addEventListener('focus', () => { if (!done) confirm(); });
  if (early) return settle(early, true);
  return confirm();
}

// confirm asks Go once; on success it hands over to ClerkJS.
async function confirm() {
  if (busy || done) return;
  busy = true;
  clearTimeout(retryTimer);
  try {
    return await settle(await ConfirmSession());
  } finally {
    busy = false;
  }
}

// settle acts on Go's check of the session (shown: its /api/me answer is on screen).
function settle(c, shown) {
  switch (c.state) {
    case 'confirmed':
      done = true;
      lastConfirmed = c.confirmedAt;
      if (c.me && !shown) { showMe(c.me); Ready(`api-me:${c.me.status}`).catch(() => {}); }
      return handOver({ painted: identity, offline: true });
    case 'ended':
      done = true;
      return handOver({ reason: c.message, reasonCode: c.reason });
    case 'offline':
      return offline(c.message, c.reason === 'expired');
    default: // unconfirmed: ClerkJS decides
      done = true;
      return handOver({ painted: identity, offline: true });
  }
}

async function handOver(opts) {
  const status = await statusP.catch(() => null);
  if (!status?.publishableKey) return; // main.js shows why
  const { startClerk } = await session();
  try {
    await startClerk(status, opts);
  } catch {
    // ClerkJS could not load after all (the network went away again): stay offline.
    done = false;
    return offline('Cannot reach the sign-in service.');
  }
}

function offline(why, expired) {
  const when = lastConfirmed && !lastConfirmed.startsWith('0001') ? new Date(lastConfirmed).toLocaleString() : 'never';
  setSessionNote('offline', `Offline — last confirmed ${when}. ${why || ''}${expired ? '' : ' Desk Clerk keeps trying.'}`);
  $('st-session').textContent = 'Session: signed in (offline)';
  showScreen('offline-signed-in');
  updateStatusLine(true);
  // Back off from 2 s to a minute; window focus tries at once.
  retryDelay = Math.min(retryDelay ? retryDelay * 2 : 2000, 60000);
  retryTimer = setTimeout(confirm, retryDelay);
}
