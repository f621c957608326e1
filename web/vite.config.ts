// Builds the viewer page (web/) into dist/web/, which the viewer server serves; one bundle, no CDN, no fonts.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  // Preact's JSX through esbuild: no Babel preset needed.
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  resolve: { alias: { react: 'preact/compat', 'react-dom': 'preact/compat' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/web/', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // The page must not fetch anything but its own files and the API: no inline module-preload helper either.
    modulePreload: false,
    sourcemap: false,
    reportCompressedSize: false,
  },
  logLevel: 'warn',
});
