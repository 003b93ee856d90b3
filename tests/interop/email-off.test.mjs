// The email flows' entry points on a branch that has no mail transport (no standard
// email_provider and no server mail default): POST request-password-reset and POST
// send-verification-email answer exactly what Better Auth 1.7.25 answers without a reset sender
// and without emailVerification.sendVerificationEmail (RESET_PASSWORD_DISABLED,
// VERIFICATION_EMAIL_NOT_ENABLED), after the same validation and origin checks; never an empty
// 404 (the stock UI shows the message). Compared request by request with the reference server
// (tests/reference, its sendResetPassword switched off), and read through the stock client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthClient } from 'better-auth/client';
import { AUTH_URL, ORIGIN, resetSettings, sql, startReference } from './lib.mjs';

let ref;
before(() => {
  // no transport: the branch names no provider and the interop stack's server has no mail
  // default; the burst below is 32 calls to two RL_MAIL paths (3 per minute): the branch has
  // the rate limit off (resetSettings), the reference never limits
  resetSettings();
  sql('UPDATE neon_auth.project_config SET email_provider = NULL');
  ref = startReference({ PEER_OPTIONS: { emailAndPassword: { sendResetPassword: null } } });
});
after(() => { ref?.stop(); });

async function send(base, path, { body, ctype = 'application/json', origin, cookie, method = 'POST' }) {
  const headers = {};
  if (ctype) headers['content-type'] = ctype;
  if (origin) headers.origin = origin;
  if (cookie) headers.cookie = cookie;
  const res = await fetch(`${base}/${path}`, { method, headers, body: method === 'GET' ? undefined : body,
    signal: AbortSignal.timeout(10000) });
  return { status: res.status, text: await res.text(), ctype: res.headers.get('content-type') };
}

const CASES = [
  ['a valid request', { body: '{"email":"someone@example.com"}' }],
  ['unknown keys are allowed', { body: '{"email":"someone@example.com","extra":5}' }],
  ['a relative callbackURL', { body: '{"email":"someone@example.com","callbackURL":"/done"}' }],
  ['no email', { body: '{}' }],
  ['an invalid email', { body: '{"email":"nope"}' }],
  ['an email with a trailing space', { body: '{"email":"A@EXAMPLE.COM "}' }],
  ['an array body', { body: '[]' }],
  ['not JSON', { body: 'x' }],
  ['a form body', { body: 'email=someone%40example.com', ctype: 'application/x-www-form-urlencoded' }],
  ['redirectTo on another site', { body: '{"email":"someone@example.com","redirectTo":"http://evil.example/x"}' }],
  ['callbackURL on another site', { body: '{"email":"someone@example.com","callbackURL":"http://evil.example/x"}' }],
  ['redirectTo not a string', { body: '{"email":"someone@example.com","redirectTo":5}' }],
  ['callbackURL not a string', { body: '{"email":"someone@example.com","callbackURL":5}' }],
  ['a cookie and no Origin', { body: '{"email":"someone@example.com"}', origin: null, cookie: 'x=y' }],
  ['a cookie and an untrusted Origin', { body: '{"email":"someone@example.com"}', origin: 'http://evil.example', cookie: 'x=y' }],
  ['GET', { method: 'GET' }],
];

for (const path of ['request-password-reset', 'send-verification-email']) {
  test(`${path}: every answer is Better Auth's without a mail sender`, async () => {
    const ours = new URL(AUTH_URL), theirs = new URL(ref.url);
    for (const [what, c] of CASES) {
      const mine = await send(AUTH_URL, path, { ...c, origin: c.origin === undefined ? ours.origin : c.origin });
      const peer = await send(ref.url, path, { ...c, origin: c.origin === undefined ? theirs.origin : c.origin });
      assert.equal(mine.status, peer.status, `${path}, ${what}: status (ours ${mine.text}, reference ${peer.text})`);
      assert.equal(mine.text, peer.text, `${path}, ${what}: body`);
    }
  });
}

test('the stock client reads the errors (no empty 404)', async () => {
  const client = createAuthClient({ baseURL: AUTH_URL, fetchOptions: { headers: { origin: ORIGIN } } });
  const reset = await client.requestPasswordReset({ email: 'someone@example.com', redirectTo: '/reset' });
  assert.equal(reset.error?.status, 400);
  assert.equal(reset.error?.code, 'RESET_PASSWORD_DISABLED');
  assert.equal(reset.error?.message, "Reset password isn't enabled");
  const verify = await client.sendVerificationEmail({ email: 'someone@example.com' });
  assert.equal(verify.error?.status, 400);
  assert.equal(verify.error?.code, 'VERIFICATION_EMAIL_NOT_ENABLED');
  assert.equal(verify.error?.message, "Verification email isn't enabled");
});
