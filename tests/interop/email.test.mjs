// Email flows through the real clients: better-auth/client with emailOTPClient
// and magicLinkClient, and @neondatabase/auth (which bundles both), against the
// stack, with a real SMTP server on loopback (tests/integration/smtp_sink.py,
// python3-aiosmtpd) that the branch's email_provider names. Every flow goes
// from the client call to the delivered message and back: the link opened (as
// a browser would, cookies kept), the code typed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { createAuthClient } from 'better-auth/client';
import { emailOTPClient, magicLinkClient } from 'better-auth/client/plugins';
import { createAuthClient as createNeonAuthClient } from '@neondatabase/auth';
import { AUTH_URL, ORIGIN, TOP, Jar, uniqueEmail, resetSettings, sql, sleep, startReference } from './lib.mjs';

const SINK = path.join(TOP, 'tests', 'integration', 'smtp_sink.py');
const READ = path.join(TOP, 'tests', 'integration', 'mail_read.py');
const PY = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const realFetch = globalThis.fetch;
let sink, sinkPort, dir, skip = '';

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

before(async () => {
  try { execFileSync(PY, ['-c', 'import aiosmtpd']); } catch { skip = 'python3-aiosmtpd is not installed'; return; }
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neon-authd-interop-mail-'));
  const port = sinkPort = await freePort();
  sink = spawn(PY, [SINK, '--port', String(port), '--dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('the SMTP sink did not start')), 10000);
    sink.stdout.on('data', (d) => { if (String(d).includes('ready')) { clearTimeout(t); resolve(); } });
  });
  sql(`UPDATE neon_auth.project_config SET email_provider = '${JSON.stringify({
    type: 'standard', host: '127.0.0.1', port, security: 'none',
    sender_email: 'auth@example.com', sender_name: 'Interop' })}'::jsonb,
    plugin_configs = coalesce(plugin_configs, '{}'::jsonb) || '{"magic-link":{"enabled":true}}'::jsonb`);
});

after(() => {
  if (skip) return;
  sql(`UPDATE neon_auth.project_config SET email_provider = NULL, plugin_configs = plugin_configs - 'magic-link'`);
  resetSettings();
  sink?.kill();
  fs.rmSync(dir, { recursive: true, force: true });
});

// the newest message for an address, once `count` have arrived (bounded wait)
async function mailFor(email, count = 1) {
  const deadline = Date.now() + 15000;
  for (;;) {
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.eml') && !f.startsWith('.')).sort()
      .filter((f) => fs.readFileSync(path.join(dir, f), 'utf8').includes(`X-Sink-To: ${email}\r\n`));
    if (files.length >= count) return path.join(dir, files[files.length - 1]);
    if (Date.now() > deadline) throw new Error(`no mail for ${email} (${files.length} of ${count})`);
    await sleep(100);
  }
}
const read = (file, what) => execFileSync(PY, [READ, file, what], { encoding: 'utf8' }).trim();

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
// open a mailed link as a browser would: cookies kept, the redirect not followed
async function open(jar, url) {
  return browserFetch(jar)(url, { redirect: 'manual' });
}
const clientFor = (jar) => createAuthClient({ baseURL: AUTH_URL, plugins: [emailOTPClient(), magicLinkClient()],
  fetchOptions: { customFetchImpl: browserFetch(jar) } });

test('better-auth/client: sign-up with email verification (link), then signed in', async (t) => {
  if (skip) return t.skip(skip);
  resetSettings();
  sql(`UPDATE neon_auth.project_config SET email_and_password = '{"enabled":true,"require_email_verification":true,"email_verification_method":"link"}'`);
  const jar = new Jar();
  const client = clientFor(jar);
  const email = uniqueEmail('i-verify');
  let r = await client.signUp.email({ email, password: 'correct-horse-battery', name: 'Ivy', callbackURL: '/welcome' });
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(r.data.token, null);
  r = await client.signIn.email({ email, password: 'correct-horse-battery' });
  assert.equal(r.error.status, 403);
  assert.equal(r.error.code, 'EMAIL_NOT_VERIFIED');
  const m = await mailFor(email);
  const link = read(m, 'link');
  assert.ok(link.startsWith(`${AUTH_URL}/verify-email?token=`), link);
  const res = await open(jar, link);
  assert.equal(res.status, 302);
  assert.equal(res.headers.get('location'), '/welcome');
  r = await client.getSession();
  assert.equal(r.error, null);
  assert.equal(r.data.user.email, email);
  assert.equal(r.data.user.emailVerified, true);
  assert.equal(sql(`SELECT "emailVerified" FROM neon_auth."user" WHERE email = '${email}'`), 't');
});

