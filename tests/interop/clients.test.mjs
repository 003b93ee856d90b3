// The real JavaScript clients from npm against the stack: better-auth/client
// 1.7.25 and @neondatabase/auth (vanilla adapter). Node has no cookie store,
// so fetch is wrapped with a jar that plays the browser's part: it keeps the
// cookies the server sets and sends the Origin a browser page would send.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthClient } from 'better-auth/client';
import { createAuthClient as createNeonAuthClient } from '@neondatabase/auth';
import { AUTH_URL, ORIGIN, Jar, uniqueEmail, resetSettings, sql } from './lib.mjs';

const realFetch = globalThis.fetch;

function browserFetch(jar) {
  return async (input, init = {}) => {
    const headers = new Headers(init.headers || (input instanceof Request ? input.headers : undefined));
    if (jar.cookies.size) headers.set('cookie', jar.header());
    if (!headers.has('origin')) headers.set('origin', ORIGIN);
    const res = await realFetch(input, { ...init, headers });
    jar.take(res);
    return res;
  };
}

test('better-auth/client: sign up, session, update, change password, sessions, sign out, delete', async () => {
  resetSettings();
  const jar = new Jar();
  const client = createAuthClient({ baseURL: AUTH_URL, fetchOptions: { customFetchImpl: browserFetch(jar) } });
  const email = uniqueEmail('client');
  const password = 'correct-horse-battery';

  let r = await client.signUp.email({ email, password, name: 'Client User' });
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(r.data.user.email, email);
  assert.ok(r.data.user.createdAt instanceof Date, 'dates revive into Date objects');

  r = await client.getSession();
  assert.equal(r.error, null);
  assert.equal(r.data.user.email, email);
  assert.ok(r.data.session.expiresAt instanceof Date);

  r = await client.signIn.email({ email, password: 'wrong-password-123' });
  assert.equal(r.error.status, 401);
  assert.equal(r.error.code, 'INVALID_EMAIL_OR_PASSWORD');

  r = await client.updateUser({ name: 'Renamed User' });
  assert.equal(r.error, null, JSON.stringify(r.error));
  r = await client.getSession();
  assert.equal(r.data.user.name, 'Renamed User');

  // a second device
  const jar2 = new Jar();
  const client2 = createAuthClient({ baseURL: AUTH_URL, fetchOptions: { customFetchImpl: browserFetch(jar2) } });
  r = await client2.signIn.email({ email, password });
  assert.equal(r.error, null);
  const second = r.data.token;

  r = await client.listSessions();
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(r.data.length, 2);

  r = await client.revokeSession({ token: second });
  assert.equal(r.error, null);
  r = await client2.getSession();
  assert.equal(r.data, null);

  r = await client.changePassword({ currentPassword: password, newPassword: 'another-horse-battery', revokeOtherSessions: true });
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.ok(r.data.token);

  r = await client2.signIn.email({ email, password: 'another-horse-battery' });
  assert.equal(r.error, null);
  r = await client.revokeOtherSessions();
  assert.equal(r.error, null);
  assert.equal((await client2.getSession()).data, null);

  r = await client.signOut();
  assert.equal(r.error, null);
  assert.equal((await client.getSession()).data, null);

  r = await client.signIn.email({ email, password: 'another-horse-battery' });
  assert.equal(r.error, null);
  r = await client.deleteUser({ password: 'another-horse-battery' });
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(sql(`SELECT count(*) FROM neon_auth."user" WHERE email = '${email}'`), '0');
  r = await client.signIn.email({ email, password: 'another-horse-battery' });
  assert.equal(r.error.status, 401);
});

test('@neondatabase/auth (vanilla adapter): sign up, sign in, session with the JWT, sign out', async () => {
  resetSettings();
  const jar = new Jar();
  globalThis.fetch = browserFetch(jar);
  try {
    const auth = createNeonAuthClient(AUTH_URL);
    const email = uniqueEmail('neon');
    const password = 'correct-horse-battery';
    let r = await auth.signUp.email({ email, password, name: 'Neon User' });
    assert.equal(r.error, null, JSON.stringify(r.error));
    assert.equal(r.data.user.email, email);
    r = await auth.signOut();
    assert.equal(r.error, null);
    r = await auth.signIn.email({ email, password });
    assert.equal(r.error, null, JSON.stringify(r.error));
    r = await auth.getSession();
    assert.equal(r.error, null, JSON.stringify(r.error));
    assert.equal(r.data.user.email, email);
    // the SDK replaces session.token with the set-auth-jwt header
    assert.match(r.data.session.token, /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    const payload = JSON.parse(Buffer.from(r.data.session.token.split('.')[1], 'base64url').toString());
    assert.equal(payload.sub, r.data.user.id);
    assert.equal(payload.role, 'authenticated');
    // the SDK turns error replies into a thrown AuthApiError built from {message, code}
    await assert.rejects(auth.signIn.email({ email, password: 'wrong-password-123' }),
      (e) => e.status === 401 && e.message === 'Invalid email or password');
    r = await auth.signOut();
    assert.equal(r.error, null);
    r = await auth.getSession({ fetchOptions: { headers: { 'X-Force-Fetch': 'true' } } });
    assert.equal(r.data, null);
  } finally {
    globalThis.fetch = realFetch;
  }
});
