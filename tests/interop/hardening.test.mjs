// Issue 12's hardening, on the wire through nginx: bearer off by default and signed-only,
// the cookie cache cannot outlive a revocation for JWTs and writes, its max age capped, the
// cookie prefix checked on read, invalid UTF-8 answered 400 without an error-level log line,
// verify-password and delete-user under the strict rate-limit rule.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ORIGIN, STACK_DIR, Jar, call, cli, signUp, sql, sleep, setSettings, resetSettings, PFX } from './lib.mjs';

// Every worker connects to the branch here. A worker distrusts cookie-cache cookies minted less
// than 5 s after its connection was made (http/revoke.c, SKEW_MS): the cookie-cache test signs
// up later than that, so that the cache is really read.
let warmedAt = 0;
before(async () => {
  resetSettings();
  for (let i = 0; i < 16; i++) await call('GET', '/get-session');
  warmedAt = Date.now();
});
after(() => resetSettings());

// the settings object without the suites' "bearer": true: the daemon's defaults
function defaultSettings(extra = {}) {
  sql(`UPDATE neon_auth.project_config SET settings = '${JSON.stringify({ rate_limit: { enabled: false }, ...extra })}'::jsonb`);
}

test('bearer: off by default (no set-auth-token, a signed bearer is no session)', async () => {
  defaultSettings();
  try {
    const jar = new Jar();
    const { token, res } = await signUp(jar);
    assert.equal(res.headers.get('set-auth-token'), null, 'no set-auth-token without the bearer plugin');
    const signed = decodeURIComponent(jar.cookies.get(`${PFX}.session_token`));
    assert.ok(signed.startsWith(`${token}.`));
    let r = await call('GET', '/get-session', { headers: { authorization: `Bearer ${signed}` } });
    assert.deepEqual([r.status, r.text], [200, 'null']);
    r = await call('GET', '/get-session', { headers: { authorization: `Bearer ${token}` } });
    assert.deepEqual([r.status, r.text], [200, 'null']);
    r = await call('GET', '/get-session', { jar });
    assert.equal(r.json.session.token, token, 'the cookie still works');
  } finally { resetSettings(); }
});

test('bearer on: the signed token works, the raw database token only with bearer_require_signature false', async () => {
  setSettings({ bearer: true });
  const { token, res } = await signUp(new Jar());
  const signed = res.headers.get('set-auth-token');
  assert.ok(signed.startsWith(`${token}.`));
  let r = await call('GET', '/get-session', { headers: { authorization: `Bearer ${signed}` } });
  assert.equal(r.json.session.token, token);
  // what anyone who can read neon_auth.session holds
  r = await call('GET', '/get-session', { headers: { authorization: `Bearer ${token}` } });
  assert.deepEqual([r.status, r.text], [200, 'null']);
  r = await call('POST', '/update-user', { headers: { authorization: `Bearer ${token}` }, body: { name: 'Mallory' } });
  assert.equal(r.status, 401);
  assert.doesNotMatch(cli('check-config', '--connect'), /bearer_require_signature/);
  setSettings({ bearer_require_signature: false });
  r = await call('GET', '/get-session', { headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.json.session.token, token);
  // check-config --connect names the risk
  assert.match(cli('check-config', '--connect'), /warning: settings\.bearer_require_signature is false/);
  resetSettings();
});

test('list-sessions: every session with its token, as Better Auth 1.7.25 (the raw token is no bearer)', async () => {
  const jar = new Jar();
  const { email, password, token } = await signUp(jar);
  const other = await call('POST', '/sign-in/email', { body: { email, password } });
  const r = await call('GET', '/list-sessions', { jar });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.map((s) => s.token).sort(), [token, other.json.token].sort());
  const g = await call('GET', '/get-session', { headers: { authorization: `Bearer ${other.json.token}` } });
  assert.equal(g.text, 'null', 'a listed token alone opens no session');
});

test('cookie cache: a revoked session mints no JWT and cannot write, get-session keeps answering until the cache ends', async () => {
  setSettings({ session: { cookie_cache: true, cookie_cache_max_age: 300 } });
  try {
    await sleep(Math.max(0, warmedAt + 5500 - Date.now()));
    const jar = new Jar();
    const { token } = await signUp(jar);
    assert.ok(jar.cookies.has(`${PFX}.session_data`));
    // the cache is read: get-session answers without the database
    let r = await call('GET', '/get-session', { jar });
    assert.equal(r.json?.session?.token, token);
    sql(`DELETE FROM neon_auth.session WHERE token = '${token}'`);
    // reads are the cache's, by design
    r = await call('GET', '/get-session', { jar });
    assert.equal(r.json?.session?.token, token, 'get-session from the cache');
    assert.equal(r.headers.get('set-auth-jwt'), null, 'no set-auth-jwt for a revoked session');
    r = await call('GET', '/token', { jar });
    assert.equal(r.status, 401, `token: ${r.status} ${r.text}`);
    r = await call('POST', '/update-user', { jar, headers: { origin: ORIGIN }, body: { name: 'Mallory' } });
    assert.equal(r.status, 401, `update-user: ${r.status} ${r.text}`);
    // a live session still gets both, from the cache
    const j2 = new Jar();
    await signUp(j2);
    r = await call('GET', '/get-session', { jar: j2 });
    assert.ok(r.headers.get('set-auth-jwt'));
    r = await call('GET', '/token', { jar: j2 });
    assert.equal(r.status, 200);
    assert.ok(r.json.token);
  } finally { resetSettings(); }
});

