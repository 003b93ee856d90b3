// The session group (api/api_session.c): get-session, the cookie cache, session lists and
// revocation, update-user/session, change-email, change-password, verify-password,
// delete-user, sign-out (spec/protocol.md §1.5-§1.17, §3).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { ORIGIN, Jar, call, signUp, sql, setSettings, resetSettings, uniqueEmail, PFX, assertUser } from './lib.mjs';

before(() => resetSettings());

test('get-session: cookie, bearer (signed; raw only when allowed), bad signature, none, POST 405', async () => {
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
  // the raw token (what neon_auth.session holds) is no bearer unless the branch allows it
  r = await call('GET', '/get-session', { headers: { authorization: `bearer ${token}` } });
  assert.equal(r.text, 'null', 'raw token refused by default');
  setSettings({ bearer_require_signature: false });
  try {
    r = await call('GET', '/get-session', { headers: { authorization: `bearer ${token}` } });
    assert.equal(r.json.session.token, token, 'raw token with bearer_require_signature false');
  } finally { resetSettings(); }
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
