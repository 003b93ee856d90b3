// The email-and-password group (api/api_email.c): sign-up/email and sign-in/email with
// their errors, cookies, rememberMe, branch settings and NFKC (spec/protocol.md §1.1, §1.2).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Jar, call, signUp, sql, setSettings, resetSettings, uniqueEmail, PFX, assertUser } from './lib.mjs';

before(() => resetSettings());

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

test('non-ASCII passwords are NFKC-normalised like Better Auth', async () => {
  const jar = new Jar();
  const email = uniqueEmail('unicode');
  // "ﬁ" (U+FB01) normalises to "fi" under NFKC
  let r = await call('POST', '/sign-up/email', { jar, body: { email, password: 'pass\uFB01word-long', name: 'U' } });
  assert.equal(r.status, 200);
  r = await call('POST', '/sign-in/email', { body: { email, password: 'passfiword-long' } });
  assert.equal(r.status, 200);
});
