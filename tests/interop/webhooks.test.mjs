// Webhooks as Neon sends them (neon.md §11): a receiver on loopback started
// here verifies every delivery's detached-JWS signature with jose against the
// branch's served JWKS, checks the envelope and the X-Neon-* headers, and
// answers as each test scripts it: 200, 500 then 200 (a retry), a hang past
// the budget, an oversized reply, allowed:false. The email OTP and magic-link
// flows complete with the code or link taken from the webhook while no mail
// is queued; user.created arrives through the outbox and the webhook sender;
// the SSRF guard refuses each address class (and loopback once the server
// file's webhooks.allow_loopback is off), through `neon-authd webhooks test`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, execFile } from 'node:child_process';
import * as jose from 'jose';
import { createAuthClient } from 'better-auth/client';
import { emailOTPClient, magicLinkClient } from 'better-auth/client/plugins';
import { AUTH_URL, ORIGIN, BIN, CONF, STACK_DIR, Jar, call, sql, uniqueEmail, resetSettings, sleep, UUID, ISO } from './lib.mjs';

const realFetch = globalThis.fetch;
let server, port, jwks;
const deliveries = [];	// every request the receiver got, verified
let script = [];	// what to answer next: 'ok' | 500 | 'hang' | 'big' | {json}
const SPOOL = path.join(STACK_DIR, 'spool', 'queue');

function b64url(buf) { return Buffer.from(buf).toString('base64url'); }

async function verify(req, raw) {
  const sig = req.headers['x-neon-signature'];
  const ts = req.headers['x-neon-timestamp'];
  const [h, empty, s] = sig.split('.');
  assert.equal(empty, '', 'the signature is detached: header..signature');
  const { protectedHeader } = await jose.flattenedVerify(
    { protected: h, payload: b64url(`${ts}.${b64url(raw)}`), signature: s }, jwks);
  assert.equal(protectedHeader.alg, 'EdDSA');
  assert.equal(protectedHeader.kid, req.headers['x-neon-signature-kid']);
  return true;
}

before(async () => {
  const r = await realFetch(AUTH_URL + '/.well-known/jwks.json');
  jwks = jose.createLocalJWKSet(await r.json());
  resetSettings();
  server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const raw = Buffer.concat(chunks);
      const d = { headers: req.headers, raw: raw.toString('utf8'), body: null, verified: false, error: null };
      try { d.body = JSON.parse(d.raw); d.verified = await verify(req, raw); } catch (e) { d.error = String(e); }
      deliveries.push(d);
      const step = script.length ? script.shift() : 'ok';
      if (step === 'hang') return;	// never answered: the attempt times out
      if (step === 'big') { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ allowed: true, pad: 'x'.repeat(20000) })); return; }
      if (typeof step === 'number') { res.writeHead(step); res.end('{}'); return; }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(typeof step === 'object' ? step : { allowed: true }));
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  port = server.address().port;
  sql(`UPDATE neon_auth.project_config SET plugin_configs = coalesce(plugin_configs, '{}'::jsonb) || '{"magic-link":{"enabled":true}}'::jsonb`);
});

after(() => {
  sql(`UPDATE neon_auth.project_config SET webhook_config = '{"enabled":false}'::jsonb, plugin_configs = plugin_configs - 'magic-link'`);
  resetSettings();
  server?.closeAllConnections?.();
  server?.close();
});

