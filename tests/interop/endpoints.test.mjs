// Every core endpoint through nginx against a real PostgreSQL: success and
// error paths, exact status codes, error codes, messages and cookies
// (spec/protocol.md §0-§3, §6; neon.md §5).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { AUTH_URL, ORIGIN, Jar, call, rawCall, signUp, sql, cli, setSettings, resetSettings, uniqueEmail, sleep } from './lib.mjs';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PFX = 'neon-auth';

before(() => resetSettings());

function assertUser(u, email) {
  assert.deepEqual(Object.keys(u), ['name', 'email', 'emailVerified', 'image', 'createdAt', 'updatedAt',
    'role', 'banned', 'banReason', 'banExpires', 'id']);
  assert.equal(u.email, email.toLowerCase());
  assert.match(u.id, UUID);
  assert.match(u.createdAt, ISO);
  assert.match(u.updatedAt, ISO);
}

test('GET /ok answers {"ok":true}', async () => {
  const r = await call('GET', '/ok');
  assert.equal(r.status, 200);
  assert.equal(r.text, '{"ok":true}');
  assert.equal(r.headers.get('content-type'), 'application/json');
});

test('unknown path, wrong method, trailing slash, double slash: 404 with an empty body', async () => {
  for (const [m, p] of [['GET', '/nope'], ['POST', '/ok'], ['GET', '/ok/'], ['GET', '//ok'], ['PUT', '/sign-in/email'], ['DELETE', '/get-session']]) {
    const r = await call(m, p);
    assert.equal(r.status, 404, `${m} ${p}`);
    assert.equal(r.text, '', `${m} ${p}`);
  }
});

test('a path outside every branch gets 404 JSON', async () => {
  const res = await fetch(ORIGIN + '/not-a-branch/auth/ok');
  assert.equal(res.status, 404);
  const j = await res.json();
  assert.equal(j.code, 'BRANCH_NOT_FOUND');
});

test('GET /error redirects to /?error=<code>', async () => {
  let r = await call('GET', '/error?error=state_mismatch');
  assert.equal(r.status, 302);
  assert.equal(r.headers.get('location'), '/?error=state_mismatch');
  r = await call('GET', '/error?error=%3Cscript%3E');
  assert.equal(r.headers.get('location'), '/?error=UNKNOWN');
});

test('sign-up/email: user, token, signed cookie with exact attributes, set-auth-token', async () => {
  const jar = new Jar();
  const email = uniqueEmail('Signup').replace('signup', 'SignUp');
  const r = await call('POST', '/sign-up/email', { jar, body: { email, password: 'correct-horse-battery', name: 'Alice' } });
  assert.equal(r.status, 200);
  assertUser(r.json.user, email);
  assert.equal(r.json.user.emailVerified, false);
  assert.equal(r.json.user.image, null);
  assert.match(r.json.token, /^[A-Za-z0-9]{32}$/);
  const sc = r.headers.getSetCookie();
  assert.equal(sc.length, 1);
  assert.match(sc[0], new RegExp(`^${PFX}\\.session_token=${r.json.token}\\.[A-Za-z0-9%]+%3D; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax$`));
  const sat = r.headers.get('set-auth-token');
  assert.equal(sat, decodeURIComponent(sc[0].split(';')[0].split('=').slice(1).join('=')));
  assert.match(r.headers.get('access-control-expose-headers'), /set-auth-token/);
  // the credential account holds a Better Auth scrypt hash
  const hash = sql(`SELECT password FROM neon_auth.account WHERE "userId" = '${r.json.user.id}' AND "providerId" = 'credential'`);
  assert.match(hash, /^[0-9a-f]{32}:[0-9a-f]{128}$/);
});

