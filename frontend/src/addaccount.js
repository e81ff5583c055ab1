// "Add account" (multi-session instances): Clerk's sign-in card while another
// account stays signed in. Clerk's user menu reaches it through its signInUrl
// ('#add-account'), the app's own button the same way.
import { Ready } from '../wailsjs/go/main/App';
import { $, afterPaint, el, showScreen } from './ui.js';

export async function showAddAccount(clerk, done) {
  if ($('add-account-view')) return;
  // <SignIn/> routes with the hash; start it from a clean one.
  history.replaceState(null, '', location.pathname + location.search);
  const mount = el('div', { id: 'add-account-sign-in' });
  const finish = () => {
    removeEventListener('deskclerk:after-set-active', onActive);
    clerk.unmountSignIn(mount);
    $('add-account-view')?.remove(); // the page's view follows the client again (session.js render)
    done();
  };
  // Signing in (or picking an account already signed in) ends with setActive.
  const onActive = () => { if (clerk.user) finish(); };
  addEventListener('deskclerk:after-set-active', onActive);
  showScreen('add-account', el('section', { class: 'signin-wrap', id: 'add-account-view' },
    el('p', { class: 'muted' }, `Add another account. ${clerk.user?.primaryEmailAddress?.emailAddress || 'The current account'} stays signed in.`),
    mount,
    el('button', { class: 'ghost', id: 'add-account-cancel', onclick: finish }, 'Cancel')));
  clerk.mountSignIn(mount, { withSignUp: true });
  for (let i = 0; i < 300 && !mount.querySelector('input'); i++) await afterPaint();
  Ready('add-account:form').catch(() => {});
}
