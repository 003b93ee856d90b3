// The request pipeline through nginx (api/router.c, http/): routing and 404s, the branch
// map, body parsing and media types, hostile input, origin/CSRF checks, CORS, rate limits,
// the client address, and what never reaches the log (spec/protocol.md §0.4, §2, §6, §7).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { AUTH_URL, ORIGIN, Jar, call, rawCall, signUp, sql, setSettings, resetSettings, uniqueEmail } from './lib.mjs';

before(() => resetSettings());

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
  // a path without a route: the preflight is answered, and the 404 carries CORS for a trusted origin
  res = await fetch(AUTH_URL + '/no-such-route', { method: 'OPTIONS', headers: { origin: 'https://app.example.org', 'access-control-request-method': 'POST' } });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get('access-control-allow-origin'), 'https://app.example.org');
  res = await fetch(AUTH_URL + '/no-such-route', { method: 'POST', headers: { origin: 'https://app.example.org' } });
  assert.equal(res.status, 404);
  assert.equal(await res.text(), '');
  assert.equal(res.headers.get('access-control-allow-origin'), 'https://app.example.org');
  assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
  res = await fetch(AUTH_URL + '/ok', { method: 'POST', headers: { origin: 'https://app.example.org' } });
  assert.equal(res.status, 404, 'wrong method');
  assert.equal(res.headers.get('access-control-allow-origin'), 'https://app.example.org');
  res = await fetch(AUTH_URL + '/no-such-route', { method: 'POST', headers: { origin: 'https://evil.example.net' } });
  assert.equal(res.headers.get('access-control-allow-origin'), null);
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
  const t = r.headers.get('set-auth-token');
  r = await call('GET', '/get-session', { headers: { authorization: `Bearer ${t}` } });
  // walked from the right: 10.0.0.1 is the first hop that is not a trusted proxy
  assert.equal(r.json.session.ipAddress, '10.0.0.1', 'the rightmost untrusted hop');
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
