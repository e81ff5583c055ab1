import { writeFileSync } from 'node:fs';
import { defineConfig } from 'vite';

// Go embeds frontend/dist; a committed placeholder keeps `go vet` and `go test`
// working in a fresh clone, and Vite's emptyOutDir would delete it, so put it back.
const keepPlaceholder = {
  name: 'keep-dist-placeholder',
  closeBundle() {
    writeFileSync(new URL('./dist/.gitkeep', import.meta.url), '');
  },
};

export default defineConfig({
  plugins: [keepPlaceholder],
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
  },
});
