// The branch's own hooks (auth/signup.c, auth/token.c, store/store_hooks.c; README "Sign-up
// rules", "Custom JWT claims"): settings.sign_up's domain lists and sign-up function on every
// path that creates a user (sign-up/email, email-OTP sign-in, magic link, social sign-in through
// a real OpenID Connect provider, admin create-user), the custom claims function in GET token and
// set-auth-jwt (verified with jose against the JWKS) and read by an RLS policy through
// auth.jwt(), failing functions failing closed; the ban gate on the code and link sign-ins; the
// organization invitation mail at a real SMTP server on loopback (tests/integration/smtp_sink.py).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { createRemoteJWKSet, jwtVerify, SignJWT } from 'jose';
import { AUTH_URL, ORIGIN, TOP, Jar, call, cli, sql, setSettings, resetSettings, sleep } from './lib.mjs';
import { CLIENT_ID, CLIENT_SECRET, startOidc, providerLogin } from './oauth/providers.mjs';

const SINK = path.join(TOP, 'tests', 'integration', 'smtp_sink.py');
const READ = path.join(TOP, 'tests', 'integration', 'mail_read.py');
const PY = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const S = `hooks_${process.pid}`;	// this file's schema of app functions and tables
const PASSWORD = 'correct-horse-battery';
const accounts = {};
let sink, dir, oidc, mailSkip = '';
let n = 0;

