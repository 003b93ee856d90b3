// Differential test: one scripted sequence sent to neon-authd and to the
// reference Better Auth server (tests/reference: the real better-auth 1.7.25),
// comparing statuses, error codes and messages, JSON shapes, cookies and
// protocol headers. Ids, tokens, dates and JWTs are normalised. The reference
// server runs on the stack's PostgreSQL (schema neon_auth_peer), as the
// benchmark does; this file starts it and stops it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { AUTH_URL, setSettings, resetSettings, sql, startReference } from './lib.mjs';

const ORIGIN = 'http://localhost:3000';   // trusted by both
let PEER_URL;
let peer;

function req(base, method, route, { body, raw, ctype, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(base + route);
    let payload = raw;
    const h = { ...headers };
    if (body !== undefined) payload = JSON.stringify(body);
    if (payload !== undefined) {
      h['content-type'] = ctype || 'application/json';
      h['content-length'] = Buffer.byteLength(payload);
    }
    const r = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers: h }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        let json;
        try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    r.on('error', reject);
    r.setTimeout(20000, () => r.destroy(new Error('timeout')));
    if (payload !== undefined) r.write(payload);
    r.end();
  });
}

// fields only neon-authd has: Neon enables the admin plugin (neon.md §3.1)
const NEON_ONLY = new Set(['role', 'banned', 'banReason', 'banExpires', 'impersonatedBy']);

function shape(v) {
  if (Array.isArray(v)) return v.length ? [shape(v[0])] : [];
  if (v && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v).sort()) if (!NEON_ONLY.has(k)) o[k] = shape(v[k]);
    return o;
  }
  return v === null ? null : typeof v;
}

function cookies(res) {
  return (res.headers['set-cookie'] || []).map((c) => c
    .replace(/^([^=]+)=[^;]+/, '$1=<v>')
    .replace(/^[^=]+=<v>/, (m) => m));
}

function summary(res) {
  const isErr = res.status >= 400;
  return {
    status: res.status,
    body: res.json === undefined ? (res.text === '' ? '' : (res.text === 'null' ? null : '<text>'))
      : (isErr ? res.json : shape(res.json)),
    cookies: cookies(res),
    setAuthToken: 'set-auth-token' in res.headers,
    location: res.headers.location || null,
    noStore: res.headers['cache-control'] === 'no-store',
  };
}

before(async () => {
  // the default plugin set (jwt, bearer, organization), no mail
  peer = startReference();
  PEER_URL = peer.url;
  resetSettings();
  // compare like with like: Better Auth's cookie prefix, delete-user off as on the peer
  // Better Auth's bearer takes the raw token unless requireSignature is set
  setSettings({ cookies: { prefix: 'better-auth' }, delete_user: false, bearer_require_signature: false });
});

after(() => {
  resetSettings();
  peer?.stop();
});

// run one step on both servers; returns both raw responses
async function both(name, method, route, opts = {}, state = {}) {
  const mk = (s) => (typeof opts === 'function' ? opts(s) : opts);
  const a = await req(AUTH_URL, method, route, mk(state.neon || {}));
  const b = await req(PEER_URL, method, route, mk(state.peer || {}));
  const sa = summary(a), sb = summary(b);
  assert.deepEqual(sa, sb, `${name}: neon-authd ${JSON.stringify(sa)} != peer ${JSON.stringify(sb)}`);
  return [a, b];
}

const stamp = `${process.pid}-${Date.now()}`;
const email = `diff-${stamp}@example.com`;
const password = 'correct-horse-battery';
const st = { neon: {}, peer: {} };
const cookieOf = (res) => (res.headers['set-cookie'] || []).map((c) => c.split(';')[0]).filter((c) => !c.endsWith('=')).join('; ');

test('differential: health, routing and body errors', async () => {
  await both('ok', 'GET', '/ok');
  await both('unknown route', 'GET', '/does-not-exist');
  await both('wrong method', 'POST', '/ok', { body: {} });
  await both('trailing slash', 'GET', '/get-session/');
  await both('malformed JSON', 'POST', '/sign-up/email', { raw: '{"email":', ctype: 'application/json' });
  await both('text/plain', 'POST', '/sign-in/email', { raw: 'x', ctype: 'text/plain' });
  await both('no body', 'POST', '/sign-up/email');
});

