import { defineConfig } from 'vite';

// Builds the ClerkJS harness page used by the end-to-end tests (lib/harness.mjs).
export default defineConfig({
  root: 'harness',
  base: './',
  logLevel: 'warn',
  build: {
    outDir: '../.harness-dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    minify: false, // a test page: faster to build, readable stack traces
  },
});