test('sign-up/email errors: duplicate, short, long, empty, invalid input', async () => {
  const { email } = await signUp(new Jar());
  let r = await call('POST', '/sign-up/email', { body: { email: email.toUpperCase(), password: 'correct-horse-battery', name: 'X' } });
  assert.equal(r.status, 422);
  assert.deepEqual(r.json, { message: 'User already exists. Use another email.', code: 'USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL' });
  r = await call('POST', '/sign-up/email', { body: { email: uniqueEmail(), password: 'short', name: 'X' } });
  assert.deepEqual([r.status, r.json], [400, { message: 'Password too short', code: 'PASSWORD_TOO_SHORT' }]);
  r = await call('POST', '/sign-up/email', { body: { email: uniqueEmail(), password: 'x'.repeat(129), name: 'X' } });
  assert.deepEqual([r.status, r.json], [400, { message: 'Password too long', code: 'PASSWORD_TOO_LONG' }]);
  r = await call('POST', '/sign-up/email', { body: { email: 'not-an-email', password: 'correct-horse-battery', name: 'X' } });
  assert.deepEqual([r.status, r.json], [400, { message: '[body.email] Invalid email address', code: 'VALIDATION_ERROR' }]);
  r = await call('POST', '/sign-up/email', { body: { email: uniqueEmail() } });
  assert.equal(r.status, 400);
  assert.equal(r.json.message, '[body.name] Invalid input: expected string, received undefined; [body.password] Invalid input: expected string, received undefined');
  r = await call('POST', '/sign-up/email', { body: { email: uniqueEmail(), password: 12345678, name: 'X', rememberMe: 'yes' } });
  assert.equal(r.json.message, '[body.password] Invalid input: expected string, received number; [body.rememberMe] Invalid input: expected boolean, received string');
  r = await call('POST', '/sign-up/email', { body: ['a'] });
  assert.deepEqual([r.status, r.json], [400, { message: '[body] Invalid input: expected object, received array; [body] Invalid input: expected record, received array', code: 'VALIDATION_ERROR' }]);
  r = await call('POST', '/sign-up/email');
  assert.deepEqual([r.status, r.json], [400, { message: '[body] Invalid input: expected object, received undefined; [body] Invalid input: expected record, received undefined', code: 'VALIDATION_ERROR' }]);
  r = await call('POST', '/sign-in/email', { raw: 'null', headers: { 'content-type': 'application/json' } });
  assert.deepEqual([r.status, r.json], [400, { message: '[body] Invalid input: expected object, received null', code: 'VALIDATION_ERROR' }]);
});

test('bodies: malformed JSON 400, wrong or missing media type 415, form-urlencoded accepted on sign-up', async () => {
  let r = await call('POST', '/sign-up/email', { raw: '{"email":', headers: { 'content-type': 'application/json' } });
  assert.deepEqual([r.status, r.json], [400, { message: 'Invalid JSON in request body', code: 'BAD_REQUEST' }]);
  r = await call('POST', '/update-user', { raw: 'hello', headers: { 'content-type': 'text/plain' } });
  assert.deepEqual([r.status, r.json], [415, { message: 'Content-Type "text/plain" is not allowed. Allowed types: application/json', code: 'UNSUPPORTED_MEDIA_TYPE' }]);
  r = await call('POST', '/update-user', { raw: new Uint8Array([123, 125]) });
  assert.equal(r.status, 415);
  assert.equal(r.json.code, 'UNSUPPORTED_MEDIA_TYPE');
  const email = uniqueEmail();
  r = await call('POST', '/sign-up/email', { form: true, body: { email, password: 'correct-horse-battery', name: 'Form User' } });
  assert.equal(r.status, 200);
  assert.equal(r.json.user.name, 'Form User');
  r = await call('POST', '/update-user', { form: true, body: { name: 'x' } });
  assert.equal(r.status, 415);
});

test('hostile input: oversized body 413, deep nesting 400, NUL bytes and huge strings never crash', async () => {
  let r = await call('POST', '/sign-in/email', { raw: JSON.stringify({ email: 'a@b.co', password: 'x'.repeat(70000) }), headers: { 'content-type': 'application/json' } });
  assert.equal(r.status, 413);
  assert.equal(r.json.code, 'PAYLOAD_TOO_LARGE');
  r = await call('POST', '/sign-in/email', { raw: '['.repeat(5000) + ']'.repeat(5000), headers: { 'content-type': 'application/json' } });
  assert.deepEqual([r.status, r.json.code], [400, 'BAD_REQUEST']);
  r = await call('POST', '/sign-in/email', { body: { email: 'a\u0000b@example.com', password: 'p\u0000ssword' } });
  assert.equal(r.status, 400);
  r = await call('POST', '/sign-up/email', { body: { email: uniqueEmail(), password: 'correct-horse-battery', name: "Robert'); DROP TABLE neon_auth.\"user\";--" } });
  assert.equal(r.status, 200);
  assert.equal(sql('SELECT count(*) > 0 FROM neon_auth."user"'), 't');
  const ok = await call('GET', '/ok');
  assert.equal(ok.status, 200);
});

test('sign-in/email: success with redirect fields; callbackURL sets Location', async () => {
  const { email, password } = await signUp(new Jar());
  const jar = new Jar();
  let r = await call('POST', '/sign-in/email', { jar, body: { email: email.toUpperCase(), password } });
  assert.equal(r.status, 200);
  assert.deepEqual(Object.keys(r.json), ['redirect', 'token', 'user']);
  assert.equal(r.json.redirect, false);
  assert.ok(jar.cookies.has(`${PFX}.session_token`));
  r = await call('POST', '/sign-in/email', { body: { email, password, callbackURL: '/dashboard' } });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('location'), '/dashboard');
  assert.equal(r.json.redirect, true);
  assert.equal(r.json.url, '/dashboard');
});