test('cookie cache: max age capped at 3600 s (config set refuses more, an older row reads as the cap)', async () => {
  setSettings({ session: { cookie_cache: true, cookie_cache_max_age: 31536000 } });
  try {
    const jar = new Jar();
    const r = await call('POST', '/sign-up/email', { jar, body: { email: `cap-${process.pid}-${Date.now()}@example.com`, password: 'correct-horse-battery', name: 'C' } });
    assert.equal(r.status, 200);
    const sd = r.headers.getSetCookie().find((c) => c.startsWith(`${PFX}.session_data=`));
    assert.match(sd, /; Max-Age=3600;/);
    assert.throws(() => cli('config', 'set', 'main', 'settings.session', '{"cookie_cache_max_age":3601}'));
  } finally { resetSettings(); }
});

test('a cookie prefix written with SQL is checked on read: no header injection', async () => {
  setSettings({ cookies: { prefix: 'evil\r\nX-Injected: 1' } });
  try {
    const r = await call('POST', '/sign-up/email', { jar: new Jar(), body: { email: `pfx-${process.pid}-${Date.now()}@example.com`, password: 'correct-horse-battery', name: 'P' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-injected'), null);
    assert.ok(r.headers.getSetCookie().some((c) => c.startsWith(`${PFX}.session_token=`)), 'the default prefix');
  } finally { resetSettings(); }
});

function logSize() {
  try { return fs.statSync(path.join(STACK_DIR, 'neon-authd.log')).size; } catch { return -1; }
}
function logSince(off) {
  const fd = fs.openSync(path.join(STACK_DIR, 'neon-authd.log'), 'r');
  try {
    const n = fs.fstatSync(fd).size - off;
    const b = Buffer.alloc(Math.max(n, 0));
    fs.readSync(fd, b, 0, b.length, off);
    return b.toString('latin1');
  } finally { fs.closeSync(fd); }
}

test('invalid UTF-8 in a password, a name, a form, a URL or a bearer: 400 / no token / no session, no error-level log line', async (t) => {
  if (logSize() < 0) return t.skip('no daemon log in STACK_DIR');
  const { email } = await signUp(new Jar());
  const off = logSize();
  const bad = (json) => Buffer.concat([Buffer.from(json[0]), Buffer.from([0xff, 0xfe]), Buffer.from(json[1])]);
  let r = await call('POST', '/sign-in/email', { raw: bad([`{"email":"${email}","password":"pw`, 'xxxxxxxxxx"}']), headers: { 'content-type': 'application/json' } });
  assert.equal(r.status, 400, `sign-in: ${r.status} ${r.text}`);
  assert.equal(r.json.code, 'BAD_REQUEST');
  r = await call('POST', '/sign-up/email', { raw: bad([`{"email":"u8-${Date.now()}@example.com","password":"correct-horse-battery","name":"`, '"}']), headers: { 'content-type': 'application/json' } });
  assert.equal(r.status, 400, `sign-up: ${r.status} ${r.text}`);
  r = await call('POST', '/sign-in/email', { raw: Buffer.concat([Buffer.from(`email=${encodeURIComponent(email)}&password=`), Buffer.from('%FF%FExxxxxxxxxx')]), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(r.status, 400, `form sign-in: ${r.status} ${r.text}`);
  // in the URL: a path token and a query value
  r = await call('GET', '/reset-password/%FF%FE?callbackURL=/x', { headers: { origin: null } });
  assert.equal(r.status, 302, `reset-password/:token: ${r.status} ${r.text}`);
  assert.match(r.headers.get('location'), /error=INVALID_TOKEN/);
  r = await call('GET', '/reset-password/abc?callbackURL=%FF', { headers: { origin: null } });
  assert.ok(r.status < 500, `callbackURL: ${r.status} ${r.text}`);
  setSettings({ bearer: true, bearer_require_signature: false });
  try {
    r = await call('GET', '/get-session', { headers: { authorization: 'Bearer %FF%FEabc' } });
    assert.deepEqual([r.status, r.text], [200, 'null']);
  } finally { resetSettings(); }
  const lines = logSince(off).split('\n').filter((l) => /^<[0-3]>/.test(l));
  assert.deepEqual(lines, [], 'no error-level line');
});

test('verify-password and delete-user take the strict rate-limit rule (3 per 10 s)', async () => {
  const jar = new Jar();
  await signUp(jar);
  setSettings({ rate_limit: { enabled: true } });
  try {
    for (const route of ['/verify-password', '/delete-user']) {
      const codes = [];
      for (let i = 0; i < 4; i++) {
        const r = await call('POST', route, { jar, headers: { origin: ORIGIN, 'x-forwarded-for': `198.51.100.${route.length}` }, body: { password: 'wrong-password-here' } });
        codes.push(r.status);
      }
      assert.equal(codes[3], 429, `${route}: ${codes.join(' ')}`);
      assert.ok(!codes.slice(0, 3).includes(429), `${route}: ${codes.join(' ')}`);
    }
  } finally { resetSettings(); }
});