function subscribe(events, extra = {}) {
  const wc = { enabled: true, webhook_url: `http://127.0.0.1:${port}/hook`, enabled_events: events, timeout_seconds: 2, ...extra };
  sql(`UPDATE neon_auth.project_config SET webhook_config = '${JSON.stringify(wc)}'::jsonb`);
}
const queued = () => (fs.existsSync(SPOOL) ? fs.readdirSync(SPOOL).filter((f) => !f.startsWith('.')).length : 0);
function take(type) {
  const i = deliveries.findIndex((d) => d.body?.event_type === type);
  return i < 0 ? null : deliveries.splice(i, 1)[0];
}
function checkEnvelope(d, type, attempt = 1) {
  assert.equal(d.error, null, d.error);
  assert.ok(d.verified);
  const h = d.headers;
  assert.equal(h['content-type'], 'application/json');
  assert.equal(h['x-neon-event-type'], type);
  assert.match(h['x-neon-event-id'], UUID);
  assert.equal(h['x-neon-delivery-attempt'], String(attempt));
  assert.match(h['x-neon-timestamp'], /^\d{13}$/);
  const b = d.body;
  assert.equal(b.event_id, h['x-neon-event-id']);
  assert.equal(b.event_type, type);
  assert.match(b.timestamp, ISO);
  assert.equal(typeof b.context.endpoint_id, 'string');
  assert.equal(typeof b.context.project_name, 'string');
  for (const k of ['id', 'email', 'name', 'phone_number', 'image', 'email_verified', 'phone_number_verified', 'created_at'])
    assert.ok(k in b.user, `user.${k}`);
  assert.equal(typeof b.event_data, 'object');
  assert.ok('ip_address' in b.event_data && 'user_agent' in b.event_data);
}
const client = (jar) => createAuthClient({ baseURL: AUTH_URL, plugins: [emailOTPClient(), magicLinkClient()],
  fetchOptions: { customFetchImpl: async (input, init = {}) => {
    const headers = new Headers(init.headers);
    if (jar.cookies.size) headers.set('cookie', jar.header());
    headers.set('origin', ORIGIN);
    const res = await realFetch(input, { ...init, headers });
    jar.take(res);
    return res;
  } } });

test('send.otp: the sign-in code goes to the webhook, signed, and no mail is queued; the code signs in', async () => {
  subscribe(['send.otp']);
  deliveries.length = 0; script = ['ok'];
  const before = queued();
  const email = uniqueEmail('wh-otp');
  const jar = new Jar(), c = client(jar);
  const s = await c.emailOtp.sendVerificationOtp({ email, type: 'sign-in' });
  assert.equal(s.error, null);
  const d = take('send.otp');
  assert.ok(d, 'a send.otp delivery');
  checkEnvelope(d, 'send.otp');
  assert.equal(d.body.user.email, email);
  assert.equal(d.body.event_data.otp_type, 'sign-in');
  assert.equal(d.body.event_data.delivery_preference, 'email');
  assert.match(d.body.event_data.otp_code, /^\d{6}$/);
  assert.match(d.body.event_data.expires_at, ISO);
  assert.equal(queued(), before, 'no mail queued while a subscriber handles send.otp');
  const r = await c.signIn.emailOtp({ email, otp: d.body.event_data.otp_code });
  assert.equal(r.error, null);
  assert.equal(r.data.user.email, email);
});