test('better-auth/client: password reset by link', async (t) => {
  if (skip) return t.skip(skip);
  resetSettings();
  const jar = new Jar();
  const client = clientFor(jar);
  const email = uniqueEmail('i-reset');
  let r = await client.signUp.email({ email, password: 'correct-horse-battery', name: 'Rex' });
  assert.equal(r.error, null);
  r = await client.requestPasswordReset({ email, redirectTo: '/reset' });
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(r.data.status, true);
  const link = read(await mailFor(email), 'link');
  const res = await open(new Jar(), link);
  assert.equal(res.status, 302);
  const loc = new URL(res.headers.get('location'));
  assert.equal(loc.origin + loc.pathname, `${ORIGIN}/reset`);
  const token = loc.searchParams.get('token');
  r = await client.resetPassword({ newPassword: 'another-horse-battery', token });
  assert.equal(r.error, null, JSON.stringify(r.error));
  r = await client.resetPassword({ newPassword: 'third-horse-battery', token });
  assert.equal(r.error.code, 'INVALID_TOKEN');
  r = await client.signIn.email({ email, password: 'another-horse-battery' });
  assert.equal(r.error, null, JSON.stringify(r.error));
});

test('better-auth/client emailOTPClient: sign-in by code, verify by code, reset by code', async (t) => {
  if (skip) return t.skip(skip);
  resetSettings();
  const jar = new Jar();
  const client = clientFor(jar);
  const email = uniqueEmail('i-otp');
  let r = await client.emailOtp.sendVerificationOtp({ email, type: 'sign-in' });
  assert.equal(r.error, null, JSON.stringify(r.error));
  let code = read(await mailFor(email, 1), 'code');
  r = await client.signIn.emailOtp({ email, otp: code === '000000' ? '111111' : '000000' });
  assert.equal(r.error.code, 'INVALID_OTP');
  r = await client.signIn.emailOtp({ email, otp: code });
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(r.data.user.emailVerified, true);
  r = await client.getSession();
  assert.equal(r.data.user.email, email);

  r = await client.emailOtp.requestPasswordReset({ email });
  assert.equal(r.error, null, JSON.stringify(r.error));
  code = read(await mailFor(email, 2), 'code');
  r = await client.emailOtp.resetPassword({ email, otp: code, password: 'otp-horse-battery' });
  assert.equal(r.error, null, JSON.stringify(r.error));
  r = await client.signIn.email({ email, password: 'otp-horse-battery' });
  assert.equal(r.error, null, JSON.stringify(r.error));

  // an unverified address proven by an email-verification code
  const e2 = uniqueEmail('i-otp-verify');
  const jar2 = new Jar();
  const c2 = clientFor(jar2);
  r = await c2.signUp.email({ email: e2, password: 'correct-horse-battery', name: 'Una' });
  assert.equal(r.error, null);
  r = await c2.emailOtp.sendVerificationOtp({ email: e2, type: 'email-verification' });
  assert.equal(r.error, null);
  code = read(await mailFor(e2), 'code');
  r = await c2.emailOtp.verifyEmail({ email: e2, otp: code });
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(r.data.status, true);
  assert.equal(r.data.user.emailVerified, true);
});

test('better-auth/client magicLinkClient: sign-in by magic link', async (t) => {
  if (skip) return t.skip(skip);
  resetSettings();
  const jar = new Jar();
  const client = clientFor(jar);
  const email = uniqueEmail('i-magic');
  let r = await client.signIn.magicLink({ email, name: 'Mona', callbackURL: '/dash', newUserCallbackURL: '/hello' });
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(r.data.status, true);
  const link = read(await mailFor(email), 'link');
  let res = await open(jar, link);
  assert.equal(res.status, 302);
  assert.equal(res.headers.get('location'), `${ORIGIN}/hello`);
  r = await client.getSession();
  assert.equal(r.data.user.email, email);
  assert.equal(r.data.user.name, 'Mona');
  res = await open(new Jar(), link);
  assert.equal(res.headers.get('location'), `${ORIGIN}/dash?error=INVALID_TOKEN`);
});

