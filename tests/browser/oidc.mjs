// The local OpenID provider of the browser tests: the certified oidc-provider of the OAuth
// tests (tests/interop/oauth/providers.mjs, pinned in tests/interop's lock file) on 127.0.0.1,
// with its own login and consent pages (oidc-provider's interactions), so that the browser
// signs in at the provider as a user does. Any login name is an account: "<login>@example.com",
// verified, named "Social <login>".
//
//   AUTH_URL=<the Auth URL> DATABASE_URL=<its database> node oidc.mjs
//
// (providers.mjs loads tests/interop/lib.mjs, which wants both set)
//
// prints OIDC_ISSUER=..., OIDC_CLIENT_ID=..., OIDC_CLIENT_SECRET=... once listening, then
// serves until SIGTERM (test_ui.sh starts and stops it). The client's redirect URI is
// <AUTH_URL>/callback/google: the branch configures provider "google" with this issuer's
// endpoints, so the stock UI's Google button leads here.
import { CLIENT_ID, CLIENT_SECRET, startOidc } from '../interop/oauth/providers.mjs';

const AUTH_URL = process.env.AUTH_URL;
if (!AUTH_URL) {
  console.error('oidc.mjs: AUTH_URL must be set');
  process.exit(2);
}
const accounts = new Proxy({}, {
  get: (_, login) => (typeof login === 'string' && /^[a-z0-9.-]{1,64}$/.test(login)
    ? { email: `${login}@example.com`, verified: true, name: `Social ${login}` } : undefined),
});
const oidc = await startOidc([`${AUTH_URL.replace(/\/$/, '')}/callback/google`], accounts);
console.log(`OIDC_ISSUER=${oidc.issuer}`);
console.log(`OIDC_CLIENT_ID=${CLIENT_ID}`);
console.log(`OIDC_CLIENT_SECRET=${CLIENT_SECRET}`);
const stop = () => { oidc.stop().finally(() => process.exit(0)); setTimeout(() => process.exit(0), 2000).unref(); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
