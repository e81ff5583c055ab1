// Desk Clerk's page. The first frame is the loading screen; ClerkJS (large) is
// loaded after it has been painted, so start-up is not held up by parsing it.
import './style.css';
import { Status, Ready } from '../wailsjs/go/main/App';
import { $, afterPaint, showErrors, showScreen } from './ui.js';

async function start() {
  afterPaint().then(() => Ready('loading')).catch(() => {});
  // Fetch and parse ClerkJS while Go answers Status.
  const session = import('./session.js');
  let status;
  try {
    status = await Status();
  } catch (err) {
    showErrors([`Desk Clerk could not start: ${err?.message || err}`]);
    return showScreen('error');
  }
  const badge = $('mode');
  badge.textContent = status.mode === 'emulator' ? 'Local emulator — not a real Clerk instance' : `Clerk · ${status.instance}`;
  badge.classList.toggle('clerk', status.mode !== 'emulator');
  badge.hidden = false;
  $('st-identity').textContent = `Identity: ${status.mode === 'emulator' ? 'local emulator' : status.instance} · v${status.version}`;
  showErrors(status.errors || []);
  if (!status.publishableKey) {
    return showScreen('error');
  }
  const { startClerk } = await session;
  await startClerk(status);
}

start();
