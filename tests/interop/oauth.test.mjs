// The oauth group (api/api_oauth.c, auth/oauth.c): social sign-in through a real OpenID
// Connect provider and a GitHub-shaped server on loopback, linked accounts, the Neon session
// verifier (spec/protocol.md §1.3, §1.4, §1.23-§1.26, §8; neon.md §8).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as jose from 'jose';
import { createAuthClient } from 'better-auth/client';
import { createAuthClient as createNeonAuthClient } from '@neondatabase/auth';
import { AUTH_URL, ORIGIN, ISO, PFX, Jar, call, signUp, sql, setSettings, resetSettings, uniqueEmail, assertUser } from './lib.mjs';
import { CLIENT_ID, CLIENT_SECRET, startOidc, providerLogin, startGithub, startBlackhole } from './oauth/providers.mjs';

const accounts = {};
let oidc, gh, hole;

function q(s) { return s.replace(/'/g, "''"); }

function setProviders(list) {
  sql(`UPDATE neon_auth.project_config SET social_providers = '${q(JSON.stringify(list))}'::jsonb`);
}

function account(tag, { verified = true, email } = {}) {
  const login = `${tag}-${Math.random().toString(36).slice(2, 10)}`;
  accounts[login] = { email: email || uniqueEmail(tag), verified, name: `Name ${tag}` };
  return { login, ...accounts[login] };
}

function sessions(userEmail) {
  return Number(sql(`SELECT count(*) FROM neon_auth.session s JOIN neon_auth."user" u ON u.id = s."userId" WHERE u.email = '${q(userEmail.toLowerCase())}'`));
}

function sessionRows() { return Number(sql('SELECT count(*) FROM neon_auth.session')); }

// sign-in/social, then the provider, then our callback: returns the callback's reply
async function socialFlow(jar, login, body = {}) {
  const start = await call('POST', '/sign-in/social', { jar, body: { provider: 'oidc', callbackURL: '/dash', ...body } });
  assert.equal(start.status, 200, start.text);
  const cb = await providerLogin(start.json.url, login, { stopAt: AUTH_URL });
  const r = await call('GET', cb.slice(AUTH_URL.length), { jar });
  return { start, cb, r };
}

function noSessionCookie(r) {
  assert.ok(!r.headers.getSetCookie().some((c) => c.startsWith(`${PFX}.session_token=`) && !c.includes('Max-Age=0')),
    'no session cookie');
}

before(async () => {
  resetSettings();
  oidc = await startOidc([`${AUTH_URL}/callback/oidc`], accounts);
  gh = await startGithub();
  hole = await startBlackhole();
  setProviders([
    { id: 'oidc', type: 'standard', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, issuer: oidc.issuer },
    // google's rules (RS256 id tokens, iss, one hour) against the local provider's keys
    { id: 'google', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, issuer: oidc.issuer,
      jwks_uri: `${oidc.issuer}/jwks`, authorization_endpoint: `${oidc.issuer}/auth`, token_endpoint: `${oidc.issuer}/token` },
    { id: 'github', client_id: 'gh-client', client_secret: 'gh-secret',
      authorization_endpoint: `${gh.base}/login/oauth/authorize`, token_endpoint: `${gh.base}/login/oauth/access_token`,
      userinfo_endpoint: `${gh.base}/user` },
    // a provider whose token endpoint never answers
    { id: 'vercel', client_id: 'v-client', client_secret: 'v-secret',
      authorization_endpoint: `${gh.base}/login/oauth/authorize`, token_endpoint: `${hole.base}/token`,
      userinfo_endpoint: `${gh.base}/user` },
  ]);
});

after(async () => {
  await oidc?.stop();
  await gh?.stop();
  await hole?.stop();
  sql(`UPDATE neon_auth.project_config SET social_providers = '[]'::jsonb`);
  resetSettings();
});

test('list-accounts: the credential account, 401 without a session', async () => {
  const jar = new Jar();
  const { user } = await signUp(jar);
  let r = await call('GET', '/list-accounts', { jar });
  assert.equal(r.status, 200);
  assert.equal(r.json.length, 1);
  const a = r.json[0];
  assert.deepEqual(Object.keys(a), ['id', 'providerId', 'accountId', 'userId', 'createdAt', 'updatedAt', 'scopes']);
  assert.equal(a.providerId, 'credential');
  assert.equal(a.accountId, user.id);
  assert.equal(a.userId, user.id);
  assert.match(a.createdAt, ISO);
  assert.deepEqual(a.scopes, []);
  r = await call('GET', '/list-accounts');
  assert.equal(r.status, 401);
  assert.equal(r.json.code, 'UNAUTHORIZED');
});

test('sign-in/social: the authorization URL, the state cookie and row; unknown provider; bad input', async () => {
  const jar = new Jar();
  let r = await call('POST', '/sign-in/social', { jar, body: { provider: 'oidc', callbackURL: '/dash', loginHint: 'a@b.c',
    additionalParams: { prompt: 'login' } } });
  assert.equal(r.status, 200);
  assert.deepEqual(Object.keys(r.json), ['url', 'redirect']);
  assert.equal(r.json.redirect, true);
  assert.equal(r.headers.get('location'), r.json.url);
  const u = new URL(r.json.url);
  assert.equal(u.origin + u.pathname, `${oidc.issuer}/auth`);
  assert.deepEqual([...u.searchParams.keys()], ['response_type', 'client_id', 'state', 'scope', 'redirect_uri', 'login_hint',
    'nonce', 'code_challenge_method', 'code_challenge', 'prompt']);
  assert.equal(u.searchParams.get('scope'), 'openid email profile');
  assert.match(u.search, /scope=openid\+email\+profile&redirect_uri=http%3A%2F%2F127\.0\.0\.1%3A\d+%2F/);
  assert.equal(u.searchParams.get('redirect_uri'), `${AUTH_URL}/callback/oidc`);
  assert.match(u.searchParams.get('state'), /^[a-zA-Z0-9_-]{32}$/);
  assert.match(u.searchParams.get('code_challenge'), /^[\w-]{43}$/);
  const sc = r.headers.getSetCookie().find((c) => c.startsWith(`${PFX}.state=`));
  assert.match(sc, new RegExp(`^${PFX}\\.state=${u.searchParams.get('state')}\\.[^;]+; Max-Age=300; Path=/; HttpOnly; SameSite=Lax$`));
  const row = JSON.parse(sql(`SELECT value FROM neon_auth.verification WHERE identifier = 'auth-state:${u.searchParams.get('state')}'`));
  assert.deepEqual(Object.keys(row), ['callbackURL', 'codeVerifier', 'expiresAt', 'idTokenNonce', 'oauthState']);
  assert.equal(row.callbackURL, '/dash');
  assert.equal(row.idTokenNonce, u.searchParams.get('nonce'));

  r = await call('POST', '/sign-in/social', { body: { provider: 'github', disableRedirect: true } });
  assert.equal(r.status, 200);
  assert.equal(r.json.redirect, false);
  assert.equal(r.headers.get('location'), null);
  assert.match(r.json.url, /scope=read%3Auser\+user%3Aemail&redirect_uri=/);

  r = await call('POST', '/sign-in/social', { body: { provider: 'nope' } });
  assert.deepEqual([r.status, r.json], [404, { message: 'Provider not found', code: 'PROVIDER_NOT_FOUND' }]);
  r = await call('POST', '/sign-in/social', { body: { provider: 'oidc', additionalParams: { state: 'x' } } });
  assert.equal(r.status, 400);
  assert.equal(r.json.message, '[body.additionalParams] additionalParams cannot include reserved OAuth parameters: state, client_id, redirect_uri, response_type, code_challenge, code_challenge_method, nonce, scope');
  r = await call('POST', '/sign-in/social', { body: { scopes: 'x' } });
  assert.equal(r.json.message, '[body.provider] Invalid input: expected string, received undefined; [body.scopes] Invalid input: expected array, received string');
  r = await call('POST', '/sign-in/social', { body: { provider: 'oidc', callbackURL: 'https://evil.example/x' } });
  assert.deepEqual([r.status, r.json.code], [403, 'INVALID_CALLBACK_URL']);
});

test('callback: a new user, then the same user again; tokens encrypted at rest; audit rows', async () => {
  const acct = account('new');
  const jar = new Jar();
  const { r, cb } = await socialFlow(jar, acct.login, { newUserCallbackURL: '/welcome' });
  assert.ok(new URL(cb).searchParams.get('iss'), 'the provider sends iss (RFC 9207)');
  assert.equal(r.status, 302, r.text);
  assert.equal(r.headers.get('location'), '/welcome');
  const cookies = r.headers.getSetCookie();
  assert.match(cookies[0], new RegExp(`^${PFX}\\.state=; Max-Age=0`));
  assert.ok(cookies.some((c) => c.startsWith(`${PFX}.session_token=`) && c.includes('Max-Age=604800')));
  let s = await call('GET', '/get-session', { jar });
  assertUser(s.json.user, acct.email);
  assert.equal(s.json.user.emailVerified, true);
  assert.equal(s.json.user.name, acct.name);
  const accts = (await call('GET', '/list-accounts', { jar })).json;
  assert.equal(accts.length, 1);
  assert.equal(accts[0].providerId, 'oidc');
  assert.equal(accts[0].accountId, acct.login);
  assert.ok(accts[0].scopes.includes('openid'));
  const row = sql(`SELECT "accessToken" ~ '^[0-9a-f]+$' AND length("accessToken") > 80, "refreshToken" IS NOT NULL,
    "idToken" ~ '^[0-9a-f]+$' FROM neon_auth.account WHERE "accountId" = '${acct.login}'`);
  assert.equal(row, 't|t|t');
  assert.equal(sql(`SELECT event || ' ' || (data->>'provider') FROM neon_auth.audit_log WHERE user_id = '${s.json.user.id}' ORDER BY at`), 'sign_up oidc');

  const jar2 = new Jar();
  const again = await socialFlow(jar2, acct.login, { newUserCallbackURL: '/welcome' });
  assert.equal(again.r.headers.get('location'), '/dash', 'a returning user goes to callbackURL');
  s = await call('GET', '/get-session', { jar: jar2 });
  assert.equal(s.json.user.id, accts[0].userId);
  assert.equal(Number(sql(`SELECT count(*) FROM neon_auth.account WHERE "accountId" = '${acct.login}'`)), 1);
  assert.match(sql(`SELECT string_agg(event, ',' ORDER BY at) FROM neon_auth.audit_log WHERE user_id = '${s.json.user.id}'`), /^sign_up,sign_in$/);
});

test('callback: implicit linking by a verified email; refused for an unverified one', async () => {
  const jar = new Jar();
  const { email, user } = await signUp(jar);
  sql(`UPDATE neon_auth."user" SET "emailVerified" = true WHERE id = '${user.id}'`);
  const a = account('link', { email });
  const bj = new Jar();
  const { r } = await socialFlow(bj, a.login);
  assert.equal(r.headers.get('location'), '/dash');
  const s = await call('GET', '/get-session', { jar: bj });
  assert.equal(s.json.user.id, user.id);
  const list = (await call('GET', '/list-accounts', { jar: bj })).json.map((x) => x.providerId).sort();
  assert.deepEqual(list, ['credential', 'oidc']);
  assert.match(sql(`SELECT string_agg(event, ',' ORDER BY at) FROM neon_auth.audit_log WHERE user_id = '${user.id}'`), /account_link,sign_in$/);

  // the provider does not vouch for the address: no link, no session
  const j2 = new Jar();
  const other = await signUp(j2);
  sql(`UPDATE neon_auth."user" SET "emailVerified" = true WHERE id = '${other.user.id}'`);
  const u = account('unverified', { email: other.email, verified: false });
  const before = sessions(other.email);
  const cj = new Jar();
  const f = await socialFlow(cj, u.login, { errorCallbackURL: '/oops' });
  assert.equal(f.r.headers.get('location'), '/oops?error=account_not_linked');
  noSessionCookie(f.r);
  assert.equal(sessions(other.email), before);
  assert.equal(Number(sql(`SELECT count(*) FROM neon_auth.account WHERE "accountId" = '${u.login}'`)), 0);
});

test('link-social and unlink-account', async () => {
  const jar = new Jar();
  const { email } = await signUp(jar);
  const a = account('linker', { email });
  let r = await call('POST', '/link-social', { jar, body: { provider: 'oidc', callbackURL: '/linked' } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.redirect, true);
  const st = new URL(r.json.url).searchParams.get('state');
  const row = JSON.parse(sql(`SELECT value FROM neon_auth.verification WHERE identifier = 'auth-state:${st}'`));
  assert.deepEqual(Object.keys(row.link), ['userId', 'email', 'encryptedSessionToken']);
  const cb = await providerLogin(r.json.url, a.login, { stopAt: AUTH_URL });
  r = await call('GET', cb.slice(AUTH_URL.length), { jar });
  assert.equal(r.status, 302);
  assert.equal(r.headers.get('location'), '/linked');
  noSessionCookie(r);
  let list = (await call('GET', '/list-accounts', { jar })).json;
  assert.deepEqual(list.map((x) => x.providerId).sort(), ['credential', 'oidc']);

  r = await call('POST', '/link-social', { body: { provider: 'oidc' } });
  assert.equal(r.status, 401);
  r = await call('POST', '/link-social', { jar, body: { provider: 'zzz' } });
  assert.equal(r.json.code, 'PROVIDER_NOT_FOUND');

  const cred = list.find((x) => x.providerId === 'credential');
  const soc = list.find((x) => x.providerId === 'oidc');
  r = await call('POST', '/unlink-account', { jar, body: { accountId: 'no-such-account' } });
  assert.deepEqual([r.status, r.json], [400, { message: 'Account not found', code: 'ACCOUNT_NOT_FOUND' }]);
  r = await call('POST', '/unlink-account', { jar, body: { accountId: soc.id } });
  assert.deepEqual([r.status, r.json], [200, { status: true }]);
  list = (await call('GET', '/list-accounts', { jar })).json;
  assert.deepEqual(list.map((x) => x.providerId), ['credential']);
  r = await call('POST', '/unlink-account', { jar, body: { accountId: cred.id } });
  assert.deepEqual([r.status, r.json], [400, { message: "You can't unlink your last account", code: 'FAILED_TO_UNLINK_LAST_ACCOUNT' }]);
  assert.match(sql(`SELECT string_agg(event, ',' ORDER BY at) FROM neon_auth.audit_log WHERE user_id = '${cred.userId}'`), /account_link,account_unlink$/);
});

test('get-access-token (POST and GET) with a refresh, refresh-token, account-info', async () => {
  const a = account('tokens');
  const jar = new Jar();
  await socialFlow(jar, a.login);
  const acc = (await call('GET', '/list-accounts', { jar })).json[0];
  let r = await call('POST', '/get-access-token', { jar, body: { accountId: acc.id } });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(Object.keys(r.json), ['accessToken', 'accessTokenExpiresAt', 'scopes', 'idToken']);
  assert.match(r.json.accessTokenExpiresAt, ISO);
  const first = r.json.accessToken;
  const claims = jose.decodeJwt(r.json.idToken);
  assert.equal(claims.sub, a.login);
  assert.equal(claims.aud, CLIENT_ID);

  // expired: refreshed through the provider and stored
  sql(`UPDATE neon_auth.account SET "accessTokenExpiresAt" = now() - interval '1 minute' WHERE id = '${acc.id}'`);
  r = await call('GET', `/get-access-token?accountId=${acc.id}`, { jar });
  assert.equal(r.status, 200, r.text);
  assert.notEqual(r.json.accessToken, first);
  assert.ok(new Date(r.json.accessTokenExpiresAt) > new Date());
  assert.equal(sql(`SELECT "accessTokenExpiresAt" > now() FROM neon_auth.account WHERE id = '${acc.id}'`), 't');
  const second = r.json.accessToken;
  r = await call('POST', '/get-access-token', { jar, body: { accountId: acc.id } });
  assert.equal(r.json.accessToken, second, 'a valid token is not refreshed');

  r = await call('POST', '/refresh-token', { jar, body: { accountId: acc.id } });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(Object.keys(r.json), ['accessToken', 'refreshToken', 'accessTokenExpiresAt', 'refreshTokenExpiresAt', 'scope',
    'idToken', 'providerId', 'accountId']);
  assert.equal(r.json.accountId, acc.id);
  assert.equal(r.json.providerId, 'oidc');
  assert.notEqual(r.json.accessToken, second);

  r = await call('GET', `/account-info?accountId=${acc.id}`, { jar });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.user.email, a.email);
  assert.equal(r.json.user.emailVerified, true);
  assert.equal(r.json.data.sub, a.login);
  assert.deepEqual(r.json.account, { id: acc.id, providerId: 'oidc', accountId: a.login });

  r = await call('POST', '/get-access-token', { body: { accountId: acc.id } });
  assert.deepEqual([r.status, r.text], [401, '']);
  r = await call('POST', '/get-access-token', { jar, body: { accountId: acc.id, extra: 1 } });
  assert.deepEqual([r.status, r.json.message], [400, '[body] Invalid input']);
  r = await call('POST', '/get-access-token', { jar, body: { accountId: 'nope' } });
  assert.equal(r.json.code, 'ACCOUNT_NOT_FOUND');
});

test('idToken sign-in: a token the provider minted; refused tokens give 401 INVALID_TOKEN and no session', async () => {
  const a = account('idtok');
  const jar = new Jar();
  await socialFlow(jar, a.login);
  const acc = (await call('GET', '/list-accounts', { jar })).json[0];
  const minted = (await call('POST', '/get-access-token', { jar, body: { accountId: acc.id } })).json.idToken;

  const j2 = new Jar();
  let r = await call('POST', '/sign-in/social', { jar: j2, body: { provider: 'oidc', idToken: { token: minted } } });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(Object.keys(r.json), ['redirect', 'token', 'user']);
  assert.equal(r.json.redirect, false);
  assert.equal(r.json.user.id, acc.userId);
  assert.equal((await call('GET', '/get-session', { jar: j2 })).json.user.email, a.email);
  // the same token through google's rules (RS256, iss, one hour)
  r = await call('POST', '/sign-in/social', { body: { provider: 'google', idToken: { token: minted } } });
  assert.equal(r.status, 200, r.text);

  const now = Math.floor(Date.now() / 1000);
  const base = { iss: oidc.issuer, sub: a.login, aud: CLIENT_ID, email: a.email, email_verified: true, iat: now, exp: now + 600 };
  const sign = (claims, header = { alg: 'RS256', kid: 'test-k1' }, key = oidc.privateKey) =>
    new jose.SignJWT(claims).setProtectedHeader(header).sign(key);
  const other = (await jose.generateKeyPair('RS256')).privateKey;
  const bad = {
    'wrong aud': await sign({ ...base, aud: 'someone-else' }),
    'expired exp': await sign({ ...base, iat: now - 7200, exp: now - 3600 }),
    'wrong nonce': await sign({ ...base, nonce: 'the-real-one' }),
    'unknown kid': await sign(base, { alg: 'RS256', kid: 'not-a-key' }, other),
    'wrong key': await sign(base, { alg: 'RS256', kid: 'test-k1' }, other),
    'alg none': new jose.UnsecuredJWT(base).encode(),
    'iss mismatch': await sign({ ...base, iss: 'http://127.0.0.1:1' }),
  };
  const before = sessionRows();
  for (const [why, token] of Object.entries(bad)) {
    r = await call('POST', '/sign-in/social', { body: { provider: 'oidc', idToken: { token, nonce: 'expected-nonce' } } });
    assert.deepEqual([r.status, r.json], [401, { message: 'Invalid token', code: 'INVALID_TOKEN' }], why);
    noSessionCookie(r);
  }
  assert.equal(sessionRows(), before, 'no session for a refused token');
  // the good key, the right nonce
  r = await call('POST', '/sign-in/social', { body: { provider: 'oidc', idToken: { token: await sign({ ...base, nonce: 'n1' }), nonce: 'n1' } } });
  assert.equal(r.status, 200, r.text);
  r = await call('POST', '/sign-in/social', { body: { provider: 'github', idToken: { token: minted } } });
  assert.deepEqual([r.status, r.json], [404, { message: 'id_token not supported', code: 'ID_TOKEN_NOT_SUPPORTED' }]);
});

test('GitHub: token, /user and /user/emails with a private primary address', async () => {
  const login = `octo${Date.now()}`;
  const email = uniqueEmail('octo');
  gh.addUser({ id: 4242000 + Math.floor(Math.random() * 1000), login, name: null,
    emails: [{ email: uniqueEmail('other'), primary: false, verified: true, visibility: null },
      { email, primary: true, verified: true, visibility: 'private' }] });
  const jar = new Jar();
  let r = await call('POST', '/sign-in/social', { jar, body: { provider: 'github', callbackURL: '/gh', loginHint: login } });
  const back = await fetch(r.json.url, { redirect: 'manual' });
  const cb = back.headers.get('location');
  assert.ok(cb.startsWith(`${AUTH_URL}/callback/github?`));
  r = await call('GET', cb.slice(AUTH_URL.length), { jar });
  assert.equal(r.status, 302);
  assert.equal(r.headers.get('location'), '/gh');
  const s = (await call('GET', '/get-session', { jar })).json;
  assert.equal(s.user.email, email);
  assert.equal(s.user.emailVerified, true);
  assert.equal(s.user.name, login, 'name falls back to login');
  assert.match(s.user.image, /^https:\/\/avatars\.example\//);
  const acc = (await call('GET', '/list-accounts', { jar })).json[0];
  assert.equal(acc.providerId, 'github');
  assert.match(acc.accountId, /^\d+$/);
  assert.deepEqual(acc.scopes, ['read:user', 'user:email']);
  r = await call('POST', '/refresh-token', { jar, body: { accountId: acc.id } });
  assert.deepEqual([r.status, r.json.code], [400, 'REFRESH_TOKEN_NOT_FOUND']);
});

test('callback: refused cases redirect with the spec error and create no session', async () => {
  const before = sessionRows();
  const e = (r) => { assert.equal(r.status, 302); noSessionCookie(r); return r.headers.get('location'); };
  // no state
  let r = await call('GET', '/callback/oidc?code=abc');
  assert.equal(e(r), `${AUTH_URL}/error?error=state_not_found`);

  // replayed state
  const a = account('replay');
  const jar = new Jar();
  const ok = await socialFlow(jar, a.login);
  assert.equal(ok.r.headers.get('location'), '/dash');
  r = await call('GET', ok.cb.slice(AUTH_URL.length), { jar });
  assert.equal(e(r), `${AUTH_URL}/error?error=state_mismatch`);
  const afterOk = sessionRows();

  // state from another browser (no cookie), a foreign state (another browser's), then the owner still succeeds
  const j1 = new Jar();
  const s1 = await call('POST', '/sign-in/social', { jar: j1, body: { provider: 'oidc', callbackURL: '/dash', errorCallbackURL: '/err' } });
  const cb1 = await providerLogin(s1.json.url, a.login, { stopAt: AUTH_URL });
  r = await call('GET', cb1.slice(AUTH_URL.length));
  assert.equal(e(r), '/err?error=state_mismatch');
  const j2 = new Jar();
  await call('POST', '/sign-in/social', { jar: j2, body: { provider: 'oidc', callbackURL: '/dash' } });
  r = await call('GET', cb1.slice(AUTH_URL.length), { jar: j2 });
  assert.equal(e(r), '/err?error=state_mismatch');
  r = await call('GET', cb1.slice(AUTH_URL.length), { jar: j1 });
  assert.equal(r.headers.get('location'), '/dash', 'the state survived the foreign attempts');
  const afterOwner = sessionRows();

  // expired state
  const j3 = new Jar();
  const s3 = await call('POST', '/sign-in/social', { jar: j3, body: { provider: 'oidc', callbackURL: '/dash' } });
  const st3 = new URL(s3.json.url).searchParams.get('state');
  sql(`UPDATE neon_auth.verification SET "expiresAt" = now() - interval '1 second' WHERE identifier = 'auth-state:${st3}'`);
  r = await call('GET', `/callback/oidc?state=${st3}&code=x`, { jar: j3 });
  assert.equal(e(r), `${AUTH_URL}/error?error=state_mismatch`);

  // wrong PKCE verifier: the provider refuses the code
  const j4 = new Jar();
  const s4 = await call('POST', '/sign-in/social', { jar: j4, body: { provider: 'oidc', callbackURL: '/dash' } });
  const st4 = new URL(s4.json.url).searchParams.get('state');
  sql(`UPDATE neon_auth.verification SET value = jsonb_set(value::jsonb, '{codeVerifier}', '"${'x'.repeat(128)}"')::text WHERE identifier = 'auth-state:${st4}'`);
  const cb4 = await providerLogin(s4.json.url, a.login, { stopAt: AUTH_URL });
  r = await call('GET', cb4.slice(AUTH_URL.length), { jar: j4 });
  assert.equal(e(r), `${AUTH_URL}/error?error=invalid_code`);

  // the provider's error, passed through
  const j5 = new Jar();
  const s5 = await call('POST', '/sign-in/social', { jar: j5, body: { provider: 'oidc', callbackURL: '/dash', errorCallbackURL: 'http://localhost:5173/err' } });
  const st5 = new URL(s5.json.url).searchParams.get('state');
  r = await call('GET', `/callback/oidc?state=${st5}&error=access_denied&error_description=User%20denied`, { jar: j5 });
  assert.equal(e(r), 'http://localhost:5173/err?error=access_denied&error_description=User+denied');

  // iss is not the provider's
  const j6 = new Jar();
  const s6 = await call('POST', '/sign-in/social', { jar: j6, body: { provider: 'oidc', callbackURL: '/dash' } });
  const st6 = new URL(s6.json.url).searchParams.get('state');
  r = await call('GET', `/callback/oidc?state=${st6}&code=abc&iss=${encodeURIComponent('https://evil.example')}`, { jar: j6 });
  assert.equal(e(r), `${AUTH_URL}/error?error=issuer_mismatch`);

  // a provider that does not answer: invalid_code within the timeout
  setSettings({ oauth: { timeout: 2 } });
  const login = `slow${Date.now()}`;
  gh.addUser({ id: 777, login, name: 'S', emails: [] });
  const j7 = new Jar();
  const s7 = await call('POST', '/sign-in/social', { jar: j7, body: { provider: 'vercel', callbackURL: '/dash', loginHint: login } });
  const cb7 = (await fetch(s7.json.url, { redirect: 'manual' })).headers.get('location');
  const t0 = Date.now();
  r = await call('GET', cb7.slice(AUTH_URL.length), { jar: j7 });
  assert.equal(e(r), `${AUTH_URL}/error?error=invalid_code`);
  assert.ok(Date.now() - t0 < 15000, 'bounded by the timeout');
  resetSettings();

  // only the two successful flows made sessions
  assert.equal(afterOk, before + 1);
  assert.equal(afterOwner, afterOk + 1);
  assert.equal(sessionRows(), afterOwner);
});

test('Neon session verifier: init, callback with the verifier, exchange on get-session (once, bound to the challenge)', async () => {
  const a = account('verifier');
  const app = new Jar(); // the app's fetch context (challenge cookie)
  let r = await call('POST', '/sign-in/social', { jar: app, body: { provider: 'oidc', callbackURL: 'http://localhost:5173/app' } });
  assert.equal(r.status, 200, r.text);
  assert.match(r.json.url, new RegExp(`^${AUTH_URL.replace(/[.]/g, '\\.')}/sign-in/social/init\\?token=[0-9a-f-]{36}$`));
  const ch = r.headers.getSetCookie().find((c) => c.startsWith(`${PFX}.session_challenge=`));
  assert.match(ch, /Max-Age=600; Path=\/; HttpOnly; SameSite=Lax$/);
  // the browser, top level: init sets the state cookie there and goes to the provider
  const browser = new Jar();
  const init = await call('GET', r.json.url.slice(AUTH_URL.length), { jar: browser });
  assert.equal(init.status, 302);
  assert.ok(init.headers.get('location').startsWith(`${oidc.issuer}/auth?`));
  const cb = await providerLogin(init.headers.get('location'), a.login, { stopAt: AUTH_URL });
  r = await call('GET', cb.slice(AUTH_URL.length), { jar: browser });
  assert.equal(r.status, 302);
  noSessionCookie(r);
  const to = new URL(r.headers.get('location'));
  assert.equal(to.origin + to.pathname, 'http://localhost:5173/app');
  const v = to.searchParams.get('neon_auth_session_verifier');
  assert.ok(v);
  // without the challenge cookie: Neon's envelope, and the verifier is not used up
  r = await call('GET', `/get-session?neon_auth_session_verifier=${v}`);
  assert.deepEqual([r.status, r.json], [400, { code: '', error: { code: 'SESSION_CHALLANGE_COOKIE_NOT_FOUND', error: 'Session challange cookie not found' } }]);
  // another browser's challenge does not fit
  const stranger = new Jar();
  stranger.cookies.set(`${PFX}.session_challenge`, 'not-the-challenge');
  r = await call('GET', `/get-session?neon_auth_session_verifier=${v}x`, { jar: stranger });
  assert.deepEqual([r.status, r.json.code], [400, 'VERIFICATION_NOT_FOUND']);
  r = await call('GET', `/get-session?neon_auth_session_verifier=${v}`, { jar: app });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.user.email, a.email);
  assert.ok(r.headers.get('set-auth-jwt'));
  assert.ok(r.headers.getSetCookie().some((c) => c.startsWith(`${PFX}.session_token=`)));
  assert.equal((await call('GET', '/get-session', { jar: app })).json.user.email, a.email);
  // replayed
  const replay = new Jar();
  replay.cookies.set(`${PFX}.session_challenge`, [...app.cookies].find(([k]) => k === `${PFX}.session_challenge`)?.[1] || 'gone');
  r = await call('GET', `/get-session?neon_auth_session_verifier=${v}`, { jar: replay });
  assert.deepEqual([r.status, r.json.code], [400, 'VERIFICATION_NOT_FOUND']);
  // a bad init token
  r = await call('GET', '/sign-in/social/init?token=not-a-uuid');
  assert.equal(r.headers.get('location'), `${AUTH_URL}/error?error=state_not_found`);
});

test('native apps: a trusted custom scheme and an RFC 8252 loopback redirect', async () => {
  sql(`UPDATE neon_auth.project_config SET trusted_origins = '["myapp://", "http://127.0.0.1:*"]'::jsonb, allow_localhost = false`);
  try {
    let r = await call('POST', '/sign-in/social', { body: { provider: 'oidc', callbackURL: 'myapp://auth/done' } });
    assert.equal(r.status, 200, r.text);
    assert.match(r.json.url, /\/sign-in\/social\/init\?token=/, 'a native app gets the verifier handoff');
    r = await call('POST', '/sign-in/social', { body: { provider: 'oidc', callbackURL: 'http://127.0.0.1:49152/cb' } });
    assert.equal(r.status, 200, r.text);
    r = await call('POST', '/sign-in/social', { body: { provider: 'oidc', callbackURL: 'otherapp://x' } });
    assert.equal(r.json.code, 'INVALID_CALLBACK_URL');
    // the whole flow back to the app's scheme
    const a = account('native');
    const appJar = new Jar();
    r = await call('POST', '/sign-in/social', { jar: appJar, body: { provider: 'oidc', callbackURL: 'myapp://auth/done' } });
    const browser = new Jar();
    const init = await call('GET', r.json.url.slice(AUTH_URL.length), { jar: browser });
    const cb = await providerLogin(init.headers.get('location'), a.login, { stopAt: AUTH_URL });
    r = await call('GET', cb.slice(AUTH_URL.length), { jar: browser });
    assert.match(r.headers.get('location'), /^myapp:\/\/auth\/done\?neon_auth_session_verifier=/);
    const v = new URL(r.headers.get('location')).searchParams.get('neon_auth_session_verifier');
    r = await call('GET', `/get-session?neon_auth_session_verifier=${v}`, { jar: appJar });
    assert.equal(r.json.user.email, a.email);
  } finally {
    resetSettings();
  }
});

function browserFetch(jar) {
  const realFetch = globalThis.fetch;
  return async (input, init = {}) => {
    const headers = new Headers(init.headers || (input instanceof Request ? input.headers : undefined));
    if (jar.cookies.size) headers.set('cookie', jar.header());
    if (!headers.has('origin')) headers.set('origin', ORIGIN);
    const res = await realFetch(input, { ...init, headers });
    jar.take(res);
    return res;
  };
}

test('interop: better-auth/client signIn.social completes the flow', async () => {
  const a = account('client');
  const jar = new Jar();
  const client = createAuthClient({ baseURL: AUTH_URL, fetchOptions: { customFetchImpl: browserFetch(jar) } });
  let r = await client.signIn.social({ provider: 'oidc', callbackURL: '/dash', disableRedirect: true });
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(r.data.redirect, false);
  const cb = await providerLogin(r.data.url, a.login, { stopAt: AUTH_URL });
  const back = await call('GET', cb.slice(AUTH_URL.length), { jar });
  assert.equal(back.headers.get('location'), '/dash');
  r = await client.getSession();
  assert.equal(r.error, null);
  assert.equal(r.data.user.email, a.email);
  r = await client.listAccounts();
  assert.equal(r.data[0].providerId, 'oidc');
  r = await client.signIn.social({ provider: 'oidc', idToken: { token: 'a.b.c' } });
  assert.equal(r.error.status, 401);
  assert.equal(r.error.code, 'INVALID_TOKEN');
});

test('interop: @neondatabase/auth signIn.social through the verifier handoff', async () => {
  const a = account('neonsdk');
  const jar = new Jar();
  const realFetch = globalThis.fetch;
  globalThis.fetch = browserFetch(jar);
  try {
    const auth = createNeonAuthClient(AUTH_URL);
    const r = await auth.signIn.social({ provider: 'oidc', callbackURL: 'http://localhost:5173/app', disableRedirect: true });
    assert.equal(r.error, null, JSON.stringify(r.error));
    assert.match(r.data.url, /\/sign-in\/social\/init\?token=/);
    globalThis.fetch = realFetch;
    const browser = new Jar();
    const init = await call('GET', r.data.url.slice(AUTH_URL.length), { jar: browser });
    const cb = await providerLogin(init.headers.get('location'), a.login, { stopAt: AUTH_URL });
    const back = await call('GET', cb.slice(AUTH_URL.length), { jar: browser });
    const v = new URL(back.headers.get('location')).searchParams.get('neon_auth_session_verifier');
    globalThis.fetch = browserFetch(jar);
    const s = await auth.getSession({ query: { neon_auth_session_verifier: v }, fetchOptions: { headers: { 'X-Force-Fetch': 'true' } } });
    assert.equal(s.error, null, JSON.stringify(s.error));
    assert.equal(s.data.user.email, a.email);
    assert.match(s.data.session.token, /^eyJ/, 'the SDK took the JWT from set-auth-jwt');
  } finally {
    globalThis.fetch = realFetch;
  }
});
