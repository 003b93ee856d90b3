// The browser-test app: two pages under /app/ (ba/ = @daveyplate/better-auth-ui with
// better-auth's own React client, neon/ = @neondatabase/auth-ui with @neondatabase/auth).
// The Auth URL is not built in: each deployment serves /app/config.js (see run_ui.sh).
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import tailwindcss from '@tailwindcss/vite';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('./app', import.meta.url));

export default defineConfig({
  root,
  base: '/app/',
  plugins: [react(), tailwindcss()],
  logLevel: 'warn',
  build: {
    outDir: process.env.APP_OUT_DIR || fileURLToPath(new URL('./dist/app', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 4096,
    rollupOptions: {
      input: {
        index: `${root}/index.html`,
        ba: `${root}/ba/index.html`,
        neon: `${root}/neon/index.html`,
      },
    },
  },
});
