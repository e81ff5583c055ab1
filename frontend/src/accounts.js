// Several accounts on one device (Clerk multi-session instances) and the session's
// expiry in the status line. With a single-session instance nothing here changes
// what the app does, except that the expiry is shown.
import { $, el } from './ui.js';

// multiSession: the instance lets several accounts be signed in on one client
// (Clerk's environment: auth_config.single_session_mode false).
export function multiSession(clerk) {
  return clerk.environment?.authConfig?.singleSessionMode === false;
}

// otherAccountsRemain: no account is active, yet others are still signed in on
// this client — the moment after signing out of the active one. ClerkJS then has
// no active session (clerk-js Clerk.signOut with a sessionId: the current session
// is removed and setActive'd to null); the page keeps showing what it showed until
// resumeAccount has made another one active.
export function otherAccountsRemain(clerk) {
  if (clerk.user) allSignedOut = false;
  if (allSignedOut || !multiSession(clerk)) return false;
  return !clerk.user && (clerk.client?.signedInSessions?.length || 0) > 0;
}

// signingOutAll: the person asked to sign out of every account; sessions a failed
// (offline) sign-out leaves in ClerkJS's memory must not be made active again.
let allSignedOut = false;
export function signingOutAll() {
  allSignedOut = true;
}

// resumeAccount makes the most recently active remaining account the active one,
// as Clerk's own account chooser would after a single sign-out.
let resuming = null;
export function resumeAccount(clerk) {
  if (resuming || !otherAccountsRemain(clerk)) return resuming;
  const list = clerk.client.signedInSessions;
  const next = list.find((s) => s.id === clerk.client.lastActiveSessionId) || list[0];
  resuming = clerk.setActive({ session: next.id }).catch(() => {}).finally(() => { resuming = null; });
  return resuming;
}

// watchAccounts hooks the account switch and the expiry display into ClerkJS.
export function watchAccounts(clerk) {
  // ClerkJS calls this after setActive and after each sign-out has finished (both
  // through Clerk.setActive/signOut), which is when a single sign-out leaves no
  // active account.
  const previous = window.__internal_onAfterSetActive;
  window.__internal_onAfterSetActive = async () => {
    if (typeof previous === 'function') await previous();
    await resumeAccount(clerk);
    dispatchEvent(new Event('deskclerk:after-set-active'));
  };
  clerk.addListener(() => showExpiry(clerk));
  showExpiry(clerk);
  setInterval(() => showExpiry(clerk), 60000);
}

// accountControls: with a multi-session instance, "Add account", a switch to each
// other signed-in account and "Sign out of all accounts" next to the profile
// (Clerk's user menu offers the same).
export function accountControls(clerk, signOutAll) {
  if (!multiSession(clerk)) return null;
  const sessions = clerk.client?.signedInSessions || [];
  const n = sessions.length || 1;
  const others = sessions.filter((s) => s.id !== clerk.session?.id);
  return el('div', { class: 'row accounts', id: 'accounts' },
    el('span', { class: 'muted', id: 'accounts-count' }, n === 1 ? '1 account on this device' : `${n} accounts on this device`),
    el('button', { class: 'ghost', id: 'add-account', onclick: () => { location.hash = 'add-account'; } }, 'Add account'),
    others.map((s, i) => el('button', {
      class: 'ghost switch-account',
      id: `switch-account-${i}`,
      'data-session': s.id,
      onclick: (e) => switchTo(clerk, s.id, e.currentTarget),
    }, `Switch to ${s.publicUserData?.identifier || s.user?.primaryEmailAddress?.emailAddress || 'another account'}`)),
    n > 1 && el('button', { class: 'ghost', id: 'sign-out-all', onclick: signOutAll }, 'Sign out of all accounts'));
}

// switchTo makes another signed-in account the active one, as Clerk's user menu does.
async function switchTo(clerk, sessionId, btn) {
  btn.disabled = true;
  try {
    await clerk.setActive({ session: sessionId });
  } catch (err) {
    btn.disabled = false;
    btn.title = `Could not switch: ${err?.errors?.[0]?.message || err?.message || err}`;
  }
}

// The status line: when the session ends. Clerk sessions have an absolute
// lifetime (expire_at), after which the person must sign in again.
export function showExpiry(clerk) {
  const span = $('st-expiry');
  if (!span) return;
  const at = clerk.session?.expireAt;
  if (!clerk.user || !(at instanceof Date) || Number.isNaN(at.getTime())) {
    span.hidden = true;
    return;
  }
  const left = at.getTime() - Date.now();
  span.hidden = false;
  span.textContent = `Expires ${formatWhen(at)} (${formatLeft(left)})`;
  span.title = `Clerk ends this session at ${at.toString()}; then you sign in again. This is the instance's session lifetime, not a fault.`;
  span.classList.toggle('warn', left < 24 * 3600 * 1000);
}

function formatWhen(d) {
  return d.toLocaleString(undefined, { weekday: 'short', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function formatLeft(ms) {
  if (ms <= 0) return 'now';
  const min = Math.round(ms / 60000);
  if (min < 60) return `in ${min} min`;
  const h = Math.round(min / 60);
  if (h < 48) return `in ${h} h`;
  return `in ${Math.round(h / 24)} days`;
}