test('differential: sign-up', async () => {
  const [a, b] = await both('sign-up', 'POST', '/sign-up/email', { body: { email, password, name: 'Diff' } });
  st.neon.cookie = cookieOf(a);
  st.peer.cookie = cookieOf(b);
  st.neon.signed = a.headers['set-auth-token'];
  st.peer.signed = b.headers['set-auth-token'];
  st.neon.token = a.json.token;
  st.peer.token = b.json.token;
  await both('sign-up duplicate', 'POST', '/sign-up/email', { body: { email, password, name: 'Diff' } });
  await both('sign-up short', 'POST', '/sign-up/email', { body: { email: `s-${email}`, password: 'short', name: 'D' } });
  await both('sign-up long', 'POST', '/sign-up/email', { body: { email: `l-${email}`, password: 'x'.repeat(129), name: 'D' } });
  await both('sign-up bad email', 'POST', '/sign-up/email', { body: { email: 'nope', password, name: 'D' } });
  await both('sign-up missing', 'POST', '/sign-up/email', { body: { email: `m-${email}` } });
  await both('sign-up wrong types', 'POST', '/sign-up/email', { body: { email: `t-${email}`, password: 5, name: 'D', rememberMe: 'x' } });
  await both('sign-up array', 'POST', '/sign-up/email', { body: [1] });
  await both('sign-up form', 'POST', '/sign-up/email', { raw: new URLSearchParams({ email: `f-${email}`, password, name: 'F' }).toString(), ctype: 'application/x-www-form-urlencoded' });
});

