import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync, constants } from 'node:zlib';
import { defineConfig } from 'vite';

const dist = new URL('./dist/', import.meta.url).pathname;
const distGz = new URL('./dist-gz/', import.meta.url).pathname;

// Go embeds frontend/dist-gz; committed placeholders keep `go vet` and `go test`
// working in a fresh clone, and Vite's emptyOutDir would delete dist's, so put it back.
const keepPlaceholder = {
  name: 'keep-dist-placeholder',
  closeBundle() {
    writeFileSync(join(dist, '.gitkeep'), '');
  },
};

// What the binary embeds: dist with every asset gzipped (ClerkJS, its UI and React
// are most of the binary otherwise); Go decompresses as it serves them
// (internal/gzassets). dist itself stays plain for `-assetdir frontend/dist` (the
// dev build in the browser tests). index.html stays plain: Go rewrites it per launch.
const gzipForEmbedding = {
  name: 'gzip-for-embedding',
  closeBundle() {
    rmSync(distGz, { recursive: true, force: true });
    mkdirSync(distGz, { recursive: true });
    writeFileSync(join(distGz, '.gitkeep'), '');
    const walk = (dir) => {
      for (const name of readdirSync(dir)) {
        const from = join(dir, name);
        if (statSync(from).isDirectory()) { walk(from); continue; }
        if (name === '.gitkeep') continue;
        const to = join(distGz, relative(dist, from));
        mkdirSync(join(to, '..'), { recursive: true });
        const data = readFileSync(from);
        const gz = name === 'index.html' ? null : gzipSync(data, { level: constants.Z_BEST_COMPRESSION });
        if (gz && gz.length < data.length) writeFileSync(`${to}.gz`, gz);
        else writeFileSync(to, data);
      }
    };
    walk(dist);
  },
};

// Clerk's UI lists the Solana wallets installed in the browser (wallet extensions,
// WalletReadyState.Installed) for Web3 sign-in. A desktop webview has no extensions,
// so the list is always empty; without this stub its Solana libraries would be a
// sixth of the embedded frontend (430 kB, 135 kB gzipped).
const noSolanaWallets = {
  name: 'no-solana-wallets',
  enforce: 'pre',
  load(id) {
    if (/[\\/]@clerk[\\/]ui[\\/]dist[\\/]no-rhc[\\/]elements[\\/]Web3SolanaWalletButtons\.js$/.test(id)) {
      return 'export const Web3SolanaWalletButtons = () => null;\n';
    }
    return null;
  },
};

export default defineConfig({
  plugins: [noSolanaWallets, keepPlaceholder, gzipForEmbedding],
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
  },
});
