// Builds the ClerkJS harness page with Vite (cached by content hash) and
// serves it from a loopback static server.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, '.harness-dist');
const stampFile = path.join(dist, '.stamp');

function sourceHash() {
  const h = createHash('sha256');
  const files = ['vite.config.mjs', 'package-lock.json', ...fs.readdirSync(path.join(root, 'harness')).map((f) => path.join('harness', f))];
  for (const f of files.sort()) {
    h.update(f);
    h.update(fs.readFileSync(path.join(root, f)));
  }
  return h.digest('hex');
}

// withLock serialises harness builds across test files run in parallel.
async function withLock(fn) {
  const lock = path.join(root, '.harness-build.lock');
  for (let i = 0; ; i++) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const age = Date.now() - fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs;
      if (age > 5 * 60_000) fs.rmSync(lock, { recursive: true, force: true }); // left by a killed run
      if (i > 1200) throw new Error('timed out waiting for the harness build lock');
      await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** Builds the harness unless an identical build is already in .harness-dist. */
export async function buildHarness() {
  const want = sourceHash();
  await withLock(async () => {
    if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === want) return;
    const { build } = await import('vite');
    await build({ configFile: path.join(root, 'vite.config.mjs'), root: path.join(root, 'harness'), logLevel: 'error' });
    fs.writeFileSync(stampFile, want);
  });
  return dist;
}

const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json', '.map': 'application/json' };

/**
 * Serves the built harness on 127.0.0.1. /oauth-callback is the page social
 * sign-in lands on (the app's loopback listener in production).
 */
export async function serveHarness() {
  const dir = await buildHarness();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/oauth-callback') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>Done</title><p id="callback">You can return to the app.</p>');
      return;
    }
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname).replace(/^\/+/, '');
    const file = path.join(dir, rel);
    if (!file.startsWith(dir + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': types[path.extname(file)] || 'application/octet-stream', 'cache-control': 'no-store' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    /** URL of the harness page for an emulator. */
    pageURL: (emu, extra = {}) => `${origin}/?${new URLSearchParams({ pk: emu.publishable_key, fapi: emu.frontend_api_url, ...extra })}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}
