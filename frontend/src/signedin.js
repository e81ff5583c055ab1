// The signed-in screen: the profile card and the API panel. It is built from plain
// display fields, so it can be painted from the snapshot Go keeps before ClerkJS
// has loaded; `ref.clerk` is filled in once ClerkJS has confirmed the session.
import { $, el } from './ui.js';
import { apiPanel, setNetworkActions } from './api.js';

// ref is what the API panel asks for a session token: ref.session is ClerkJS's
// session once loaded, undefined before.
export const ref = {
  clerk: null,
  get session() { return this.clerk?.session; },
};

export function displayFields(user, session) {
  const email = user.primaryEmailAddress?.emailAddress || '';
  return {
    userId: user.id,
    name: user.fullName || user.username || email,
    email,
    imageUrl: user.imageUrl || '',
    sessionId: session?.id || '',
    sessionExpiresAt: session?.expireAt ? new Date(session.expireAt).toISOString() : '0001-01-01T00:00:00Z',
  };
}

// signedInScreen builds the screen for identity; onSignOut and onAccount are
// called from its buttons, onDone after each API call.
export function signedInScreen(identity, { onSignOut, onForget, onDone }) {
  const avatar = el('img', { class: 'avatar', id: 'profile-avatar', alt: '', src: identity.imageUrl || undefined });
  avatar.onerror = () => avatar.removeAttribute('src'); // offline: a plain circle
  const profile = el('section', { class: 'card profile', id: 'profile' },
    avatar,
    el('div', {},
      el('h1', { id: 'profile-name' }, identity.name),
      el('p', { id: 'profile-email' }, identity.email),
      el('p', { id: 'session-note', class: 'session-note', hidden: true }),
    ),
    el('div', { class: 'actions' },
      el('button', { class: 'ghost', id: 'sign-out', onclick: onSignOut }, 'Sign out'),
      el('button', { class: 'ghost', id: 'forget-device', title: 'The next sign-in on this computer is treated as a new device.', onclick: onForget }, 'Sign out and forget this device'),
    ),
  );
  return el('div', { class: 'stack' }, profile, apiPanel(ref, onDone));
}

// setSessionNote shows how sure the screen is: '' (confirmed), 'confirming' or
// 'offline'. Network actions are disabled and explained until confirmed.
export function setSessionNote(state, text) {
  const note = $('session-note');
  if (!note) return;
  note.hidden = !state;
  note.textContent = text || '';
  note.className = `session-note ${state}`;
  document.body.dataset.session = state || 'confirmed';
  const why = state === 'offline' ? 'Needs the sign-in service, which cannot be reached right now.'
    : state === 'confirming' ? 'Available once your session is confirmed.' : '';
  setNetworkActions(!state, why);
  for (const id of ['sign-out', 'forget-device']) {
    const so = $(id);
    if (so) { so.disabled = !!state; so.title = why; }
  }
  const acct = $('account-open');
  if (acct) { acct.disabled = !!state; acct.title = why || 'Manage your account'; }
}

// accountButton is the header's avatar button; it opens Clerk's account dialog,
// loading Clerk's UI only then.
export function accountButton(identity, onOpen) {
  const img = el('img', { alt: '', src: identity.imageUrl || undefined });
  img.onerror = () => img.removeAttribute('src');
  const b = el('button', { id: 'account-open', class: 'account', type: 'button', title: 'Manage your account', 'aria-label': 'Manage your account', onclick: onOpen }, img);
  $('user-button').replaceChildren(b);
  return b;
}
