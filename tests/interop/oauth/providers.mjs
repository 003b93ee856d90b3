// The network peers of the OAuth tests, all real servers on 127.0.0.1:
//   * a certified OpenID Connect provider (npm oidc-provider, pinned in the lockfile) with
//     accounts the tests define (verified or not), its signing key known to the tests so that
//     they can also mint the refused id tokens (wrong aud, expired, wrong nonce, ...);
//   * a server speaking GitHub's documented OAuth endpoints: /login/oauth/authorize (approves at
//     once), /login/oauth/access_token, /user, /user/emails (a private primary address);
//   * a server that accepts connections and never answers (a provider that is down).
import http from 'node:http';
import Provider from 'oidc-provider';
import * as jose from 'jose';
import { Jar } from '../lib.mjs';

export const CLIENT_ID = 'neon-authd-test-client';
export const CLIENT_SECRET = 'neon-authd-test-secret-0123456789';

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

// accounts[login] = { email, verified, name }
export async function startOidc(redirectUris, accounts) {
  const { privateKey, publicKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await jose.exportJWK(privateKey)), kid: 'test-k1', alg: 'RS256', use: 'sig' };
  const server = http.createServer();
  const port = await listen(server);
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: redirectUris,
      grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    }],
    jwks: { keys: [jwk] },
    cookies: { keys: ['oidc-test-cookie-key-0123456789'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'picture'] },
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    issueRefreshToken: async () => true,
    async findAccount(ctx, id) {
      const a = accounts[id];
      if (!a) return undefined;
      return {
        accountId: id,
        async claims() { return { sub: id, email: a.email, email_verified: a.verified, name: a.name }; },
      };
    },
  });
  provider.on('server_error', (ctx, err) => { console.error('oidc-provider:', err); });
  server.on('request', provider.callback());
  return {
    issuer, provider, publicKey, privateKey, jwk,
    stop: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }),
  };
}

// the browser at the provider: follow redirects, log in as `login`, consent, and return the
// URL the provider sends the browser back to (our callback) without requesting it
export async function providerLogin(startUrl, login, { stopAt, jar = new Jar(), maxHops = 20 } = {}) {
  let url = startUrl;
  let method = 'GET';
  let body;
  for (let hop = 0; hop < maxHops; hop++) {
    const headers = {};
    if (jar.cookies.size) headers.cookie = jar.header();
    if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(url, { method, headers, body, redirect: 'manual' });
    jar.take(res);
    method = 'GET';
    body = undefined;
    if (res.status >= 300 && res.status < 400) {
      const next = new URL(res.headers.get('location'), url).href;
      await res.arrayBuffer();
      if (next.startsWith(stopAt)) return next;
      url = next;
      continue;
    }
    const html = await res.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html);
    if (res.status !== 200 || !action) throw new Error(`provider page ${res.status}: ${html.slice(0, 200)}`);
    const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
    const form = prompt === 'login' ? { prompt, login, password: 'any' } : { prompt: prompt || 'consent' };
    url = new URL(action[1].replace(/&amp;/g, '&'), url).href;
    method = 'POST';
    body = new URLSearchParams(form).toString();
  }
  throw new Error('too many hops at the provider');
}

// GitHub's documented endpoints. users[code] = { id, login, name, emails: [...], token }
export async function startGithub() {
  const codes = new Map(); // code -> { user, redirect_uri, challenge }
  const tokens = new Map(); // access token -> user
  const users = new Map(); // login -> user
  let seq = 0;
  const server = http.createServer(async (req, res) => {
    const u = new URL(req.url, 'http://x');
    let raw = '';
    for await (const c of req) raw += c;
    const json = (status, obj) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(obj)); };
    if (req.method === 'GET' && u.pathname === '/login/oauth/authorize') {
      // approves at once for the user named by login_hint
      const user = users.get(u.searchParams.get('login_hint'));
      const code = `ghcode${++seq}`;
      codes.set(code, { user, redirect_uri: u.searchParams.get('redirect_uri'), challenge: u.searchParams.get('code_challenge') });
      const back = new URL(u.searchParams.get('redirect_uri'));
      back.searchParams.set('code', code);
      back.searchParams.set('state', u.searchParams.get('state'));
      res.writeHead(302, { location: back.href });
      return res.end();
    }
    if (req.method === 'POST' && u.pathname === '/login/oauth/access_token') {
      const f = new URLSearchParams(raw);
      const c = codes.get(f.get('code'));
      codes.delete(f.get('code'));
      const challenge = f.get('code_verifier') &&
        Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(f.get('code_verifier')))).toString('base64url');
      // GitHub answers 200 with an error member for a bad code
      if (!c || f.get('client_id') !== 'gh-client' || f.get('client_secret') !== 'gh-secret' ||
          f.get('redirect_uri') !== c.redirect_uri || challenge !== c.challenge || !c.user) {
        return json(200, { error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' });
      }
      const token = `gho_${++seq}${Math.random().toString(36).slice(2)}`;
      tokens.set(token, c.user);
      return json(200, { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' });
    }
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization || '');
    const user = auth && tokens.get(auth[1]);
    if (req.method === 'GET' && (u.pathname === '/user' || u.pathname === '/user/emails')) {
      if (!user) return json(401, { message: 'Bad credentials' });
      if (req.headers['user-agent'] !== 'better-auth') return json(403, { message: 'User-Agent required' });
      if (u.pathname === '/user') {
        return json(200, { login: user.login, id: user.id, avatar_url: `https://avatars.example/${user.id}`, name: user.name, email: null });
      }
      return json(200, user.emails);
    }
    json(404, { message: 'Not Found' });
  });
  const port = await listen(server);
  return {
    base: `http://127.0.0.1:${port}`,
    addUser: (user) => users.set(user.login, user),
    stop: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }),
  };
}

// a peer that takes the connection and never answers
export async function startBlackhole() {
  const sockets = new Set();
  const server = http.createServer(() => {});
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  const port = await listen(server);
  return {
    base: `http://127.0.0.1:${port}`,
    stop: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(r); }),
  };
}
