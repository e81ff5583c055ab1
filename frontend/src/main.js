// Desk Clerk's page: asks Go for the app's status, shows the first screen, then
// tells Go it has painted (start-up timing and the end-to-end tests wait on that).
import './style.css';
import { Status, Ready } from '../wailsjs/go/main/App';

const $ = (id) => document.getElementById(id);

function showErrors(list) {
  const box = $('errors');
  box.replaceChildren(...list.map((msg) => {
    const p = document.createElement('p');
    p.textContent = msg; // text only: nothing from Go or the network is parsed as HTML
    return p;
  }));
  box.hidden = list.length === 0;
}

function showMode(status) {
  const badge = $('mode');
  badge.textContent = status.mode === 'emulator' ? 'Local emulator — not a real Clerk instance' : `Clerk · ${status.instance}`;
  badge.classList.toggle('clerk', status.mode !== 'emulator');
  badge.hidden = false;
  $('status-mode').textContent = `Identity: ${status.instance} · v${status.version}`;
}

function showSignedOut() {
  const card = document.createElement('section');
  card.className = 'card';
  card.id = 'signed-out';
  card.innerHTML = `
    <h1>You are signed out</h1>
    <p>Desk Clerk signs you in with Clerk and keeps you signed in across restarts.</p>
    <div class="placeholder">Clerk's sign-in form will appear here: email and password in this window,
      and social sign-in through your web browser.</div>`;
  $('app').replaceChildren(card);
}

function afterPaint() {
  return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
}

async function start() {
  // The loading screen is the first frame; report it so start-up is measured to it.
  afterPaint().then(() => Ready('loading')).catch(() => {});
  let screen = 'signed-out';
  try {
    const status = await Status();
    showMode(status);
    showErrors(status.errors || []);
    showSignedOut();
  } catch (err) {
    screen = 'error';
    showErrors([`Desk Clerk could not start: ${err?.message || err}`]);
    $('app').replaceChildren();
  }
  await afterPaint();
  document.body.dataset.screen = screen;
  Ready(screen).catch(() => {});
}

start();
