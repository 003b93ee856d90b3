// The SDK's middleware (Next.js 16 calls it the proxy): /dashboard needs a session, else the
// visit is redirected to the sign-in page.
import { auth } from './lib/auth.js';

let middleware;

export function proxy(request) {
  middleware ??= auth().middleware({ loginUrl: '/auth/sign-in' });
  return middleware(request);
}

export const config = { matcher: ['/dashboard/:path*'] };