test('send.otp without any mail transport: the sign-up verification code comes by the webhook and verifies', async () => {
  sql(`UPDATE neon_auth.project_config SET email_provider = NULL, email_and_password = email_and_password || '{"require_email_verification":true,"email_verification_method":"otp"}'::jsonb`);
  subscribe(['send.otp']);
  deliveries.length = 0; script = [];
  try {
    const email = uniqueEmail('wh-verify');
    let r = await call('POST', '/sign-up/email', { body: { email, password: 'correct-horse-battery', name: 'Verify' } });
    assert.equal(r.status, 200);
    assert.equal(r.json.token, null);
    const d = take('send.otp');
    assert.ok(d, 'the verification code went to the webhook');
    checkEnvelope(d, 'send.otp');
    assert.equal(d.body.event_data.otp_type, 'email-verification');
    assert.equal(d.body.user.email, email);
    r = await call('POST', '/email-otp/verify-email', { body: { email, otp: d.body.event_data.otp_code } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.user.emailVerified, true);
  } finally { resetSettings(); }
});

test('send.otp: 500 then 200 is retried, attempt numbers 1 and 2, each signed afresh', async () => {
  subscribe(['send.otp']);
  deliveries.length = 0; script = [500, 'ok'];
  const email = uniqueEmail('wh-retry');
  const r = await call('POST', '/email-otp/send-verification-otp', { body: { email, type: 'sign-in' } });
  assert.equal(r.status, 200);
  assert.equal(deliveries.length, 2);
  checkEnvelope(deliveries[0], 'send.otp', 1);
  checkEnvelope(deliveries[1], 'send.otp', 2);
  assert.equal(deliveries[0].body.event_id, deliveries[1].body.event_id);
});

test('send.magic_link: the link comes from the webhook, no mail; opening it signs in', async () => {
  subscribe(['send.magic_link']);
  deliveries.length = 0; script = ['ok'];
  const before = queued();
  const email = uniqueEmail('wh-ml');
  const jar = new Jar(), c = client(jar);
  const s = await c.signIn.magicLink({ email, callbackURL: '/done' });
  assert.equal(s.error, null);
  const d = take('send.magic_link');
  assert.ok(d);
  checkEnvelope(d, 'send.magic_link');
  assert.equal(d.body.event_data.link_type, 'magic-link');
  const link = new URL(d.body.event_data.link_url);
  assert.equal(link.searchParams.get('token'), d.body.event_data.token);
  assert.equal(queued(), before, 'no mail queued while a subscriber handles send.magic_link');
  const v = await realFetch(link, { redirect: 'manual', headers: { origin: ORIGIN } });
  assert.equal(v.status, 302);
  jar.take(v);
  const sess = await call('GET', '/get-session', { jar });
  assert.equal(sess.json.user.email, email);
});

test('user.before_create: allowed:true lets the sign-up through; allowed:false reaches the client as its code and message', async () => {
  subscribe(['user.before_create']);
  deliveries.length = 0; script = [{ allowed: true }];
  const email = uniqueEmail('wh-bc');
  let r = await call('POST', '/sign-up/email', { body: { email, password: 'correct-horse-battery', name: 'Allowed' } });
  assert.equal(r.status, 200);
  const d = take('user.before_create');
  checkEnvelope(d, 'user.before_create');
  assert.equal(d.body.user.email, email);
  assert.equal(d.body.event_data.auth_provider, 'credential');

  script = [{ allowed: false, error_code: 'DOMAIN_BLOCKED', error_message: 'No sign-ups from this domain' }];
  const refused = uniqueEmail('wh-no');
  r = await call('POST', '/sign-up/email', { body: { email: refused, password: 'correct-horse-battery', name: 'No' } });
  assert.equal(r.status, 403);
  assert.deepEqual(r.json, { message: 'No sign-ups from this domain', code: 'DOMAIN_BLOCKED' });
  assert.equal(sql(`SELECT count(*) FROM neon_auth."user" WHERE email = '${refused}'`), '0');

  // the same gate on a new address's email-OTP sign-in (the code by send.otp)
  subscribe(['user.before_create', 'send.otp']);
  deliveries.length = 0; script = ['ok', { allowed: false, error_code: 'OTP_SIGN_UP_CLOSED', error_message: 'Closed' }];
  const otpUser = uniqueEmail('wh-bc-otp');
  r = await call('POST', '/email-otp/send-verification-otp', { body: { email: otpUser, type: 'sign-in' } });
  assert.equal(r.status, 200);
  const code = take('send.otp').body.event_data.otp_code;
  r = await call('POST', '/sign-in/email-otp', { body: { email: otpUser, otp: code } });
  assert.equal(r.status, 403);
  assert.deepEqual(r.json, { message: 'Closed', code: 'OTP_SIGN_UP_CLOSED' });
  const bc = take('user.before_create');
  checkEnvelope(bc, 'user.before_create');
  assert.equal(bc.body.event_data.auth_provider, 'email-otp');
  assert.equal(bc.body.user.email_verified, true);
  assert.equal(sql(`SELECT count(*) FROM neon_auth."user" WHERE email = '${otpUser}'`), '0');
});

test('user.before_create fails closed: a hang past the budget, an oversized reply, a malformed one, 500s', async () => {
  subscribe(['user.before_create'], { timeout_seconds: 1 });
  const cases = [
    [['hang', 'hang', 'hang'], 3],
    [['big'], 1],
    [[{ yes: 1 }], 1],
    [[500, 503, 502], 3],
  ];
  for (const [steps, attempts] of cases) {
    deliveries.length = 0; script = [...steps];
    const email = uniqueEmail('wh-fc');
    const r = await call('POST', '/sign-up/email', { body: { email, password: 'correct-horse-battery', name: 'X' } });
    assert.equal(r.status, 503, JSON.stringify(steps));
    assert.equal(r.json.code, 'SIGN_UP_CHECK_UNAVAILABLE');
    assert.equal(deliveries.length, attempts, JSON.stringify(steps));
    assert.equal(sql(`SELECT count(*) FROM neon_auth."user" WHERE email = '${email}'`), '0');
  }
  script = [];
});

test('user.created: queued with the user, delivered by the webhook sender; a row of another Auth URL is never sent', async () => {
  subscribe(['user.created']);
  deliveries.length = 0; script = [];
  // a row a parent branch left behind: another Auth URL
  sql(`DELETE FROM neon_auth.webhook_outbox WHERE auth_url = 'https://parent.example/neondb/auth'`);
  sql(`INSERT INTO neon_auth.webhook_outbox (auth_url, event_type, payload) VALUES ('https://parent.example/neondb/auth', 'user.created', '{}')`);
  const email = uniqueEmail('wh-created');
  const r = await call('POST', '/sign-up/email', { body: { email, password: 'correct-horse-battery', name: 'Created' } });
  assert.equal(r.status, 200);
  let d = null;
  for (let i = 0; i < 100 && !d; i++) { await sleep(100); d = take('user.created'); }
  assert.ok(d, 'user.created delivered within 10 s');
  checkEnvelope(d, 'user.created');
  assert.equal(d.body.user.id, r.json.user.id);
  assert.equal(d.body.user.email, email);
  assert.equal(d.body.event_data.auth_provider, 'credential');
  for (let i = 0; i < 30; i++) {
    if (sql(`SELECT count(*) FROM neon_auth.webhook_outbox WHERE id = '${d.body.event_id}' AND delivered_at IS NOT NULL`) === '1') break;
    await sleep(100);
  }
  assert.equal(sql(`SELECT count(*) FROM neon_auth.webhook_outbox WHERE id = '${d.body.event_id}' AND delivered_at IS NOT NULL`), '1');
  assert.equal(sql(`SELECT count(*) FROM neon_auth.webhook_outbox WHERE auth_url = 'https://parent.example/neondb/auth' AND attempts = 0`), '1');
  sql(`DELETE FROM neon_auth.webhook_outbox WHERE auth_url = 'https://parent.example/neondb/auth'`);
});

test('user.created: admin create-user (here through the command line, the same code) queues it too, auth_provider credential', async () => {
  subscribe(['user.created']);
  deliveries.length = 0; script = [];
  const email = uniqueEmail('wh-admin');
  execFileSync(BIN, ['user', 'create', 'main', email, '--name', 'Made', '-c', CONF], { encoding: 'utf8', timeout: 30000 });
  const id = sql(`SELECT id FROM neon_auth."user" WHERE email = '${email}'`);
  assert.match(id, UUID);
  assert.equal(sql(`SELECT count(*) FROM neon_auth.webhook_outbox WHERE event_type = 'user.created' AND payload::text LIKE '%${id}%'`), '1');
  let d = null;
  for (let i = 0; i < 100 && !d; i++) { await sleep(100); d = take('user.created'); }
  assert.ok(d, 'user.created delivered within 10 s');
  checkEnvelope(d, 'user.created');
  assert.equal(d.body.user.id, id);
  assert.equal(d.body.event_data.auth_provider, 'credential');
});

// the receiver runs in this process: the command must not block its event loop
const cliAsync = (...args) => new Promise((resolve) => {
  execFile(BIN, [...args, '-c', CONF], { encoding: 'utf8', timeout: 30000 }, (e, stdout, stderr) =>
    resolve({ rc: e ? e.code : 0, out: stdout + stderr }));
});

test('user.created: a 500 is retried by the webhook sender 10 s later, attempt 2', async () => {
  subscribe(['user.created']);
  deliveries.length = 0; script = [500];
  const email = uniqueEmail('wh-created-retry');
  const r = await call('POST', '/sign-up/email', { body: { email, password: 'correct-horse-battery', name: 'Retry' } });
  assert.equal(r.status, 200);
  const got = [];
  for (let i = 0; i < 250 && got.length < 2; i++) {
    await sleep(100);
    const d = take('user.created');
    if (d) got.push(d);
  }
  assert.equal(got.length, 2, 'two attempts within 25 s');
  checkEnvelope(got[0], 'user.created', 1);
  checkEnvelope(got[1], 'user.created', 2);
  assert.equal(got[0].body.event_id, got[1].body.event_id);
  assert.equal(got[1].body.user.email, email);
  const row = () => sql(`SELECT attempts || ' ' || (delivered_at IS NOT NULL) FROM neon_auth.webhook_outbox WHERE id = '${got[0].body.event_id}'`);
  for (let i = 0; i < 30 && row() !== '2 true'; i++) await sleep(100);
  assert.equal(sql(`SELECT attempts || ' ' || (delivered_at IS NOT NULL) FROM neon_auth.webhook_outbox WHERE id = '${got[0].body.event_id}'`), '2 true');
});

test('webhooks test BRANCH EVENT sends a signed sample and prints the status', async () => {
  subscribe(['user.created']);
  deliveries.length = 0; script = ['ok'];
  const { rc, out } = await cliAsync('webhooks', 'test', 'main', 'send.otp');
  assert.equal(rc, 0, out);
  assert.match(out, /status:\s+200/);
  assert.match(out, /result:\s+delivered/);
  const d = take('send.otp');
  checkEnvelope(d, 'send.otp');
  assert.equal(d.body.event_data.test, true);
});

test('SSRF guard: private, link-local, metadata, reserved addresses and plain http are refused; loopback too with the switch off', () => {
  const run = (url, conf = CONF) => {
    sql(`UPDATE neon_auth.project_config SET webhook_config = '${JSON.stringify({ enabled: true, webhook_url: url, timeout_seconds: 1 })}'::jsonb`);
    try { return { rc: 0, out: execFileSync(BIN, ['webhooks', 'test', 'main', 'user.created', '-c', conf], { encoding: 'utf8', timeout: 30000, stdio: ['ignore', 'pipe', 'pipe'] }) }; }
    catch (e) { return { rc: e.status, out: String(e.stdout) + String(e.stderr) }; }
  };
  for (const [url, cls] of [
    ['https://10.1.2.3/hook', 'private'], ['https://192.168.0.1/hook', 'private'], ['https://172.16.5.5/hook', 'private'],
    ['https://169.254.169.254/latest', 'link-local'], ['https://[fe80::1]/hook', 'link-local'],
    ['https://100.100.100.200/hook', 'metadata'], ['https://[fd00:ec2::254]/hook', 'metadata'],
    ['https://0.0.0.0/hook', 'reserved'], ['https://[fc00::1]/hook', 'private'],
  ]) {
    const r = run(url);
    assert.equal(r.rc, 1, url);
    assert.match(r.out, new RegExp(`address refused \\(${cls}\\)`), url);
  }
  const off = path.join(STACK_DIR, 'neon-authd-no-loopback.conf');
  fs.writeFileSync(off, fs.readFileSync(CONF, 'utf8').replace('allow_loopback = true', 'allow_loopback = false'));
  try {
    let r = run(`http://127.0.0.1:${port}/hook`, off);
    assert.equal(r.rc, 1);
    assert.match(r.out, /not an https URL/);
    for (const host of ['127.0.0.1', 'localhost', '[::1]']) {
      r = run(`https://${host}:${port}/hook`, off);
      assert.equal(r.rc, 1, host);
      assert.match(r.out, /address refused \(loopback\)/, host);
    }
  } finally { fs.rmSync(off, { force: true }); }
});

test('phone-number: off by default, E.164 only, no code without a send.otp subscriber', async () => {
  sql(`UPDATE neon_auth.project_config SET plugin_configs = plugin_configs - 'phone-number'`);
  let r = await call('POST', '/phone-number/send-otp', { body: { phoneNumber: '+15555550101' } });
  assert.equal(r.status, 404);
  sql(`UPDATE neon_auth.project_config SET plugin_configs = plugin_configs || '{"phone-number":{"enabled":true,"otp_expires_in":120}}'::jsonb`);
  sql(`UPDATE neon_auth.project_config SET webhook_config = '{"enabled":false}'::jsonb`);
  r = await call('POST', '/phone-number/send-otp', { body: { phoneNumber: '+15555550101' } });
  assert.equal(r.status, 501);
  assert.equal(r.json.code, 'PHONE_OTP_SENDER_NOT_CONFIGURED');
  subscribe(['send.otp']);
  for (const bad of ['15555550101', '+05555550101', '+1', '+1234567890123456', '+1555-555-0101']) {
    r = await call('POST', '/phone-number/send-otp', { body: { phoneNumber: bad } });
    assert.equal(r.status, 400, bad);
    assert.equal(r.json.code, 'INVALID_PHONE_NUMBER', bad);
  }
});

test('phone-number: the code goes out by send.otp (sms); verify attaches the number, signs in by it, three wrong codes invalidate it; phone_number.verified is delivered', async () => {
  sql(`UPDATE neon_auth.project_config SET plugin_configs = plugin_configs || '{"phone-number":{"enabled":true,"otp_expires_in":120}}'::jsonb`);
  subscribe(['send.otp', 'phone_number.verified']);
  const phone = `+1555${String(Date.now()).slice(-7)}`;
  const jar = new Jar();
  const email = uniqueEmail('wh-phone');
  let r = await call('POST', '/sign-up/email', { jar, body: { email, password: 'correct-horse-battery', name: 'Phone' } });
  assert.equal(r.status, 200);
  deliveries.length = 0; script = [];
  const sendCode = async () => {
    const s = await call('POST', '/phone-number/send-otp', { body: { phoneNumber: phone } });
    assert.equal(s.status, 200, s.text);
    assert.deepEqual(s.json, { message: 'code sent' });
    const d = take('send.otp');
    checkEnvelope(d, 'send.otp');
    assert.equal(d.body.event_data.delivery_preference, 'sms');
    assert.equal(d.body.user.phone_number, phone);
    const exp = Date.parse(d.body.event_data.expires_at) - Date.now();
    assert.ok(exp > 100000 && exp <= 120000, `otp_expires_in 120 s (${exp})`);
    return d.body.event_data.otp_code;
  };
  // not registered yet: sign-in only
  let code = await sendCode();
  r = await call('POST', '/phone-number/verify', { body: { phoneNumber: phone, code } });
  assert.equal(r.status, 400);
  assert.equal(r.json.code, 'PHONE_NUMBER_NOT_EXIST');
  // attach it to the signed-in user
  code = await sendCode();
  r = await call('POST', '/phone-number/verify', { jar, body: { phoneNumber: phone, code, updatePhoneNumber: true } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.user.phoneNumber, phone);
  assert.equal(r.json.user.phoneNumberVerified, true);
  assert.equal(sql(`SELECT "phoneNumber" || ' ' || "phoneNumberVerified" FROM neon_auth."user" WHERE email = '${email}'`), `${phone} true`);
  // sign in by the number
  code = await sendCode();
  const jar2 = new Jar();
  r = await call('POST', '/phone-number/verify', { jar: jar2, body: { phoneNumber: phone, code } });
  assert.equal(r.status, 200, r.text);
  assert.equal(typeof r.json.token, 'string');
  const sess = await call('GET', '/get-session', { jar: jar2 });
  assert.equal(sess.json.user.email, email);
  // three wrong codes invalidate the code
  code = await sendCode();
  const wrong = code === '000000' ? '111111' : '000000';
  for (let i = 0; i < 3; i++) {
    r = await call('POST', '/phone-number/verify', { body: { phoneNumber: phone, code: wrong } });
    assert.equal(r.status, 400);
    assert.equal(r.json.code, 'INVALID_OTP');
  }
  r = await call('POST', '/phone-number/verify', { body: { phoneNumber: phone, code } });
  assert.equal(r.status, 403);
  assert.equal(r.json.code, 'TOO_MANY_ATTEMPTS');
  // phone_number.verified, through the outbox
  let d = null;
  for (let i = 0; i < 100 && !d; i++) { await sleep(100); d = take('phone_number.verified'); }
  assert.ok(d, 'phone_number.verified delivered within 10 s');
  checkEnvelope(d, 'phone_number.verified');
  assert.equal(d.body.user.phone_number, phone);
  assert.equal(d.body.user.phone_number_verified, true);
  assert.equal(d.body.user.email, email);
  sql(`UPDATE neon_auth.project_config SET plugin_configs = plugin_configs - 'phone-number'`);
});
