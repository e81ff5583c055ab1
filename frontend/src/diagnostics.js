// The Diagnostics view: the checks of `deskclerk doctor`, run by Go inside the app
// (with its own stored sign-in, read only). Opened from the status line or with
// Ctrl+Shift+D.
import { Diagnostics, Ready } from '../wailsjs/go/main/App';
import { $, afterPaint, el } from './ui.js';

const marks = { ok: '✓', warn: '!', fail: '✗', skip: '–' };

export function installDiagnostics() {
  const open = $('diagnostics-open');
  if (open) open.onclick = showDiagnostics;
  addEventListener('keydown', (e) => {
    if (e.ctrlKey && e.shiftKey && (e.key === 'D' || e.key === 'd')) {
      e.preventDefault();
      showDiagnostics();
    }
  });
}

export async function showDiagnostics() {
  if ($('diagnostics')) return;
  const close = () => $('diagnostics')?.remove();
  const body = el('div', { class: 'diag-body' }, el('p', { class: 'muted' }, 'Running checks…'));
  const again = el('button', { class: 'ghost', id: 'diagnostics-rerun', onclick: () => run() }, 'Run again');
  const copy = el('button', { class: 'ghost', id: 'diagnostics-copy' }, 'Copy report');
  document.body.append(el('div', { id: 'diagnostics', class: 'oauth', role: 'dialog', 'aria-label': 'Diagnostics', onclick: (e) => { if (e.target.id === 'diagnostics') close(); } },
    el('div', { class: 'oauth-card diag-card' },
      el('h2', {}, 'Diagnostics'),
      el('p', { class: 'muted' }, 'The same checks as `deskclerk doctor`. Nothing here shows a token or a secret.'),
      body,
      el('div', { class: 'row' }, again, copy, el('span', { class: 'spacer' }), el('button', { id: 'diagnostics-close', onclick: close }, 'Close')))));

  async function run() {
    again.disabled = true;
    body.replaceChildren(el('p', { class: 'muted' }, 'Running checks…'));
    let rep;
    try {
      rep = await Diagnostics();
    } catch (err) {
      body.replaceChildren(el('p', { class: 'error-text' }, `The checks could not run: ${err?.message || err}`));
      again.disabled = false;
      return;
    }
    body.replaceChildren(
      el('p', { id: 'diagnostics-verdict', class: rep.ok ? 'diag-ok' : 'diag-fail' }, rep.ok ? 'No problems found.' : 'Some checks failed; see what to do below each.'),
      ...rep.checks.map((c) => el('details', { class: `diag diag-${c.status}`, 'data-check': c.id, open: c.status === 'fail' || c.status === 'warn' },
        el('summary', {}, el('span', { class: 'diag-mark' }, marks[c.status] || '?'), el('b', {}, c.title), ' ', c.summary),
        (c.details || []).length > 0 && el('table', { class: 'about' }, ...(c.details || []).map((d) => el('tr', {}, el('th', {}, d.label), el('td', {}, d.value)))),
        c.fix && el('p', { class: 'diag-fix' }, `→ ${c.fix}`))));
    copy.onclick = () => navigator.clipboard?.writeText(JSON.stringify(rep, null, 2)).catch(() => {});
    again.disabled = false;
    await afterPaint();
    Ready(`diagnostics:${rep.ok ? 'ok' : 'fail'}`).catch(() => {});
  }
  run();
}