test('@neondatabase/auth: sign-up verified by code, reset by code, magic link', async (t) => {
  if (skip) return t.skip(skip);
  resetSettings();
  sql(`UPDATE neon_auth.project_config SET email_and_password = '{"enabled":true,"require_email_verification":true,"email_verification_method":"otp"}'`);
  const jar = new Jar();
  globalThis.fetch = browserFetch(jar);
  try {
    const auth = createNeonAuthClient(AUTH_URL);
    const email = uniqueEmail('i-neon');
    let r = await auth.signUp.email({ email, password: 'correct-horse-battery', name: 'Neo' });
    assert.equal(r.error, null, JSON.stringify(r.error));
    let code = read(await mailFor(email), 'code');
    r = await auth.emailOtp.verifyEmail({ email, otp: code });
    assert.equal(r.error, null, JSON.stringify(r.error));
    r = await auth.getSession();
    assert.equal(r.data.user.email, email);
    assert.equal(r.data.user.emailVerified, true);
    assert.match(r.data.session.token, /^eyJ/);
    await auth.signOut();

    r = await auth.emailOtp.requestPasswordReset({ email });
    assert.equal(r.error, null, JSON.stringify(r.error));
    code = read(await mailFor(email, 2), 'code');
    r = await auth.emailOtp.resetPassword({ email, otp: code, password: 'neon-horse-battery' });
    assert.equal(r.error, null, JSON.stringify(r.error));
    r = await auth.signIn.email({ email, password: 'neon-horse-battery' });
    assert.equal(r.error, null, JSON.stringify(r.error));
    await auth.signOut();

    r = await auth.signIn.magicLink({ email, callbackURL: '/app' });
    assert.equal(r.error, null, JSON.stringify(r.error));
    const res = await open(jar, read(await mailFor(email, 3), 'link'));
    assert.equal(res.headers.get('location'), `${ORIGIN}/app`);
    r = await auth.getSession({ fetchOptions: { headers: { 'X-Force-Fetch': 'true' } } });
    assert.equal(r.data.user.email, email);
  } finally {
    globalThis.fetch = realFetch;
  }
});

