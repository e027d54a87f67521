import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * The web console, built into console/dist and served by the service at `/`. `npm run dev:console` serves it with
 * hot reload on :5173 and forwards the API, docs and sandbox to the service on :3000 (`CONSOLE_API`).
 */
const api = process.env.CONSOLE_API ?? 'http://localhost:3000';
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  // CONSOLE_MINIFY=false: readable stacks when debugging a build.
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1200, minify: process.env.CONSOLE_MINIFY !== 'false', sourcemap: process.env.CONSOLE_MINIFY === 'false' },
  server: { port: 5173, proxy: { '/api': api, '/sandbox': api, '/docs': api } },
});
