// The Neon SDK's server side, configured from the environment at run time (test_next.sh sets
// NEON_AUTH_BASE_URL and NEON_AUTH_COOKIE_SECRET for `next start`; `next build` has neither,
// so nothing is created while pages are collected).
import { createNeonAuth } from '@neondatabase/auth/next/server';

let instance;

export function auth() {
  instance ??= createNeonAuth({
    baseUrl: process.env.NEON_AUTH_BASE_URL,
    cookies: { secret: process.env.NEON_AUTH_COOKIE_SECRET },
    logLevel: 'warn',
  });
  return instance;
}