// ---------------------------------------------------------------- differential
// The same requests to neon-authd and to the real Better Auth 1.7.25 (tests/reference, with the
// email OTP and magic-link plugins and its mail going to the same SMTP server): statuses, error
// bodies, the shapes of success bodies, and redirects with each server's own origin and base
// path written as <origin> and <base>. Ours is set as the reference is: link verification, no
// auto sign-in after verification.
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
function norm(s, base) {
  if (s == null) return s;
  const u = new URL(base);
  return s.split(u.origin).join('<origin>').split(u.pathname).join('<base>')
    .replace(/(reset-password\/|token=)[A-Za-z0-9._-]{20,}/g, '$1<token>');
}
async function one(base, method, route, body, jar) {
  const headers = { origin: 'http://localhost:3000' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (jar?.cookies.size) headers.cookie = jar.header();
  const res = await realFetch(route.startsWith('http') ? route : base + route,
    { method, headers, body: body === undefined ? undefined : JSON.stringify(body), redirect: 'manual' });
  jar?.take(res);
  const text = await res.text();
  let json; try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  return {
    status: res.status,
    body: json === undefined ? text : (res.status >= 400 ? json : shape(json)),
    location: norm(res.headers.get('location'), base),
  };
}

test('differential: the email endpoints answer as Better Auth 1.7.25', async (t) => {
  if (skip) return t.skip(skip);
  let ref;
  try {
    ref = startReference({ PEER_PLUGINS: 'extended', PEER_SMTP_PORT: sinkPort });
  } catch (e) { return t.skip(`the reference server did not start: ${e.message}`); }
  try {
    resetSettings();
    sql(`UPDATE neon_auth.project_config SET email_and_password = '{"enabled":true,"email_verification_method":"link","auto_sign_in_after_verification":false}'`);
    const cmp = async (name, method, route, body, jars = {}) => {
      const a = await one(AUTH_URL, method, typeof route === 'function' ? route('neon') : route, body, jars.neon);
      const b = await one(ref.url, method, typeof route === 'function' ? route('ref') : route, body, jars.ref);
      assert.deepEqual(a, b, `${name}: neon-authd ${JSON.stringify(a)} != reference ${JSON.stringify(b)}`);
      return [a, b];
    };
    // refused and malformed input
    await cmp('otp no type', 'POST', '/email-otp/send-verification-otp', { email: 'x@example.com' });
    await cmp('otp bad email', 'POST', '/email-otp/send-verification-otp', { email: 'bad', type: 'sign-in' });
    await cmp('otp change-email type', 'POST', '/email-otp/send-verification-otp', { email: 'x@example.com', type: 'change-email' });
    await cmp('otp empty', 'POST', '/email-otp/send-verification-otp', {});
    await cmp('check unknown', 'POST', '/email-otp/check-verification-otp', { email: 'x@example.com', type: 'sign-in', otp: '123456' });
    await cmp('verify-email otp missing', 'POST', '/email-otp/verify-email', { email: 'x@example.com' });
    await cmp('sign-in otp unknown', 'POST', '/sign-in/email-otp', { email: 'x@example.com', otp: '123456' });
    await cmp('reset otp short', 'POST', '/email-otp/reset-password', { email: 'x@example.com', otp: '1', password: 'short' });
    await cmp('reset otp unknown', 'POST', '/email-otp/request-password-reset', { email: 'nobody@example.com' });
    await cmp('forget bad email', 'POST', '/forget-password/email-otp', { email: 'bad' });
    await cmp('reset unknown', 'POST', '/request-password-reset', { email: 'nobody@example.com' });
    await cmp('reset untrusted redirect', 'POST', '/request-password-reset', { email: 'nobody@example.com', redirectTo: 'https://evil.example.net/x' });
    await cmp('reset bad email', 'POST', '/request-password-reset', { email: 'bad' });
    await cmp('reset link bad token', 'GET', '/reset-password/abc?callbackURL=/reset');
    await cmp('reset link no callback', 'GET', '/reset-password/abc');
    await cmp('reset link empty callback', 'GET', '/reset-password/abc?callbackURL=');
    await cmp('reset link untrusted', 'GET', '/reset-password/abc?callbackURL=https://evil.example.net/');
    await cmp('reset link query kept', 'GET', '/reset-password/abc?callbackURL=/r%3Fx%3Da%2520b');
    await cmp('reset no token', 'POST', '/reset-password', { newPassword: 'longenough-1' });
    await cmp('reset bad token', 'POST', '/reset-password', { newPassword: 'longenough-1', token: 'nope' });
    await cmp('reset no password', 'POST', '/reset-password', { token: 'nope' });
    await cmp('verify no token', 'GET', '/verify-email');
    await cmp('verify bad token', 'GET', '/verify-email?token=abc');
    await cmp('verify bad token callback', 'GET', '/verify-email?token=abc&callbackURL=/done%3Fx%3D1');
    await cmp('verify untrusted callback', 'GET', '/verify-email?token=abc&callbackURL=https://evil.example.net/');
    await cmp('send-verification unknown', 'POST', '/send-verification-email', { email: 'nobody@example.com' });
    await cmp('magic bad email', 'POST', '/sign-in/magic-link', { email: 'bad' });
    await cmp('magic metadata', 'POST', '/sign-in/magic-link', { email: 'm@example.com', metadata: 'x' });
    await cmp('magic verify no token', 'GET', '/magic-link/verify');
    await cmp('magic verify bad', 'GET', '/magic-link/verify?token=nope&callbackURL=/cb&errorCallbackURL=/err');
    await cmp('magic verify untrusted', 'GET', '/magic-link/verify?token=nope&newUserCallbackURL=https://evil.example.net');

    // whole flows, each side reading its own mail
    const who = { neon: uniqueEmail('d-neon'), ref: uniqueEmail('d-ref') };
    const jars = { neon: new Jar(), ref: new Jar() };
    const at = (side) => (side === 'neon' ? AUTH_URL : ref.url);
    for (const side of ['neon', 'ref'])
      await one(at(side), 'POST', '/sign-up/email', { email: who[side], password: 'correct-horse-battery', name: 'Diff' }, jars[side]);
    const mailed = async (count) => {
      const out = {};
      for (const side of ['neon', 'ref']) out[side] = await mailFor(who[side], count);
      return out;
    };
    for (const side of ['neon', 'ref'])
      await one(at(side), 'POST', '/request-password-reset', { email: who[side], redirectTo: '/reset' });
    let m = await mailed(1);
    const link = { neon: read(m.neon, 'link'), ref: read(m.ref, 'link') };
    assert.equal(norm(link.neon, AUTH_URL), norm(link.ref, ref.url), 'the reset links have the same form');
    const [ga] = await cmp('reset link', 'GET', (s) => link[s]);
    const tok = {};
    for (const side of ['neon', 'ref']) {
      const r = await realFetch(link[side], { redirect: 'manual' });
      tok[side] = new URL(r.headers.get('location')).searchParams.get('token');
    }
    assert.equal(ga.status, 302);
    for (const side of ['neon', 'ref']) {
      const r = await one(at(side), 'POST', '/reset-password', { newPassword: 'another-horse-battery', token: tok[side] });
      assert.equal(r.status, 200, `${side} reset-password`);
    }
    await cmp('reset reused', 'POST', (s) => `/reset-password?token=${tok[s]}`, { newPassword: 'third-horse-battery' });

    // sign-in by code
    for (const side of ['neon', 'ref'])
      await one(at(side), 'POST', '/email-otp/send-verification-otp', { email: who[side], type: 'sign-in' });
    m = await mailed(2);
    const code = { neon: read(m.neon, 'code'), ref: read(m.ref, 'code') };
    const wrong = (c) => (c === '000000' ? '111111' : '000000');
    const [wa, wb] = [await one(AUTH_URL, 'POST', '/sign-in/email-otp', { email: who.neon, otp: wrong(code.neon) }),
      await one(ref.url, 'POST', '/sign-in/email-otp', { email: who.ref, otp: wrong(code.ref) })];
    assert.deepEqual(wa, wb, 'a wrong code');
    const [ra, rb] = [await one(AUTH_URL, 'POST', '/sign-in/email-otp', { email: who.neon, otp: code.neon }, jars.neon),
      await one(ref.url, 'POST', '/sign-in/email-otp', { email: who.ref, otp: code.ref }, jars.ref)];
    assert.deepEqual(ra, rb, 'the right code');
    const [ua, ub] = [await one(AUTH_URL, 'POST', '/sign-in/email-otp', { email: who.neon, otp: code.neon }),
      await one(ref.url, 'POST', '/sign-in/email-otp', { email: who.ref, otp: code.ref })];
    assert.deepEqual(ua, ub, 'the code again');

    // magic link for a new address
    sql(`UPDATE neon_auth.project_config SET plugin_configs = coalesce(plugin_configs, '{}'::jsonb) || '{"magic-link":{"enabled":true}}'::jsonb`);
    const nu = { neon: uniqueEmail('d-ml-neon'), ref: uniqueEmail('d-ml-ref') };
    for (const side of ['neon', 'ref']) {
      const r = await one(at(side), 'POST', '/sign-in/magic-link', { email: nu[side], callbackURL: '/home', newUserCallbackURL: '/hello' });
      assert.equal(r.status, 200, `${side} sign-in/magic-link`);
    }
    const ml = { neon: read(await mailFor(nu.neon), 'link'), ref: read(await mailFor(nu.ref), 'link') };
    assert.equal(norm(ml.neon, AUTH_URL), norm(ml.ref, ref.url), 'the magic links have the same form');
    await cmp('magic link', 'GET', (s) => ml[s]);
    await cmp('magic link again', 'GET', (s) => ml[s]);
  } finally {
    ref.stop();
    resetSettings();
  }
});