const q = (s) => s.replace(/'/g, "''");
const addr = (tag, domain) => `${tag}-${process.pid}-${Date.now()}-${++n}@${domain}`;
const userCount = (email) => Number(sql(`SELECT count(*) FROM neon_auth."user" WHERE email = '${q(email)}'`));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

function baseConfig(port) {
  sql(`UPDATE neon_auth.project_config SET
    email_provider = ${port ? `'${q(JSON.stringify({ type: 'standard', host: '127.0.0.1', port, security: 'none',
      sender_email: 'auth@example.com', sender_name: 'Hooks' }))}'::jsonb` : 'NULL'},
    plugin_configs = coalesce(plugin_configs, '{}'::jsonb) || '{"magic-link":{"enabled":true}}'::jsonb,
    social_providers = '${q(JSON.stringify([{ id: 'oidc', type: 'standard', client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET, issuer: oidc.issuer }]))}'::jsonb`);
}

let savedPlugins;
before(async () => {
  resetSettings();
  savedPlugins = sql(`SELECT coalesce(plugin_configs, '{}'::jsonb)::text FROM neon_auth.project_config`);
  oidc = await startOidc([`${AUTH_URL}/callback/oidc`], accounts);
  let port = 0;
  try { execFileSync(PY, ['-c', 'import aiosmtpd']); } catch { mailSkip = 'python3-aiosmtpd is not installed'; }
  if (!mailSkip) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neon-authd-interop-hooks-'));
    port = await freePort();
    sink = spawn(PY, [SINK, '--port', String(port), '--dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('the SMTP sink did not start')), 10000);
      sink.stdout.on('data', (d) => { if (String(d).includes('ready')) { clearTimeout(t); resolve(); } });
    });
  }
  baseConfig(port);
  sql(`CREATE SCHEMA ${S};
    CREATE TABLE ${S}.calls (email text, provider text);
    CREATE TABLE ${S}.tenants (user_id uuid PRIMARY KEY, tenant text NOT NULL);
    -- the sign-up rule: no address that starts with "deny", every call recorded
    CREATE FUNCTION ${S}.allow_sign_up(email text, provider text) RETURNS boolean
      LANGUAGE plpgsql AS $$ BEGIN
        INSERT INTO ${S}.calls VALUES (email, provider);
        RETURN email NOT LIKE 'deny%';
      END $$;
    CREATE FUNCTION ${S}.raising(email text, provider text) RETURNS boolean
      LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'rule broken'; END $$;
    -- custom claims: the user's tenant and a plan
    CREATE FUNCTION ${S}.jwt_claims(user_id uuid, claims jsonb) RETURNS jsonb
      LANGUAGE sql STABLE AS $$
        SELECT claims || jsonb_build_object('tenant', (SELECT tenant FROM ${S}.tenants t WHERE t.user_id = $1),
          'plan', 'pro')
      $$;
    CREATE FUNCTION ${S}.claims_sub(user_id uuid, claims jsonb) RETURNS jsonb
      LANGUAGE sql STABLE AS $$ SELECT claims || '{"sub":"someone-else","x":1}'::jsonb $$;
    CREATE FUNCTION ${S}.claims_raise(user_id uuid, claims jsonb) RETURNS jsonb
      LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'claims broken'; END $$;
    CREATE FUNCTION ${S}.claims_array(user_id uuid, claims jsonb) RETURNS jsonb
      LANGUAGE sql STABLE AS $$ SELECT '[1,2]'::jsonb $$;
    GRANT USAGE ON SCHEMA ${S} TO authenticated;
    CREATE TABLE ${S}.notes (tenant text NOT NULL, body text NOT NULL);
    ALTER TABLE ${S}.notes ENABLE ROW LEVEL SECURITY;
    CREATE POLICY tenant ON ${S}.notes TO authenticated USING (tenant = auth.jwt() ->> 'tenant');
    GRANT SELECT ON ${S}.notes TO authenticated;
    INSERT INTO ${S}.notes VALUES ('red', 'note of red'), ('blue', 'note of blue')`);
});

after(async () => {
  await oidc?.stop();
  sql(`UPDATE neon_auth.project_config SET email_provider = NULL, social_providers = '[]'::jsonb,
    plugin_configs = '${q(savedPlugins)}'::jsonb`);
  resetSettings();
  sql(`DROP SCHEMA IF EXISTS ${S} CASCADE`);
  sink?.kill();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------- the paths that create users

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

// one admin, made before any rule applies
let admin;
async function theAdmin() {
  if (admin) return admin;
  const jar = new Jar();
  const email = addr('hooks-admin', 'example.com');
  const r = await call('POST', '/sign-up/email', { jar, body: { email, password: PASSWORD, name: 'Admin' } });
  assert.equal(r.status, 200, r.text);
  cli('user', 'set-role', 'main', email, 'admin');
  admin = { jar, email };
  return admin;
}

// Each path: { ok: true } when the user was created, else { code } as the client sees it.
const paths = {
  async 'sign-up/email'(email) {
    const r = await call('POST', '/sign-up/email', { jar: new Jar(), body: { email, password: PASSWORD, name: 'N' } });
    return r.status === 200 ? { ok: true } : { status: r.status, code: r.json?.code };
  },
  async 'admin/create-user'(email) {
    const a = await theAdmin();
    const r = await call('POST', '/admin/create-user', { jar: a.jar, body: { email, password: PASSWORD, name: 'N' } });
    return r.status === 200 ? { ok: true } : { status: r.status, code: r.json?.code };
  },
  async 'social (oidc)'(email) {
    const login = `hooks-${Math.random().toString(36).slice(2, 10)}`;
    accounts[login] = { email, verified: true, name: 'Social' };
    const jar = new Jar();
    const start = await call('POST', '/sign-in/social', { jar, body: { provider: 'oidc', callbackURL: '/dash', errorCallbackURL: '/oops' } });
    assert.equal(start.status, 200, start.text);
    const cb = await providerLogin(start.json.url, login, { stopAt: AUTH_URL });
    const r = await call('GET', cb.slice(AUTH_URL.length), { jar });
    assert.equal(r.status, 302);
    const loc = new URL(r.headers.get('location'), ORIGIN);
    return loc.searchParams.get('error') ? { code: loc.searchParams.get('error'),
      description: loc.searchParams.get('error_description') } : { ok: true };
  },
  async 'social (idToken)'(email) {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ iss: oidc.issuer, sub: `idt-${Math.random().toString(36).slice(2, 10)}`,
      aud: CLIENT_ID, email, email_verified: true, name: 'Id Token', iat: now, exp: now + 600 })
      .setProtectedHeader({ alg: 'RS256', kid: 'test-k1' }).sign(oidc.privateKey);
    const r = await call('POST', '/sign-in/social', { jar: new Jar(), body: { provider: 'oidc', idToken: { token } } });
    return r.status === 200 ? { ok: true } : { status: r.status, code: r.json?.code };
  },
  async 'email-otp sign-in'(email) {
    if (mailSkip) return { skip: mailSkip };
    let r = await call('POST', '/email-otp/send-verification-otp', { body: { email, type: 'sign-in' } });
    assert.equal(r.status, 200, r.text);
    const code = read(await mailFor(email), 'code');
    r = await call('POST', '/sign-in/email-otp', { jar: new Jar(), body: { email, otp: code } });
    return r.status === 200 ? { ok: true } : { status: r.status, code: r.json?.code };
  },
  async 'magic link'(email) {
    if (mailSkip) return { skip: mailSkip };
    let r = await call('POST', '/sign-in/magic-link', { body: { email, callbackURL: '/dash', errorCallbackURL: '/oops' } });
    assert.equal(r.status, 200, r.text);
    const link = read(await mailFor(email), 'link');
    r = await call('GET', link.slice(AUTH_URL.length), { jar: new Jar() });
    assert.equal(r.status, 302, r.text);
    const loc = new URL(r.headers.get('location'), ORIGIN);
    return loc.searchParams.get('error') ? { code: loc.searchParams.get('error') } : { ok: true };
  },
};

test('settings.sign_up domain lists: allowed and refused on every path that creates a user', async (t) => {
  await theAdmin();
  setSettings({ sign_up: { allowed_email_domains: ['Allowed.test', 'corp.test'], blocked_email_domains: ['corp.test'] } });
  try {
    for (const [name, run] of Object.entries(paths)) {
      await t.test(name, async (st) => {
        const good = addr('ok', 'allowed.test');
        let r = await run(good);
        if (r.skip) return st.skip(r.skip);
        assert.deepEqual(r, { ok: true }, `${good} may sign up`);
        assert.equal(userCount(good), 1);
        for (const bad of [addr('other', 'other.test'), addr('blocked', 'corp.test'), addr('sub', 'x.allowed.test')]) {
          r = await run(bad);
          assert.equal(r.code, 'SIGN_UP_EMAIL_DOMAIN_NOT_ALLOWED', `${name}: ${bad}: ${JSON.stringify(r)}`);
          if (r.status !== undefined) assert.equal(r.status, 403);
          assert.equal(userCount(bad), 0, 'nothing was written');
        }
      });
    }
    // the rules are about creating users: an existing user of another domain still signs in
    const r = await call('POST', '/sign-in/email', { jar: new Jar(), body: { email: admin.email, password: PASSWORD } });
    assert.equal(r.status, 200, r.text);
  } finally {
    setSettings({ sign_up: {} });
  }
});

test('config set checks settings.sign_up and settings.jwt.claims_function', () => {
  const bad = [
    ['settings.sign_up', '{"allowed_email_domains":"example.com"}', /allowed_email_domains/],
    ['settings.sign_up', '{"blocked_email_domains":["a b.com"]}', /blocked_email_domains/],
    ['settings.sign_up', '{"function":"allow_sign_up"}', /function/],
    ['settings.sign_up', '{"function":"app.allow; drop table x"}', /function/],
    ['settings.sign_up', '{"function":"App.Allow"}', /function/],
    ['settings.sign_up', '{"unknown":1}', /unknown/],
    ['settings.jwt', '{"claims_function":"public.f()"}', /claims_function/],
    ['settings.jwt', '{"claims_function":7}', /claims_function/],
  ];
  for (const [field, value, re] of bad) {
    assert.throws(() => cli('config', 'set', 'main', field, value), (e) => re.test(String(e.stderr) + String(e.stdout)),
      `${field} ${value} is refused`);
  }
  cli('config', 'set', 'main', 'settings.sign_up', '{"allowed_email_domains":["example.com"],"function":"app.allow_sign_up"}');
  assert.equal(sql(`SELECT settings->'sign_up'->>'function' FROM neon_auth.project_config`), 'app.allow_sign_up');
  cli('config', 'set', 'main', 'settings.sign_up', '{}');
});

test('settings.sign_up.function: called in the transaction with the provider, refusing, failing closed', async (t) => {
  setSettings({ sign_up: { function: `${S}.allow_sign_up` } });
  try {
    for (const [name, run] of Object.entries(paths)) {
      await t.test(name, async (st) => {
        const good = addr('fn-ok', 'example.com');
        let r = await run(good);
        if (r.skip) return st.skip(r.skip);
        assert.deepEqual(r, { ok: true });
        const provider = sql(`SELECT provider FROM ${S}.calls WHERE email = '${q(good)}'`);
        assert.equal(provider, { 'sign-up/email': 'credential', 'admin/create-user': 'admin', 'social (oidc)': 'oidc',
          'social (idToken)': 'oidc',
          'email-otp sign-in': 'email-otp', 'magic link': 'magic-link' }[name]);
        const bad = addr('deny', 'example.com');
        r = await run(bad);
        assert.equal(r.code, 'SIGN_UP_NOT_ALLOWED', JSON.stringify(r));
        assert.equal(userCount(bad), 0);
        // the refusal rolled the transaction back: its call left no row either
        assert.equal(sql(`SELECT count(*) FROM ${S}.calls WHERE email = '${q(bad)}'`), '0');
      });
    }
    // a function that raises, or that does not exist: nobody is created
    for (const fn of [`${S}.raising`, `${S}.missing`]) {
      setSettings({ sign_up: { function: fn } });
      for (const name of ['sign-up/email', 'social (oidc)', 'social (idToken)', 'admin/create-user']) {
        const e = addr('fn-fail', 'example.com');
        const r = await paths[name](e);
        assert.equal(r.code, 'SIGN_UP_CHECK_FAILED', `${fn} ${name}: ${JSON.stringify(r)}`);
        if (r.status !== undefined) assert.equal(r.status, 500);
        assert.equal(userCount(e), 0);
      }
    }
    // a name written with SQL that config set would refuse: fails closed too
    setSettings({ sign_up: { function: 'not a name' } });
    const r = await paths['sign-up/email'](addr('fn-bad', 'example.com'));
    assert.equal(r.code, 'SIGN_UP_CHECK_FAILED');
  } finally {
    setSettings({ sign_up: {} });
  }
});

// ---------------------------------------------------------------- custom JWT claims

const jwks = createRemoteJWKSet(new URL(`${AUTH_URL}/jwks`));

async function signedIn(tenant) {
  const jar = new Jar();
  const email = addr('claims', 'example.com');
  const r = await call('POST', '/sign-up/email', { jar, body: { email, password: PASSWORD, name: 'Claire' } });
  assert.equal(r.status, 200, r.text);
  if (tenant) sql(`INSERT INTO ${S}.tenants VALUES ('${r.json.user.id}', '${tenant}')`);
  return { jar, id: r.json.user.id, email };
}

// what PostgREST does with a verified token: the role and request.jwt.claims, then a SELECT
function readAs(payload) {
  return sql(`BEGIN; SET LOCAL ROLE authenticated;
    SELECT set_config('request.jwt.claims', '${q(JSON.stringify(payload))}', true);
    SELECT 'rows:' || coalesce(string_agg(body, ',' ORDER BY body), '') FROM ${S}.notes; COMMIT`)
    .split('\n').find((l) => l.startsWith('rows:')).slice(5);
}

test('settings.jwt.claims_function: the claims in GET token and set-auth-jwt, verified with jose, read by RLS', async () => {
  const red = await signedIn('red');
  const blue = await signedIn('blue');
  // before: no custom claims, the policy shows nothing
  let r = await call('GET', '/token', { jar: red.jar });
  let { payload } = await jwtVerify(r.json.token, jwks);
  assert.equal(payload.tenant, undefined);
  assert.equal(readAs(payload), '');
  setSettings({ jwt: { claims_function: `${S}.jwt_claims` } });
  try {
    for (const who of [red, blue]) {
      r = await call('GET', '/token', { jar: who.jar });
      assert.equal(r.status, 200, r.text);
      ({ payload } = await jwtVerify(r.json.token, jwks, { issuer: ORIGIN, audience: ORIGIN }));
      assert.equal(payload.sub, who.id);
      assert.equal(payload.email, who.email);
      assert.equal(payload.role, 'authenticated');
      assert.equal(payload.plan, 'pro');
      assert.equal(payload.tenant, who === red ? 'red' : 'blue');
      assert.equal(readAs(payload), `note of ${payload.tenant}`);
      // the same claims in get-session's set-auth-jwt
      r = await call('GET', '/get-session', { jar: who.jar });
      assert.equal(r.status, 200);
      const { payload: p2 } = await jwtVerify(r.headers.get('set-auth-jwt'), jwks);
      assert.equal(p2.tenant, payload.tenant);
      assert.equal(p2.plan, 'pro');
      assert.equal(readAs(p2), `note of ${payload.tenant}`);
    }
    // a user the function gives no tenant: a null claim, no rows
    const none = await signedIn(null);
    r = await call('GET', '/token', { jar: none.jar });
    ({ payload } = await jwtVerify(r.json.token, jwks));
    assert.equal(payload.tenant, null);
    assert.equal(readAs(payload), '');
  } finally {
    setSettings({ jwt: {} });
  }
});

test('settings.jwt.claims_function: a function that raises, changes sub or returns no object fails closed', async () => {
  const u = await signedIn('red');
  for (const fn of ['claims_raise', 'claims_sub', 'claims_array', 'missing']) {
    setSettings({ jwt: { claims_function: `${S}.${fn}` } });
    let r = await call('GET', '/token', { jar: u.jar });
    assert.equal(r.status, 500, `${fn}: ${r.text}`);
    assert.equal(r.json.code, 'JWT_CLAIMS_FAILED');
    r = await call('GET', '/get-session', { jar: u.jar });
    assert.equal(r.status, 200, 'the session itself still answers');
    assert.equal(r.json.user.id, u.id);
    assert.equal(r.headers.get('set-auth-jwt'), null, `${fn}: no token without its claims`);
  }
  // back to a working function: tokens again (the failures were not cached)
  setSettings({ jwt: { claims_function: `${S}.jwt_claims` } });
  const r = await call('GET', '/token', { jar: u.jar });
  assert.equal(r.status, 200);
  const { payload } = await jwtVerify(r.json.token, jwks);
  assert.equal(payload.tenant, 'red');
  setSettings({ jwt: {} });
  // and without the setting the token carries no custom claim (the cache key has the name)
  const r2 = await call('GET', '/token', { jar: u.jar });
  assert.equal((await jwtVerify(r2.json.token, jwks)).payload.tenant, undefined);
});

// ---------------------------------------------------------------- the ban gate

test('a banned user gets no session from an email code or a magic link', async (t) => {
  if (mailSkip) return t.skip(mailSkip);
  const a = await theAdmin();
  const jar = new Jar();
  const email = addr('banned', 'example.com');
  let r = await call('POST', '/sign-up/email', { jar, body: { email, password: PASSWORD, name: 'Ban' } });
  assert.equal(r.status, 200);
  r = await call('POST', '/admin/ban-user', { jar: a.jar, body: { userId: r.json.user.id, banReason: 'test' } });
  assert.equal(r.status, 200, r.text);
  const before = Number(sql(`SELECT count(*) FROM neon_auth.session s JOIN neon_auth."user" u ON u.id = s."userId" WHERE u.email = '${q(email)}'`));
  r = await call('POST', '/email-otp/send-verification-otp', { body: { email, type: 'sign-in' } });
  assert.equal(r.status, 200);
  const code = read(await mailFor(email, 1), 'code');
  r = await call('POST', '/sign-in/email-otp', { jar: new Jar(), body: { email, otp: code } });
  assert.equal(r.status, 403, r.text);
  assert.equal(r.json.code, 'BANNED_USER');
  r = await call('POST', '/sign-in/magic-link', { body: { email, callbackURL: '/dash', errorCallbackURL: '/oops' } });
  assert.equal(r.status, 200);
  const link = read(await mailFor(email, 2), 'link');
  r = await call('GET', link.slice(AUTH_URL.length), { jar: new Jar() });
  // as Better Auth 1.7.25 answers (its createSession throws): JSON, not the error callback
  assert.equal(r.status, 403, r.text);
  assert.equal(r.json.code, 'BANNED_USER');
  assert.ok(!r.headers.getSetCookie().some((c) => c.includes('session_token=') && !c.includes('Max-Age=0')));
  const after = Number(sql(`SELECT count(*) FROM neon_auth.session s JOIN neon_auth."user" u ON u.id = s."userId" WHERE u.email = '${q(email)}'`));
  assert.equal(after, before, 'no session was created');
});

test('a banned user\'s address is verified, but verification signs nobody in', async (t) => {
  if (mailSkip) return t.skip(mailSkip);
  const a = await theAdmin();
  const sessionsOf = (email) => Number(sql(`SELECT count(*) FROM neon_auth.session s JOIN neon_auth."user" u
    ON u.id = s."userId" WHERE u.email = '${q(email)}'`));
  const banned = async (tag) => {
    const email = addr(tag, 'example.com');
    let r = await call('POST', '/sign-up/email', { jar: new Jar(), body: { email, password: PASSWORD, name: 'Ban' } });
    assert.equal(r.status, 200);
    r = await call('POST', '/admin/ban-user', { jar: a.jar, body: { userId: r.json.user.id } });
    assert.equal(r.status, 200, r.text);
    return email;
  };
  // by code: email-otp/verify-email with auto sign-in (the default)
  let email = await banned('ban-otp');
  let r = await call('POST', '/email-otp/send-verification-otp', { body: { email, type: 'email-verification' } });
  assert.equal(r.status, 200);
  r = await call('POST', '/email-otp/verify-email', { jar: new Jar(), body: { email, otp: read(await mailFor(email), 'code') } });
  assert.equal(r.status, 403, r.text);
  assert.equal(r.json.code, 'BANNED_USER');
  assert.equal(sql(`SELECT "emailVerified" FROM neon_auth."user" WHERE email = '${q(email)}'`), 't');
  assert.equal(sessionsOf(email), 0);
  // by link: GET verify-email, JSON even with a callbackURL (as Better Auth 1.7.25)
  sql(`UPDATE neon_auth.project_config SET email_and_password = email_and_password ||
    '{"email_verification_method":"link"}'::jsonb`);
  try {
    email = await banned('ban-link');
    r = await call('POST', '/send-verification-email', { body: { email, callbackURL: '/done' } });
    assert.equal(r.status, 200, r.text);
    const link = read(await mailFor(email), 'link');
    r = await call('GET', link.slice(AUTH_URL.length), { jar: new Jar() });
    assert.equal(r.status, 403, r.text);
    assert.equal(r.json.code, 'BANNED_USER');
    assert.equal(sql(`SELECT "emailVerified" FROM neon_auth."user" WHERE email = '${q(email)}'`), 't');
    assert.equal(sessionsOf(email), 0);
  } finally {
    resetSettings();
  }
});

// ---------------------------------------------------------------- the invitation mail

test('organization invite-member mails the invitation with Neon\'s accept link', async (t) => {
  if (mailSkip) return t.skip(mailSkip);
  sql(`UPDATE neon_auth.project_config SET plugin_configs = plugin_configs ||
    '{"organization":{"enabled":true,"send_invitation_email":true}}'::jsonb`);
  try {
    const owner = await signedIn(null);
    let r = await call('POST', '/organization/create', { jar: owner.jar, body: { name: 'Hooks Org', slug: `hooks-${process.pid}-${n}` } });
    assert.equal(r.status, 200, r.text);
    const org = r.json;
    const invitee = addr('invitee', 'example.com');
    r = await call('POST', '/organization/invite-member', { jar: owner.jar, body: { email: invitee, role: 'member', organizationId: org.id } });
    assert.equal(r.status, 200, r.text);
    const inv = r.json;
    const m = await mailFor(invitee);
    assert.equal(read(m, 'kind'), 'invitation');
    assert.equal(read(m, 'rcpt'), invitee);
    assert.equal(read(m, 'link'), `${ORIGIN}/auth/accept-invitation?invitationId=${inv.id}`);
    assert.match(read(m, 'text'), /Hooks Org/);
    execFileSync(PY, [READ, m, 'check']);
    // the link's id accepts the invitation for the invitee
    const jar = new Jar();
    r = await call('POST', '/sign-up/email', { jar, body: { email: invitee, password: PASSWORD, name: 'Invitee' } });
    assert.equal(r.status, 200);
    sql(`UPDATE neon_auth."user" SET "emailVerified" = true WHERE email = '${q(invitee)}'`);
    r = await call('POST', '/organization/accept-invitation', { jar, body: { invitationId: new URL(read(m, 'link')).searchParams.get('invitationId') } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.member.organizationId, org.id);
    // a resend mails it again
    const other = addr('invitee2', 'example.com');
    r = await call('POST', '/organization/invite-member', { jar: owner.jar, body: { email: other, role: 'member', organizationId: org.id } });
    assert.equal(r.status, 200);
    r = await call('POST', '/organization/invite-member', { jar: owner.jar, body: { email: other, role: 'member', organizationId: org.id, resend: true } });
    assert.equal(r.status, 200);
    await mailFor(other, 2);
  } finally {
    // the organization settings as they were before this test
    sql(`UPDATE neon_auth.project_config SET plugin_configs = (plugin_configs - 'organization') ||
      jsonb_strip_nulls(jsonb_build_object('organization', '${q(savedPlugins)}'::jsonb -> 'organization'))`);
  }
});