test('differential: sign-in', async () => {
  await both('sign-in wrong password', 'POST', '/sign-in/email', { body: { email, password: 'wrong-password-1' } });
  await both('sign-in unknown', 'POST', '/sign-in/email', { body: { email: `x-${email}`, password } });
  await both('sign-in bad email', 'POST', '/sign-in/email', { body: { email: 'bad', password } });
  await both('sign-in too long', 'POST', '/sign-in/email', { body: { email, password: 'p'.repeat(200) } });
  await both('sign-in untrusted callback', 'POST', '/sign-in/email', { body: { email, password, callbackURL: 'https://evil.example.net/' } });
  await both('sign-in callback', 'POST', '/sign-in/email', { body: { email, password, callbackURL: '/home' } });
  await both('sign-in remember me off', 'POST', '/sign-in/email', { body: { email, password, rememberMe: false } });
  await both('sign-in cross-site navigation', 'POST', '/sign-in/email', { body: { email, password }, headers: { origin: ORIGIN, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' } });
  await both('sign-in fetch metadata without origin', 'POST', '/sign-in/email', { body: { email, password }, headers: { 'sec-fetch-mode': 'cors' } });
  await both('sign-in untrusted origin', 'POST', '/sign-in/email', { body: { email, password }, headers: { origin: 'https://evil.example.net' } });
});

test('differential: get-session by cookie and bearer', async () => {
  await both('get-session cookie', 'GET', '/get-session', (s) => ({ headers: { cookie: s.cookie } }), st);
  await both('get-session bearer signed', 'GET', '/get-session', (s) => ({ headers: { authorization: `Bearer ${s.signed}` } }), st);
  await both('get-session bearer raw', 'GET', '/get-session', (s) => ({ headers: { authorization: `Bearer ${s.token}` } }), st);
  await both('get-session bearer bad', 'GET', '/get-session', (s) => ({ headers: { authorization: `Bearer ${s.token}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=` } }), st);
  await both('get-session none', 'GET', '/get-session');
  await both('get-session POST', 'POST', '/get-session', (s) => ({ body: {}, headers: { cookie: s.cookie, origin: ORIGIN } }), st);
  const [la, lb] = await both('list-sessions', 'GET', '/list-sessions', (s) => ({ headers: { cookie: s.cookie } }), st);
  // every listed session carries its raw token, the other sessions' too, on both (README "Bearer tokens")
  const tokens = (res) => res.json.map((x) => typeof x.token === 'string' && x.token.length === 32);
  assert.ok(lb.json.length > 1 && tokens(lb).every(Boolean), `peer: ${JSON.stringify(tokens(lb))}`);
  assert.deepEqual(tokens(la), tokens(lb));
  await both('list-sessions unauthenticated', 'GET', '/list-sessions');
});

test('differential: user and password changes', async () => {
  const h = (s) => ({ cookie: s.cookie, origin: ORIGIN });
  await both('update-user', 'POST', '/update-user', (s) => ({ body: { name: 'Renamed' }, headers: h(s) }), st);
  await both('update-user email', 'POST', '/update-user', (s) => ({ body: { email: 'x@example.com' }, headers: h(s) }), st);
  await both('update-user nothing', 'POST', '/update-user', (s) => ({ body: {}, headers: h(s) }), st);
  await both('update-user array', 'POST', '/update-user', (s) => ({ body: [1], headers: h(s) }), st);
  await both('update-user untrusted origin', 'POST', '/update-user', (s) => ({ body: { name: 'x' }, headers: { cookie: s.cookie, origin: 'https://evil.example.net' } }), st);
  await both('update-user no origin', 'POST', '/update-user', (s) => ({ body: { name: 'x' }, headers: { cookie: s.cookie } }), st);
  await both('verify-password', 'POST', '/verify-password', (s) => ({ body: { password }, headers: h(s) }), st);
  await both('verify-password wrong', 'POST', '/verify-password', (s) => ({ body: { password: 'nope-nope-nope' }, headers: h(s) }), st);
  await both('change-password wrong current', 'POST', '/change-password', (s) => ({ body: { currentPassword: 'nope-nope-nope', newPassword: 'brand-new-password' }, headers: h(s) }), st);
  await both('change-password short', 'POST', '/change-password', (s) => ({ body: { currentPassword: password, newPassword: 'short' }, headers: h(s) }), st);
  await both('change-password', 'POST', '/change-password', (s) => ({ body: { currentPassword: password, newPassword: 'brand-new-password' }, headers: h(s) }), st);
  // change-email is on in neon-authd (the Neon SDK calls it) and off in stock Better Auth: not compared
  await both('revoke-session unknown', 'POST', '/revoke-session', (s) => ({ body: { token: 'x'.repeat(32) }, headers: h(s) }), st);
  await both('revoke-other-sessions', 'POST', '/revoke-other-sessions', (s) => ({ headers: h(s) }), st);
  await both('delete-user disabled', 'POST', '/delete-user', (s) => ({ body: {}, headers: h(s) }), st);
});

test('differential: sign-out', async () => {
  await both('sign-out', 'POST', '/sign-out', (s) => ({ body: {}, headers: { cookie: s.cookie, origin: ORIGIN } }), st);
  await both('get-session after sign-out', 'GET', '/get-session', (s) => ({ headers: { cookie: s.cookie } }), st);
  await both('sign-out again', 'POST', '/sign-out', { body: {}, headers: { origin: ORIGIN } });
});

test('password hashes move both ways between the reference server and neon-authd', async () => {
  const pw1 = 'peer-made-password-1';
  const pw2 = 'neon-made-password-2';
  const e1 = `hash1-${stamp}@example.com`;
  const e2 = `hash2-${stamp}@example.com`;
  // a user on each side with the same email, one password each
  for (const [base, pw] of [[PEER_URL, pw1], [AUTH_URL, pw2]]) {
    const r = await req(base, 'POST', '/sign-up/email', { body: { email: e1, password: pw, name: 'H' } });
    assert.equal(r.status, 200, r.text);
  }
  // the peer's hash, copied into neon-authd's credential account, verifies here
  sql(`UPDATE neon_auth.account a SET password = p.password
       FROM neon_auth."user" u, neon_auth_peer."user" pu, neon_auth_peer.account p
       WHERE a."userId" = u.id AND u.email = '${e1}' AND pu.email = '${e1}'
         AND p."userId" = pu.id AND p."providerId" = 'credential' AND a."providerId" = 'credential'`);
  let r = await req(AUTH_URL, 'POST', '/sign-in/email', { body: { email: e1, password: pw1 } });
  assert.equal(r.status, 200, 'a hash written by Better Auth verifies in neon-authd');
  // and the other way round
  for (const [base, pw] of [[PEER_URL, pw1], [AUTH_URL, pw2]]) {
    r = await req(base, 'POST', '/sign-up/email', { body: { email: e2, password: pw, name: 'H' } });
    assert.equal(r.status, 200, r.text);
  }
  sql(`UPDATE neon_auth_peer.account p SET password = a.password
       FROM neon_auth."user" u, neon_auth_peer."user" pu, neon_auth.account a
       WHERE a."userId" = u.id AND u.email = '${e2}' AND pu.email = '${e2}'
         AND p."userId" = pu.id AND p."providerId" = 'credential' AND a."providerId" = 'credential'`);
  r = await req(PEER_URL, 'POST', '/sign-in/email', { body: { email: e2, password: pw2 } });
  assert.equal(r.status, 200, 'a hash written by neon-authd verifies in Better Auth');
  r = await req(PEER_URL, 'POST', '/sign-in/email', { body: { email: e2, password: pw1 } });
  assert.equal(r.status, 401);
});