test('sign-in/email errors: wrong password, unknown user, bad email, too long, untrusted callbackURL', async () => {
  const { email } = await signUp(new Jar());
  let r = await call('POST', '/sign-in/email', { body: { email, password: 'wrong-password-here' } });
  assert.deepEqual([r.status, r.json], [401, { message: 'Invalid email or password', code: 'INVALID_EMAIL_OR_PASSWORD' }]);
  r = await call('POST', '/sign-in/email', { body: { email: uniqueEmail('nobody'), password: 'whatever-password' } });
  assert.deepEqual([r.status, r.json], [401, { message: 'Invalid email or password', code: 'INVALID_EMAIL_OR_PASSWORD' }]);
  r = await call('POST', '/sign-in/email', { body: { email: 'bad', password: 'whatever-password' } });
  assert.deepEqual([r.status, r.json], [400, { message: 'Invalid email', code: 'INVALID_EMAIL' }]);
  r = await call('POST', '/sign-in/email', { body: { email, password: 'y'.repeat(200) } });
  assert.deepEqual([r.status, r.json], [400, { message: 'Password too long', code: 'PASSWORD_TOO_LONG' }]);
  r = await call('POST', '/sign-in/email', { body: { email, password: 'whatever', callbackURL: 'https://evil.example.net/x' } });
  assert.deepEqual([r.status, r.json], [403, { message: 'Invalid callbackURL', code: 'INVALID_CALLBACK_URL' }]);
  r = await call('POST', '/sign-in/email', { body: { email, password: 'whatever', callbackURL: '//evil.example.net' } });
  assert.equal(r.status, 403);
});

test('rememberMe:false gives a browser-session cookie and a signed dont_remember cookie', async () => {
  const { email, password } = await signUp(new Jar());
  const jar = new Jar();
  const r = await call('POST', '/sign-in/email', { jar, body: { email, password, rememberMe: false } });
  assert.equal(r.status, 200);
  const sc = r.headers.getSetCookie();
  assert.match(sc[0], new RegExp(`^${PFX}\\.session_token=[^;]+; Path=/; HttpOnly; SameSite=Lax$`));
  assert.match(sc[1], new RegExp(`^${PFX}\\.dont_remember=true\\.[^;]+%3D; Path=/; HttpOnly; SameSite=Lax$`));
  const days = Number(sql(`SELECT round(extract(epoch from "expiresAt" - "createdAt") / 3600) FROM neon_auth.session WHERE token = '${r.json.token}'`));
  assert.equal(days, 24);
  const g = await call('GET', '/get-session', { jar });
  assert.equal(g.json.session.token, r.json.token);
});

