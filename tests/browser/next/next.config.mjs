// Minimal: this folder is the workspace root (tests/browser has its own lock file).
import { fileURLToPath } from 'node:url';

export default {
  poweredByHeader: false,
  turbopack: { root: fileURLToPath(new URL('.', import.meta.url)) },
};
