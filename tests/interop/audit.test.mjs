// The audit trail (README "Audit trail"): every auth event of the core endpoints lands in
// neon_auth.audit_log with its outcome, client address and user agent, in the same transaction
// as the change, and never carries a secret.
import test from 'node:test';
import assert from 'node:assert/strict';
import { call, Jar, sql, uniqueEmail, resetSettings } from './lib.mjs';

function rows(userId) {
  const out = sql(`SELECT coalesce(json_agg(json_build_object('event', event, 'outcome', outcome, 'ip', ip,
    'ua', user_agent, 'session', session_id, 'data', data) ORDER BY id), '[]')
    FROM neon_auth.audit_log WHERE user_id = '${userId}'`);
  return JSON.parse(out);
}

test('sign-up, failed and good sign-in, password change, revocation and sign-out are audited', async () => {
  resetSettings();
  const jar = new Jar();
  const email = uniqueEmail('audit');
  const ua = 'audit-test/1.0';
  let r = await call('POST', '/sign-up/email', { jar, body: { email, password: 'correct-horse-battery', name: 'A' },
    headers: { 'user-agent': ua } });
  assert.equal(r.status, 200);
  const uid = r.json.user.id;
  r = await call('POST', '/sign-in/email', { body: { email, password: 'wrong-password-here' }, headers: { 'user-agent': ua } });
  assert.equal(r.status, 401);
  r = await call('POST', '/sign-in/email', { jar, body: { email, password: 'correct-horse-battery' }, headers: { 'user-agent': ua } });
  assert.equal(r.status, 200);
  r = await call('POST', '/change-password', { jar, body: { currentPassword: 'correct-horse-battery', newPassword: 'another-horse-battery' } });
  assert.equal(r.status, 200);
  r = await call('POST', '/revoke-other-sessions', { jar, body: {} });
  assert.equal(r.status, 200);
  r = await call('POST', '/sign-out', { jar, body: {} });
  assert.equal(r.status, 200);

  const ev = rows(uid);
  assert.deepEqual(ev.map((e) => `${e.event}:${e.outcome}`), [
    'sign_up:success', 'sign_in:INVALID_EMAIL_OR_PASSWORD', 'sign_in:success', 'password_change:success',
    'sessions_revoke_others:success', 'sign_out:success']);
  for (const e of ev) {
    assert.equal(e.ip, '127.0.0.1');
    if (e.event !== 'password_change' && e.event !== 'sessions_revoke_others' && e.event !== 'sign_out') assert.equal(e.ua, ua);
  }
  assert.notEqual(ev[3].session, null, 'the password change names its session');
  const all = JSON.stringify(ev);
  assert.ok(!all.includes('correct-horse-battery') && !all.includes('another-horse-battery'), 'no password in the trail');
  const tokens = sql(`SELECT string_agg(token, ' ') FROM neon_auth.session WHERE "userId" = '${uid}'`);
  for (const t of tokens.split(' ').filter(Boolean)) assert.ok(!all.includes(t), 'no session token in the trail');
});

test('an unknown email is recorded without a user, and the view counts failures per address', async () => {
  resetSettings();
  const email = uniqueEmail('nobody');
  const before = Number(sql(`SELECT coalesce(sum(failures), 0) FROM neon_auth.failed_sign_ins_last_hour WHERE ip = '127.0.0.1'`));
  const r = await call('POST', '/sign-in/email', { body: { email, password: 'whatever-password' } });
  assert.equal(r.status, 401);
  const after = Number(sql(`SELECT coalesce(sum(failures), 0) FROM neon_auth.failed_sign_ins_last_hour WHERE ip = '127.0.0.1'`));
  assert.equal(after, before + 1);
  assert.equal(sql(`SELECT count(*) FROM neon_auth.audit_log WHERE event = 'sign_in' AND user_id IS NULL
    AND outcome = 'INVALID_EMAIL_OR_PASSWORD' AND data::text NOT LIKE '%${email}%'`) >= '1', true);
});

test('a rolled-back change leaves no audit row: sign-up of a taken email writes nothing', async () => {
  resetSettings();
  const email = uniqueEmail('taken');
  let r = await call('POST', '/sign-up/email', { body: { email, password: 'correct-horse-battery', name: 'T' } });
  assert.equal(r.status, 200);
  const uid = r.json.user.id;
  const n = sql(`SELECT count(*) FROM neon_auth.audit_log WHERE event = 'sign_up'`);
  r = await call('POST', '/sign-up/email', { body: { email, password: 'correct-horse-battery', name: 'T' } });
  assert.equal(r.status, 422);
  assert.equal(sql(`SELECT count(*) FROM neon_auth.audit_log WHERE event = 'sign_up'`), n);
  assert.equal(rows(uid).filter((e) => e.event === 'sign_up').length, 1);
});