test('origin and CSRF checks (protocol.md §6)', async () => {
  const jar = new Jar();
  const { email, password } = await signUp(jar);
  // a cookie and an untrusted Origin
  let r = await call('POST', '/update-user', { jar, body: { name: 'x' }, headers: { origin: 'https://evil.example.net' } });
  assert.deepEqual([r.status, r.json], [403, { message: 'Invalid origin', code: 'INVALID_ORIGIN' }]);
  // a cookie and no Origin at all
  r = await call('POST', '/update-user', { jar, body: { name: 'x' }, headers: { origin: null } });
  assert.deepEqual([r.status, r.json], [403, { message: 'Missing or null Origin', code: 'MISSING_OR_NULL_ORIGIN' }]);
  // the branch's own origin and localhost (allow_localhost) are trusted
  r = await call('POST', '/update-user', { jar, body: { name: 'x' }, headers: { origin: ORIGIN } });
  assert.equal(r.status, 200);
  r = await call('POST', '/update-user', { jar, body: { name: 'y' }, headers: { origin: 'http://localhost:5173' } });
  assert.equal(r.status, 200);
  // sign-in from a cross-site navigation is refused
  r = await rawCall('POST', '/sign-in/email', { body: { email, password }, headers: { origin: ORIGIN, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' } });
  assert.deepEqual([r.status, r.json.code], [403, 'CROSS_SITE_NAVIGATION_LOGIN_BLOCKED']);
  // no cookie, no Origin, no fetch metadata (curl, server to server): allowed
  r = await rawCall('POST', '/sign-in/email', { body: { email, password } });
  assert.equal(r.status, 200);
  // fetch metadata without an Origin: refused
  r = await rawCall('POST', '/sign-in/email', { body: { email, password }, headers: { 'sec-fetch-mode': 'cors' } });
  assert.deepEqual([r.status, r.json.code], [403, 'MISSING_OR_NULL_ORIGIN']);
  // sign-in with an untrusted Origin and no cookie (form CSRF)
  r = await call('POST', '/sign-in/email', { body: { email, password }, headers: { origin: 'https://evil.example.net' } });
  assert.deepEqual([r.status, r.json.code], [403, 'INVALID_ORIGIN']);
  // a trusted origin added to the branch config is accepted at once
  sql(`UPDATE neon_auth.project_config SET trusted_origins = '["https://app.example.org"]'`);
  r = await call('POST', '/sign-in/email', { body: { email, password }, headers: { origin: 'https://app.example.org' } });
  assert.equal(r.status, 200);
  // allow_localhost off: localhost is no longer trusted
  sql(`UPDATE neon_auth.project_config SET allow_localhost = false`);
  r = await call('POST', '/sign-in/email', { body: { email, password }, headers: { origin: 'http://localhost:3000' } });
  assert.equal(r.status, 403);
  resetSettings();
});

test('CORS: preflight and credentialed CORS only for trusted origins', async () => {
  sql(`UPDATE neon_auth.project_config SET trusted_origins = '["https://app.example.org"]'`);
  let res = await fetch(AUTH_URL + '/get-session', { method: 'OPTIONS', headers: { origin: 'https://app.example.org', 'access-control-request-method': 'GET', 'access-control-request-headers': 'content-type, x-neon-client-info' } });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get('access-control-allow-origin'), 'https://app.example.org');
  assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
  assert.match(res.headers.get('access-control-allow-headers'), /x-neon-client-info/);
  assert.match(res.headers.get('access-control-allow-headers'), /authorization/);
  res = await fetch(AUTH_URL + '/get-session', { method: 'OPTIONS', headers: { origin: 'https://evil.example.net', 'access-control-request-method': 'GET' } });
  assert.equal(res.headers.get('access-control-allow-origin'), null);
  res = await fetch(AUTH_URL + '/get-session', { headers: { origin: 'https://app.example.org' } });
  assert.equal(res.headers.get('access-control-allow-origin'), 'https://app.example.org');
  assert.match(res.headers.get('access-control-expose-headers'), /set-auth-jwt/);
  res = await fetch(AUTH_URL + '/get-session', { headers: { origin: 'https://evil.example.net' } });
  assert.equal(res.headers.get('access-control-allow-origin'), null);
  resetSettings();
});

test('get-session: cookie, bearer (raw and signed), bad signature, none, POST 405', async () => {
  const jar = new Jar();
  const { email, token, res } = await signUp(jar);
  let r = await call('GET', '/get-session', { jar });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  assert.equal(r.headers.get('pragma'), 'no-cache');
  assert.deepEqual(Object.keys(r.json), ['session', 'user']);
  assert.deepEqual(Object.keys(r.json.session), ['expiresAt', 'token', 'createdAt', 'updatedAt', 'ipAddress', 'userAgent', 'userId', 'impersonatedBy', 'activeOrganizationId', 'id']);
  assert.equal(r.json.session.token, token);
  assertUser(r.json.user, email);
  const signed = res.headers.get('set-auth-token');
  r = await call('GET', '/get-session', { headers: { authorization: `Bearer ${signed}` } });
  assert.equal(r.json.session.token, token);
  r = await call('GET', '/get-session', { headers: { authorization: `bearer ${token}` } });
  assert.equal(r.json.session.token, token);
  r = await call('GET', '/get-session', { headers: { authorization: `Bearer ${token}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=` } });
  assert.equal(r.text, 'null');
  r = await call('GET', '/get-session', { headers: { cookie: `${PFX}.session_token=${token}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3D` } });
  assert.deepEqual([r.status, r.text], [200, 'null']);
  assert.equal(r.headers.getSetCookie().length, 0);
  r = await call('GET', '/get-session');
  assert.deepEqual([r.status, r.text], [200, 'null']);
  r = await call('POST', '/get-session', { jar, body: {}, headers: { origin: ORIGIN } });
  assert.equal(r.status, 405);
  assert.equal(r.json.code, 'METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED');
});

test('get-session: an expired session is deleted and its cookies expired', async () => {
  const jar = new Jar();
  const { token } = await signUp(jar);
  sql(`UPDATE neon_auth.session SET "expiresAt" = now() - interval '1 minute' WHERE token = '${token}'`);
  const r = await call('GET', '/get-session', { jar });
  assert.equal(r.text, 'null');
  const names = r.headers.getSetCookie().map((c) => c.split('=')[0]);
  assert.deepEqual(names, [`${PFX}.session_token`, `${PFX}.session_data`, `${PFX}.dont_remember`]);
  assert.equal(sql(`SELECT count(*) FROM neon_auth.session WHERE token = '${token}'`), '0');
});

test('get-session: sliding refresh after updateAge, disableRefresh, and no refresh before', async () => {
  const jar = new Jar();
  const { token } = await signUp(jar);
  let r = await call('GET', '/get-session', { jar });
  assert.equal(r.headers.getSetCookie().length, 0, 'fresh session: no refresh');
  // pretend the session was made two days ago
  sql(`UPDATE neon_auth.session SET "expiresAt" = now() + interval '5 days', "createdAt" = now() - interval '2 days' WHERE token = '${token}'`);
  r = await call('GET', '/get-session?disableRefresh=true', { jar });
  assert.equal(r.headers.getSetCookie().length, 0);
  r = await call('GET', '/get-session', { jar });
  assert.equal(r.headers.getSetCookie().length, 1);
  assert.match(r.headers.getSetCookie()[0], /Max-Age=604800/);
  const left = Number(sql(`SELECT round(extract(epoch from "expiresAt" - now()) / 86400) FROM neon_auth.session WHERE token = '${token}'`));
  assert.equal(left, 7);
});

test('session cookie cache (session_data): signed, served without the database, disableCookieCache', async () => {
  setSettings({ session: { cookie_cache: true, cookie_cache_max_age: 300 } });
  try {
    const jar = new Jar();
    const { token } = await signUp(jar);
    assert.ok(jar.cookies.has(`${PFX}.session_data`));
    const sd = jar.cookies.get(`${PFX}.session_data`);
    const outer = JSON.parse(Buffer.from(sd, 'base64url').toString());
    assert.deepEqual(Object.keys(outer), ['session', 'expiresAt', 'signature']);
    assert.equal(outer.session.session.token, token);
    // delete the row: the cache still answers, the database does not
    sql(`DELETE FROM neon_auth.session WHERE token = '${token}'`);
    let r = await call('GET', '/get-session', { jar });
    assert.equal(r.json?.session?.token, token);
    r = await call('GET', '/get-session?disableCookieCache=true', { jar });
    assert.equal(r.text, 'null');
    // a tampered cache cookie is refused and expired
    const j2 = new Jar();
    const s2 = await signUp(j2);
    const o2 = JSON.parse(Buffer.from(j2.cookies.get(`${PFX}.session_data`), 'base64url').toString());
    o2.session.user.name = 'Mallory';
    j2.cookies.set(`${PFX}.session_data`, Buffer.from(JSON.stringify(o2)).toString('base64url'));
    r = await call('GET', '/get-session', { jar: j2 });
    assert.equal(r.json.user.name, 'Test User');
    assert.equal(r.json.session.token, s2.token);
  } finally {
    resetSettings();
  }
});

test('list-sessions, revoke-session, revoke-other-sessions, revoke-sessions', async () => {
  const a = new Jar();
  const { email, password, token: t1 } = await signUp(a);
  const b = new Jar();
  const s2 = await call('POST', '/sign-in/email', { jar: b, body: { email, password } });
  const t2 = s2.json.token;
  const other = await signUp(new Jar());
  let r = await call('GET', '/list-sessions', { jar: a });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.map((s) => s.token).sort(), [t1, t2].sort());
  // someone else's token is ignored
  r = await call('POST', '/revoke-session', { jar: a, body: { token: other.token }, headers: { origin: ORIGIN } });
  assert.deepEqual([r.status, r.json], [200, { status: true }]);
  assert.equal(sql(`SELECT count(*) FROM neon_auth.session WHERE token = '${other.token}'`), '1');
  r = await call('POST', '/revoke-session', { jar: a, body: {}, headers: { origin: ORIGIN } });
  assert.equal(r.status, 400);
  r = await call('POST', '/revoke-session', { jar: a, body: { token: t2 }, headers: { origin: ORIGIN } });
  assert.deepEqual(r.json, { status: true });
  r = await call('GET', '/get-session', { jar: b });
  assert.equal(r.text, 'null');
  const c = new Jar();
  await call('POST', '/sign-in/email', { jar: c, body: { email, password } });
  r = await call('POST', '/revoke-other-sessions', { jar: a, headers: { origin: ORIGIN } });
  assert.deepEqual(r.json, { status: true });
  assert.equal((await call('GET', '/get-session', { jar: c })).text, 'null');
  assert.equal((await call('GET', '/get-session', { jar: a })).json.session.token, t1);
  r = await call('POST', '/revoke-sessions', { jar: a, headers: { origin: ORIGIN } });
  assert.deepEqual(r.json, { status: true });
  assert.equal((await call('GET', '/get-session', { jar: a })).text, 'null');
  r = await call('GET', '/list-sessions');
  assert.deepEqual([r.status, r.json], [401, { message: 'Unauthorized', code: 'UNAUTHORIZED' }]);
});

test('list-sessions needs a fresh session', async () => {
  const jar = new Jar();
  const { token } = await signUp(jar);
  sql(`UPDATE neon_auth.session SET "createdAt" = now() - interval '2 days', "updatedAt" = now() WHERE token = '${token}'`);
  const r = await call('GET', '/list-sessions', { jar });
  assert.deepEqual([r.status, r.json], [403, { message: 'Session is not fresh', code: 'SESSION_NOT_FRESH' }]);
});

test('update-user and update-session', async () => {
  const jar = new Jar();
  await signUp(jar);
  const h = { origin: ORIGIN };
  let r = await call('POST', '/update-user', { jar, headers: h, body: { name: 'New Name', image: 'https://img.example.com/a.png' } });
  assert.deepEqual([r.status, r.json], [200, { status: true }]);
  assert.ok(r.headers.getSetCookie().some((c) => c.startsWith(`${PFX}.session_token=`)));
  r = await call('GET', '/get-session', { jar });
  assert.equal(r.json.user.name, 'New Name');
  assert.equal(r.json.user.image, 'https://img.example.com/a.png');
  r = await call('POST', '/update-user', { jar, headers: h, body: { image: null } });
  assert.equal((await call('GET', '/get-session', { jar })).json.user.image, null);
  r = await call('POST', '/update-user', { jar, headers: h, body: { email: 'x@example.com' } });
  assert.deepEqual([r.status, r.json], [400, { message: 'Email can not be updated', code: 'EMAIL_CAN_NOT_BE_UPDATED' }]);
  r = await call('POST', '/update-user', { jar, headers: h, body: {} });
  assert.deepEqual([r.status, r.json], [400, { message: 'No fields to update' }]);
  r = await call('POST', '/update-user', { jar, headers: h, body: [1] });
  assert.deepEqual([r.status, r.json], [400, { message: '[body] Invalid input: expected record, received array', code: 'VALIDATION_ERROR' }]);
  r = await call('POST', '/update-user', { jar, headers: h, body: { role: 'admin' } });
  assert.deepEqual([r.status, r.json], [400, { message: 'role is not allowed to be set', code: 'FIELD_NOT_ALLOWED' }]);
  r = await call('POST', '/update-user', { headers: h, body: { name: 'x' } });
  assert.equal(r.status, 401);
  r = await call('POST', '/update-user', { headers: { origin: null }, body: { name: 'x' } });
  assert.equal(r.status, 401, 'no cookie: no origin check, then no session');
  r = await call('POST', '/update-session', { jar, headers: h, body: {} });
  assert.deepEqual([r.status, r.json], [400, { message: 'No fields to update' }]);
  r = await call('POST', '/update-session', { jar, headers: h, body: { activeOrganizationId: 'x' } });
  assert.deepEqual([r.status, r.json.code], [400, 'FIELD_NOT_ALLOWED']);
});

test('change-email (direct path for an unverified address)', async () => {
  const jar = new Jar();
  const { email } = await signUp(jar);
  const taken = await signUp(new Jar());
  const h = { origin: ORIGIN };
  let r = await call('POST', '/change-email', { jar, headers: h, body: { newEmail: email } });
  assert.deepEqual([r.status, r.json], [400, { message: 'Email is the same' }]);
  r = await call('POST', '/change-email', { jar, headers: h, body: { newEmail: 'nope' } });
  assert.deepEqual([r.status, r.json.code], [400, 'VALIDATION_ERROR']);
  r = await call('POST', '/change-email', { jar, headers: h, body: { newEmail: taken.email } });
  assert.deepEqual(r.json, { status: true });
  assert.equal((await call('GET', '/get-session', { jar })).json.user.email, email);
  const fresh = uniqueEmail('moved');
  r = await call('POST', '/change-email', { jar, headers: h, body: { newEmail: fresh.toUpperCase() } });
  assert.deepEqual(r.json, { status: true });
  assert.equal((await call('GET', '/get-session', { jar })).json.user.email, fresh);
});

test('change-password, verify-password', async () => {
  const jar = new Jar();
  const { email, password } = await signUp(jar);
  const other = new Jar();
  await call('POST', '/sign-in/email', { jar: other, body: { email, password } });
  const h = { origin: ORIGIN };
  let r = await call('POST', '/verify-password', { jar, headers: h, body: { password } });
  assert.deepEqual([r.status, r.json], [200, { status: true }]);
  r = await call('POST', '/verify-password', { jar, headers: h, body: { password: 'not-the-password' } });
  assert.deepEqual([r.status, r.json], [400, { message: 'Invalid password', code: 'INVALID_PASSWORD' }]);
  r = await call('POST', '/change-password', { jar, headers: h, body: { currentPassword: 'not-the-password', newPassword: 'another-good-password' } });
  assert.deepEqual([r.status, r.json], [400, { message: 'Invalid password', code: 'INVALID_PASSWORD' }]);
  r = await call('POST', '/change-password', { jar, headers: h, body: { currentPassword: password, newPassword: 'short' } });
  assert.deepEqual([r.status, r.json.code], [400, 'PASSWORD_TOO_SHORT']);
  r = await call('POST', '/change-password', { jar, headers: h, body: { currentPassword: password, newPassword: 'another-good-password' } });
  assert.equal(r.status, 200);
  assert.equal(r.json.token, null);
  assert.equal(r.json.user.email, email);
  r = await call('POST', '/sign-in/email', { body: { email, password } });
  assert.equal(r.status, 401);
  r = await call('POST', '/change-password', { jar, headers: h, body: { currentPassword: 'another-good-password', newPassword: 'third-good-password', revokeOtherSessions: true } });
  assert.equal(r.status, 200);
  assert.match(r.json.token, /^[A-Za-z0-9]{32}$/);
  assert.equal((await call('GET', '/get-session', { jar: other })).text, 'null');
  assert.equal((await call('GET', '/get-session', { jar })).json.session.token, r.json.token);
  r = await call('POST', '/sign-in/email', { body: { email, password: 'third-good-password' } });
  assert.equal(r.status, 200);
});

test('delete-user: wrong password, success, disabled by the branch setting, callback', async () => {
  const jar = new Jar();
  const { email, password, user } = await signUp(jar);
  const h = { origin: ORIGIN };
  let r = await call('POST', '/delete-user', { jar, headers: h, body: { password: 'wrong-password-x' } });
  assert.deepEqual([r.status, r.json.code], [400, 'INVALID_PASSWORD']);
  r = await call('GET', '/delete-user/callback', { jar });
  assert.equal(r.status, 400);
  r = await call('GET', '/delete-user/callback?token=abc', { jar });
  assert.deepEqual([r.status, r.json.code], [404, 'INVALID_TOKEN']);
  r = await call('GET', '/delete-user/callback?token=abc&callbackURL=https://evil.example.net', { jar });
  assert.deepEqual([r.status, r.json.code], [403, 'INVALID_CALLBACK_URL']);
  setSettings({ delete_user: false });
  r = await call('POST', '/delete-user', { jar, headers: h, body: { password } });
  assert.deepEqual([r.status, r.text], [404, '']);
  resetSettings();
  r = await call('POST', '/delete-user', { jar, headers: h, body: { password } });
  assert.deepEqual([r.status, r.json], [200, { success: true, message: 'User deleted' }]);
  assert.equal(sql(`SELECT count(*) FROM neon_auth."user" WHERE id = '${user.id}'`), '0');
  assert.equal(sql(`SELECT count(*) FROM neon_auth.account WHERE "userId" = '${user.id}'`), '0');
  r = await call('POST', '/sign-in/email', { body: { email, password } });
  assert.equal(r.status, 401);
  // without a password, an old session must re-authenticate
  const j2 = new Jar();
  const s2 = await signUp(j2);
  sql(`UPDATE neon_auth.session SET "createdAt" = now() - interval '2 days' WHERE token = '${s2.token}'`);
  r = await call('POST', '/delete-user', { jar: j2, headers: h, body: {} });
  assert.deepEqual([r.status, r.json.code], [400, 'SESSION_EXPIRED']);
});

test('sign-out deletes the session and expires the cookies', async () => {
  const jar = new Jar();
  const { token } = await signUp(jar);
  const r = await call('POST', '/sign-out', { jar, headers: { origin: ORIGIN }, body: {} });
  assert.deepEqual([r.status, r.json], [200, { success: true }]);
  assert.deepEqual(r.headers.getSetCookie(), [
    `${PFX}.session_token=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax`,
    `${PFX}.session_data=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax`,
    `${PFX}.dont_remember=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax`]);
  assert.equal(sql(`SELECT count(*) FROM neon_auth.session WHERE token = '${token}'`), '0');
  const again = await call('POST', '/sign-out', { headers: { origin: ORIGIN } });
  assert.deepEqual(again.json, { success: true });
});

test('branch settings: cookie prefix, password limits, sign-up switch, require verification', async () => {
  setSettings({ cookies: { prefix: 'better-auth' }, password: { min_length: 12, max_length: 20 } });
  try {
    let r = await call('POST', '/sign-up/email', { body: { email: uniqueEmail(), password: 'elevenchars', name: 'X' } });
    assert.equal(r.json.code, 'PASSWORD_TOO_SHORT');
    r = await call('POST', '/sign-up/email', { body: { email: uniqueEmail(), password: 'x'.repeat(21), name: 'X' } });
    assert.equal(r.json.code, 'PASSWORD_TOO_LONG');
    const jar = new Jar();
    r = await call('POST', '/sign-up/email', { jar, body: { email: uniqueEmail(), password: 'twelve-chars', name: 'X' } });
    assert.equal(r.status, 200);
    assert.ok(jar.cookies.has('better-auth.session_token'));
    assert.equal((await call('GET', '/get-session', { jar })).json.session.token, r.json.token);
  } finally { resetSettings(); }
  sql(`UPDATE neon_auth.project_config SET email_and_password = email_and_password || '{"disable_sign_up":true}'`);
  let r = await call('POST', '/sign-up/email', { body: { email: uniqueEmail(), password: 'correct-horse-battery', name: 'X' } });
  assert.deepEqual([r.status, r.json], [400, { message: 'Email and password sign up is not enabled', code: 'EMAIL_PASSWORD_SIGN_UP_DISABLED' }]);
  resetSettings();
  sql(`UPDATE neon_auth.project_config SET email_and_password = email_and_password || '{"require_email_verification":true}'`);
  const email = uniqueEmail();
  r = await call('POST', '/sign-up/email', { body: { email, password: 'correct-horse-battery', name: 'X' } });
  assert.equal(r.status, 200);
  assert.equal(r.json.token, null);
  assert.equal(r.headers.getSetCookie().length, 0);
  r = await call('POST', '/sign-in/email', { body: { email, password: 'correct-horse-battery' } });
  assert.deepEqual([r.status, r.json], [403, { message: 'Email not verified', code: 'EMAIL_NOT_VERIFIED' }]);
  // an existing address is not revealed
  r = await call('POST', '/sign-up/email', { body: { email, password: 'correct-horse-battery', name: 'X' } });
  assert.equal(r.status, 200);
  assert.equal(r.json.token, null);
  resetSettings();
});

test('rate limit: the fourth sign-in attempt in 10 s is refused with 429 and X-Retry-After', async () => {
  setSettings({ rate_limit: { enabled: true } });
  try {
    const headers = { 'x-forwarded-for': '203.0.113.77' };
    const codes = [];
    let last;
    for (let i = 0; i < 4; i++) {
      last = await call('POST', '/sign-in/email', { headers, body: { email: 'rl@example.com', password: 'whatever-pass' } });
      codes.push(last.status);
    }
    assert.deepEqual(codes.slice(0, 3), [401, 401, 401]);
    assert.equal(codes[3], 429);
    assert.deepEqual(last.json, { message: 'Too many requests. Please try again later.' });
    assert.ok(Number(last.headers.get('x-retry-after')) >= 1);
  } finally { resetSettings(); }
});

test('non-ASCII passwords are NFKC-normalised like Better Auth', async () => {
  const jar = new Jar();
  const email = uniqueEmail('unicode');
  // "ﬁ" (U+FB01) normalises to "fi" under NFKC
  let r = await call('POST', '/sign-up/email', { jar, body: { email, password: 'pass\uFB01word-long', name: 'U' } });
  assert.equal(r.status, 200);
  r = await call('POST', '/sign-in/email', { body: { email, password: 'passfiword-long' } });
  assert.equal(r.status, 200);
});

test('session ipAddress: the connection, or X-Forwarded-For from a trusted (loopback) proxy', async () => {
  let jar = new Jar();
  await signUp(jar);
  let r = await call('GET', '/get-session', { jar });
  assert.equal(r.json.session.ipAddress, '127.0.0.1');
  jar = new Jar();
  const email = uniqueEmail('xff');
  r = await call('POST', '/sign-up/email', { jar, body: { email, password: 'correct-horse-battery', name: 'X' }, headers: { 'x-forwarded-for': '198.51.100.7' } });
  assert.equal(r.status, 200);
  r = await call('GET', '/get-session', { jar });
  assert.equal(r.json.session.ipAddress, '198.51.100.7');
  r = await call('POST', '/sign-in/email', { body: { email, password: 'correct-horse-battery' }, headers: { 'x-forwarded-for': '198.51.100.7, 10.0.0.1' } });
  const t = r.json.token;
  r = await call('GET', '/get-session', { headers: { authorization: `Bearer ${t}` } });
  // walked from the right: 10.0.0.1 is the first hop that is not a trusted proxy
  assert.equal(r.json.session.ipAddress, '10.0.0.1', 'the rightmost untrusted hop');
});

test('token and set-auth-jwt reuse one signed JWT while nothing in it changes', async () => {
  const jar = new Jar();
  await signUp(jar);
  const g = await call('GET', '/get-session', { jar });
  const jwt = g.headers.get('set-auth-jwt');
  assert.match(jwt, /^eyJ/);
  const t = await call('GET', '/token', { jar });
  assert.equal(t.json.token, jwt);
  // a change to a claim gives a new token
  await call('POST', '/update-user', { jar, body: { name: 'Renamed For JWT' } });
  const t2 = await call('GET', '/token', { jar });
  assert.notEqual(t2.json.token, jwt);
  assert.equal(JSON.parse(Buffer.from(t2.json.token.split('.')[1], 'base64url').toString()).name, 'Renamed For JWT');
});

test('secrets never reach the log', async () => {
  const { token, password } = await signUp(new Jar());
  await call('GET', `/get-session?token=${token}`, { headers: { cookie: `x=${token}`, authorization: `Bearer ${token}` } });
  const fs = await import('node:fs');
  const path = await import('node:path');
  const { STACK_DIR } = await import('./lib.mjs');
  const log = fs.readFileSync(path.join(STACK_DIR, 'neon-authd.log'), 'utf8');
  assert.ok(!log.includes(token), 'session token in the log');
  assert.ok(!log.includes(password), 'password in the log');
  assert.ok(!log.includes('a-very-long-secret') && !log.includes('test-secret'), 'server secret in the log');
});
