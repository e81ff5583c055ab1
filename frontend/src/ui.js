// Small DOM helpers. Everything from Go or the network is inserted as text.
import { Ready } from '../wailsjs/go/main/App';

export const $ = (id) => document.getElementById(id);

export function el(tag, props = {}, ...children) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') n.className = v;
    else if (k === 'dataset') Object.assign(n.dataset, v);
    else if (k.startsWith('on')) n.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) n.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined && c !== false) n.append(c instanceof Node ? c : String(c));
  }
  return n;
}

export function afterPaint() {
  return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
}

export function showErrors(list) {
  const box = $('errors');
  box.replaceChildren(...list.map((msg) => el('p', {}, msg)));
  box.hidden = list.length === 0;
}

// showScreen marks the page's state for tests and reports it to Go once painted.
export async function showScreen(name, ...nodes) {
  if (nodes.length) $('app').replaceChildren(...nodes);
  document.body.dataset.screen = name;
  await afterPaint();
  if (document.body.dataset.screen === name) Ready(name).catch(() => {});
}
