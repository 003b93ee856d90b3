// The admin plugin (protocol.md §11.1) through nginx with the real better-auth/client and its
// adminClient: every endpoint's success and refusal paths, bans that bite at once (the
// session cookie, a still-valid cookie-cache cookie, a bearer token, the JWT endpoint),
// impersonation, list-users against what SQL says, the audit trail, the settings. The last
// test sends one scripted admin sequence to neon-authd and to the real Better Auth with its
// admin() plugin (the project's reference server, tests/reference) and compares the answers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthClient } from 'better-auth/client';
import { adminClient } from 'better-auth/client/plugins';
import { CLIENT_ID, CLIENT_SECRET, startOidc, providerLogin } from './oauth/providers.mjs';
import {
  AUTH_URL, ORIGIN, Jar, call, cli, sql, uniqueEmail, resetSettings, setSettings, sleep, PFX, startReference,
} from './lib.mjs';

const realFetch = globalThis.fetch;
const PASSWORD = 'correct-horse-battery';

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

// (the client is a proxy that makes every property an endpoint: the jar stays outside it)
function client(jar = new Jar()) {
  return createAuthClient({ baseURL: AUTH_URL, plugins: [adminClient()], fetchOptions: { customFetchImpl: browserFetch(jar) } });
}

// a signed-in user: {c, jar, email, id}; role admin through the operator's command line
async function person(tag, { admin = false, name } = {}) {
  const jar = new Jar();
  const c = client(jar);
  const email = uniqueEmail(tag);
  const r = await c.signUp.email({ email, password: PASSWORD, name: name || tag });
  assert.equal(r.error, null, JSON.stringify(r.error));
  if (admin) {
    cli('user', 'set-role', 'main', email, 'admin');
    // the role is read from the database on every admin request
  }
  return { c, jar, email, id: r.data.user.id };
}

function auditRows(where) {
  return JSON.parse(sql(`SELECT coalesce(json_agg(json_build_object('event', event, 'outcome', outcome,
    'user', user_id, 'actor', actor_id, 'data', data) ORDER BY id), '[]') FROM neon_auth.audit_log WHERE ${where}`));
}

before(() => resetSettings());
after(() => resetSettings());

test('a user without the admin role gets the plugin\'s 403 code on every admin endpoint', async () => {
  const u = await person('plain');
  const other = await person('other');
  const a = u.c.admin;
  const cases = [
    [() => a.createUser({ email: uniqueEmail('x'), password: PASSWORD, name: 'x' }), 'YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS'],
    [() => a.listUsers({ query: {} }), 'YOU_ARE_NOT_ALLOWED_TO_LIST_USERS'],
    [() => a.getUser({ query: { id: other.id } }), 'YOU_ARE_NOT_ALLOWED_TO_GET_USER'],
    [() => a.updateUser({ userId: other.id, data: { name: 'x' } }), 'YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS'],
    [() => a.setRole({ userId: other.id, role: 'admin' }), 'YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE'],
    [() => a.banUser({ userId: other.id }), 'YOU_ARE_NOT_ALLOWED_TO_BAN_USERS'],
    [() => a.unbanUser({ userId: other.id }), 'YOU_ARE_NOT_ALLOWED_TO_BAN_USERS'],
    [() => a.listUserSessions({ userId: other.id }), 'YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS'],
    [() => a.revokeUserSession({ sessionToken: 'x' }), 'YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS'],
    [() => a.revokeUserSessions({ userId: other.id }), 'YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS'],
    [() => a.removeUser({ userId: other.id }), 'YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS'],
    [() => a.setUserPassword({ userId: other.id, newPassword: 'another-password' }), 'YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD'],
    [() => a.impersonateUser({ userId: other.id }), 'YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS'],
  ];
  for (const [fn, code] of cases) {
    const r = await fn();
    assert.equal(r.error?.status, 403, code);
    assert.equal(r.error.code, code);
  }
  // not a 403: has-permission answers false, stop-impersonating says there is nothing to stop
  let r = await a.hasPermission({ permissions: { user: ['list'] } });
  assert.deepEqual(r.data, { error: null, success: false });
  r = await a.stopImpersonating();
  assert.equal(r.error.status, 400);
  assert.equal(r.error.message, 'You are not impersonating anyone');
  // the refusals are on the record, the caller as actor, the target as user
  const rows = auditRows(`actor_id = '${u.id}' AND outcome LIKE 'YOU_ARE_NOT_ALLOWED%'`);
  assert.equal(rows.length, cases.length);
  assert.ok(rows.some((e) => e.event === 'admin_ban' && e.user === other.id));
  // and nothing changed
  assert.equal(sql(`SELECT name || '|' || role || '|' || banned FROM neon_auth."user" WHERE id = '${other.id}'`), 'other|user|false');
});

test('without a session every admin endpoint is 401 with an empty body; zod answers first', async () => {
  let r = await call('POST', '/admin/create-user', { body: { email: uniqueEmail('n'), name: 'n' } });
  assert.equal(r.status, 401);
  assert.equal(r.text, '');
  r = await call('GET', '/admin/list-users');
  assert.equal(r.status, 401);
  assert.equal(r.text, '');
  r = await call('POST', '/admin/set-role', { body: {} });
  assert.equal(r.status, 400);
  assert.deepEqual(r.json, { message: '[body.userId] Invalid input: expected nonoptional, received undefined; [body.role] Invalid input', code: 'VALIDATION_ERROR' });
  r = await call('POST', '/admin/set-user-password', { body: { userId: '', newPassword: '' } });
  assert.equal(r.json.message, '[body.newPassword] newPassword cannot be empty; [body.userId] userId cannot be empty');
  r = await call('POST', '/admin/has-permission', { body: { permission: { user: ['list'] } } });
  assert.deepEqual(r.json, { message: 'invalid permission check. no permission(s) were passed.' });
  r = await call('POST', '/admin/has-permission', { body: { permission: { user: ['list'] }, permissions: { user: ['list'] } } });
  assert.equal(r.json.message, '[body] Invalid input: more than one option matched');
  r = await call('GET', '/admin/list-users?sortDirection=up');
  assert.equal(r.json.message, '[query.sortDirection] Invalid option: expected one of "asc"|"desc"');
});

test('create-user, get-user, update-user, set-role: shapes, codes and the rules on fields', async () => {
  const adm = await person('adm', { admin: true });
  const a = adm.c.admin;
  const email = uniqueEmail('Created').replace('created', 'Created');
  let r = await a.createUser({ email, password: 'short', name: 'Created', role: ['admin', 'user'], data: { emailVerified: true, image: 'i.png' } });
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.deepEqual(Object.keys(r.data.user), ['name', 'email', 'emailVerified', 'image', 'createdAt', 'updatedAt',
    'role', 'banned', 'banReason', 'banExpires', 'id']);
  assert.equal(r.data.user.email, email.toLowerCase());
  assert.ok(r.data.user.createdAt instanceof Date, 'dates revive into Date objects');
  assert.equal(r.data.user.role, 'admin,user');
  assert.equal(r.data.user.emailVerified, true);
  assert.equal(r.data.user.image, 'i.png');
  const id = r.data.user.id;
  // create-user checks only the maximum length; the account is there
  assert.equal(sql(`SELECT count(*) FROM neon_auth.account WHERE "userId" = '${id}' AND "providerId" = 'credential'`), '1');
  r = await a.createUser({ email, name: 'again' });
  assert.equal(r.error.status, 400);
  assert.equal(r.error.code, 'USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL');
  r = await a.createUser({ email: 'not-an-email', name: 'x' });
  assert.equal(r.error.code, 'INVALID_EMAIL');
  r = await a.createUser({ email: uniqueEmail('r'), name: 'x', data: { role: 7 } });
  assert.equal(r.error.code, 'INVALID_ROLE_TYPE');
  r = await a.createUser({ email: uniqueEmail('nopw'), name: 'no password' });
  assert.equal(r.data.user.role, 'user');
  assert.equal(sql(`SELECT count(*) FROM neon_auth.account WHERE "userId" = '${r.data.user.id}'`), '0');

  r = await a.getUser({ query: { id } });
  assert.equal(r.data.id, id);
  assert.equal(r.data.email, email.toLowerCase());
  r = await a.getUser({ query: { id: '00000000-0000-0000-0000-000000000000' } });
  assert.equal(r.error.status, 404);
  assert.equal(r.error.code, 'USER_NOT_FOUND');
  r = await a.getUser({ query: { id: 'not-a-uuid' } });
  assert.equal(r.error.code, 'USER_NOT_FOUND');

  r = await a.updateUser({ userId: id, data: {} });
  assert.equal(r.error.code, 'NO_DATA_TO_UPDATE');
  r = await a.updateUser({ userId: id, data: { password: 'x' } });
  assert.equal(r.error.code, 'PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER');
  r = await a.updateUser({ userId: id, data: { id: 'x' } });
  assert.equal(r.error.code, 'USER_ID_CANNOT_BE_UPDATED');
  r = await a.updateUser({ userId: id, data: { email: adm.email } });
  assert.equal(r.error.code, 'USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL');
  r = await a.updateUser({ userId: adm.id, data: { banned: true } });
  assert.equal(r.error.code, 'YOU_CANNOT_BAN_YOURSELF');
  const renamed = uniqueEmail('renamed');
  r = await a.updateUser({ userId: id, data: { name: 'Renamed', email: renamed.toUpperCase(), role: ['user'] } });
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(r.data.name, 'Renamed');
  assert.equal(r.data.email, renamed);
  assert.equal(r.data.role, 'user');

  r = await a.setRole({ userId: id, role: 'admin' });
  assert.equal(r.data.user.role, 'admin');
  r = await a.setRole({ userId: id, role: ['user', 'editor'] });
  assert.equal(r.data.user.role, 'user,editor');
  r = await a.setRole({ userId: '00000000-0000-0000-0000-000000000000', role: 'user' });
  assert.equal(r.error.code, 'USER_NOT_FOUND');

  const ev = auditRows(`user_id = '${id}' AND outcome = 'success'`).map((e) => e.event);
  assert.deepEqual(ev, ['admin_user_create', 'admin_user_update', 'admin_set_role', 'admin_set_role']);
  assert.equal(auditRows(`user_id = '${id}' AND event = 'admin_set_role'`)[0].actor, adm.id);
});

test('sign-up and update-user refuse the admin fields (FIELD_NOT_ALLOWED), as Better Auth does', async () => {
  let r = await call('POST', '/sign-up/email', { body: { email: uniqueEmail('f'), password: PASSWORD, name: 'f', role: 'admin' } });
  assert.deepEqual(r.json, { message: 'role is not allowed to be set', code: 'FIELD_NOT_ALLOWED' });
  r = await call('POST', '/sign-up/email', { body: { email: uniqueEmail('f'), password: PASSWORD, name: 'f', banned: true, banReason: 'x' } });
  assert.deepEqual(r.json, { message: 'banReason is not allowed to be set', code: 'FIELD_NOT_ALLOWED' });
  // banned has a default: a new user takes it; emailVerified is no input field: dropped
  r = await call('POST', '/sign-up/email', { body: { email: uniqueEmail('f'), password: PASSWORD, name: 'f', banned: true, emailVerified: true } });
  assert.equal(r.status, 200);
  assert.equal(r.json.user.banned, false);
  assert.equal(r.json.user.emailVerified, false);
  // FIELD_NOT_ALLOWED comes after the password checks
  r = await call('POST', '/sign-up/email', { body: { email: uniqueEmail('f'), password: 'short', name: 'f', role: 'admin' } });
  assert.equal(r.json.code, 'PASSWORD_TOO_SHORT');

  const u = await person('upd');
  for (const k of ['role', 'banned', 'banReason', 'banExpires']) {
    r = await call('POST', '/update-user', { jar: u.jar, body: { [k]: k === 'banned' ? true : 'x' } });
    assert.deepEqual(r.json, { message: `${k} is not allowed to be set`, code: 'FIELD_NOT_ALLOWED' });
  }
  r = await call('POST', '/update-user', { jar: u.jar, body: { emailVerified: true } });
  assert.deepEqual(r.json, { message: 'No fields to update' });
  assert.equal(sql(`SELECT role || '|' || banned || '|' || "emailVerified" FROM neon_auth."user" WHERE id = '${u.id}'`), 'user|false|false');
});

test('ban-user: the session cookie, a still-valid cookie-cache cookie, bearer and token stop at once', async () => {
  setSettings({ rate_limit: { enabled: false }, session: { cookie_cache: true } });
  try {
    const adm = await person('banner', { admin: true });
    const u = await person('banned');
    // every worker connected (a worker distrusts the cookie-cache cookies minted before it
    // connected, plus the clock-skew margin of 5 s: it may have missed a ban's NOTIFY)
    for (let i = 0; i < 16; i++) await call('GET', '/get-session', { jar: adm.jar });
    await sleep(5500);
    const cached = new Jar();
    let r = await call('POST', '/sign-in/email', { jar: cached, body: { email: u.email, password: PASSWORD } });
    assert.equal(r.status, 200);
    const bearer = r.headers.get('set-auth-token');
    assert.ok(cached.cookies.has(`${PFX}.session_data`), 'the cookie cache is on');
    // the row goes, the cookie cache still answers: proof that it is read without the database
    const cachedToken = r.json.token;
    const plain = await person('banned-too');
    sql(`DELETE FROM neon_auth.session WHERE token = '${cachedToken}'`);
    r = await call('GET', '/get-session', { jar: cached });
    assert.equal(r.json?.user?.id, u.id, 'served from the cookie cache');

    r = await adm.c.admin.banUser({ userId: u.id, banReason: 'spam' });
    assert.equal(r.error, null, JSON.stringify(r.error));
    assert.equal(r.data.user.banned, true);
    assert.equal(r.data.user.banReason, 'spam');
    assert.equal(r.data.user.banExpires, null);
    assert.equal(sql(`SELECT count(*) FROM neon_auth.session WHERE "userId" = '${u.id}'`), '0', 'its sessions are gone');

    // the very next requests, on whichever worker: nothing works any more
    for (let i = 0; i < 4; i++) {
      r = await call('GET', '/get-session', { jar: cached });
      assert.equal(r.text, 'null', 'the cookie-cache cookie no longer works');
    }
    assert.equal((await u.c.getSession()).data, null, 'nor the session cookie');
    r = await call('GET', '/get-session', { headers: { authorization: `Bearer ${bearer}` } });
    assert.equal(r.text, 'null', 'nor the bearer token');
    r = await call('GET', '/token', { headers: { authorization: `Bearer ${bearer}` } });
    assert.equal(r.status, 401, 'no JWT either');
    r = await u.c.signIn.email({ email: u.email, password: PASSWORD });
    assert.equal(r.error.status, 403);
    assert.equal(r.error.code, 'BANNED_USER');
    assert.equal(r.error.message, 'You have been banned from this application. Please contact support if you believe this is an error.');
    // another user is untouched
    assert.equal((await plain.c.getSession()).data.user.id, plain.id);

    r = await adm.c.admin.banUser({ userId: adm.id });
    assert.equal(r.error.code, 'YOU_CANNOT_BAN_YOURSELF');
    r = await adm.c.admin.banUser({ userId: '00000000-0000-0000-0000-000000000000' });
    assert.equal(r.error.code, 'USER_NOT_FOUND');

    r = await adm.c.admin.unbanUser({ userId: u.id });
    assert.equal(r.data.user.banned, false);
    assert.equal(r.data.user.banReason, null);
    r = await u.c.signIn.email({ email: u.email, password: PASSWORD });
    assert.equal(r.error, null, 'unbanned: signs in again');

    // a ban made with plain SQL is heard too (the trigger of migration 008): its NOTIFY
    // reaches every worker in moments (not synchronously, as the endpoint's own note does)
    const viaSql = new Jar();
    r = await call('POST', '/sign-in/email', { jar: viaSql, body: { email: plain.email, password: PASSWORD } });
    assert.equal((await call('GET', '/get-session', { jar: viaSql })).json.user.id, plain.id);
    sql(`UPDATE neon_auth."user" SET banned = true WHERE id = '${plain.id}'`);
    let seen = 'not yet';
    for (let i = 0; i < 40 && seen !== 'null'; i++) {
      if (i > 0) await sleep(50);
      seen = (await call('GET', '/get-session', { jar: viaSql })).text;
    }
    assert.equal(seen, 'null', 'heard within 2 s');
    for (let i = 0; i < 4; i++) assert.equal((await call('GET', '/get-session', { jar: viaSql })).text, 'null');

    // an expired ban lifts itself
    r = await adm.c.admin.banUser({ userId: u.id, banExpiresIn: 1 });
    assert.ok(Math.abs(new Date(r.data.user.banExpires) - Date.now() - 1000) < 5000);
    r = await u.c.signIn.email({ email: u.email, password: PASSWORD });
    assert.equal(r.error.code, 'BANNED_USER');
    await sleep(1200);
    r = await u.c.signIn.email({ email: u.email, password: PASSWORD });
    assert.equal(r.error, null, 'the ban has expired');
    assert.equal(sql(`SELECT banned || '|' || coalesce("banReason", '-') FROM neon_auth."user" WHERE id = '${u.id}'`), 'false|-');

    const ev = auditRows(`user_id = '${u.id}'`).map((e) => `${e.event}:${e.outcome}`);
    assert.ok(ev.includes('admin_ban:success') && ev.includes('admin_unban:success') && ev.includes('sign_in:BANNED_USER'), ev.join(' '));
  } finally {
    resetSettings();
  }
});

test('social sign-in of a banned user: the callback redirects with error=BANNED_USER; the default role', async () => {
  const accounts = {};
  const oidc = await startOidc([`${AUTH_URL}/callback/oidc`], accounts);
  try {
    sql(`UPDATE neon_auth.project_config SET social_providers = '${JSON.stringify([{ id: 'oidc', type: 'standard',
      client_id: CLIENT_ID, client_secret: CLIENT_SECRET, issuer: oidc.issuer }])}'::jsonb`);
    setSettings({ admin: { default_role: 'member' } });
    const login = `social-${Math.random().toString(36).slice(2, 10)}`;
    accounts[login] = { email: uniqueEmail('social'), verified: true, name: 'Social' };
    const flow = async (jar) => {
      const start = await call('POST', '/sign-in/social', { jar, body: { provider: 'oidc', callbackURL: '/dash', errorCallbackURL: '/oops' } });
      assert.equal(start.status, 200, start.text);
      const cb = await providerLogin(start.json.url, login, { stopAt: AUTH_URL });
      return call('GET', cb.slice(AUTH_URL.length), { jar });
    };
    let r = await flow(new Jar());
    assert.equal(r.status, 302);
    assert.equal(r.headers.get('location'), '/dash');
    const id = sql(`SELECT id FROM neon_auth."user" WHERE email = '${accounts[login].email}'`);
    assert.equal(sql(`SELECT role FROM neon_auth."user" WHERE id = '${id}'`), 'member', 'a social sign-up gets the default role');
    const adm = await person('socialadm', { admin: true });
    assert.equal((await adm.c.admin.banUser({ userId: id, banReason: 'spam' })).error, null);
    r = await flow(new Jar());
    const loc = new URL(r.headers.get('location'), 'http://x');
    assert.equal(loc.pathname, '/oops');
    assert.equal(loc.searchParams.get('error'), 'BANNED_USER');
    assert.equal(loc.searchParams.get('error_description'),
      'You have been banned from this application. Please contact support if you believe this is an error.');
    assert.ok(!r.headers.getSetCookie().some((c) => c.startsWith(`${PFX}.session_token=`) && !c.includes('Max-Age=0')), 'no session');
    assert.equal(sql(`SELECT count(*) FROM neon_auth.session WHERE "userId" = '${id}'`), '0');
  } finally {
    await oidc.stop();
    sql(`UPDATE neon_auth.project_config SET social_providers = '[]'::jsonb`);
    resetSettings();
  }
});

test('sessions of a user: list, revoke one, revoke all', async () => {
  const adm = await person('sessadm', { admin: true });
  const u = await person('sess');
  const second = client();
  await second.signIn.email({ email: u.email, password: PASSWORD });
  let r = await adm.c.admin.listUserSessions({ userId: u.id });
  assert.equal(r.data.sessions.length, 2);
  for (const s of r.data.sessions) assert.equal(s.userId, u.id);
  const token = r.data.sessions[1].token;
  r = await adm.c.admin.revokeUserSession({ sessionToken: token });
  assert.deepEqual(r.data, { success: true });
  r = await adm.c.admin.revokeUserSession({ sessionToken: 'no-such-token' });
  assert.deepEqual(r.data, { success: true });
  assert.equal((await adm.c.admin.listUserSessions({ userId: u.id })).data.sessions.length, 1);
  r = await adm.c.admin.revokeUserSessions({ userId: u.id });
  assert.deepEqual(r.data, { success: true });
  assert.equal((await u.c.getSession()).data, null);
  assert.equal((await second.getSession()).data, null);
  r = await adm.c.admin.listUserSessions({ userId: 'not-a-uuid' });
  assert.deepEqual(r.data, { sessions: [] });
});

test('set-user-password and remove-user', async () => {
  const adm = await person('pwadm', { admin: true });
  const u = await person('pw');
  let r = await adm.c.admin.setUserPassword({ userId: u.id, newPassword: 'short' });
  assert.equal(r.error.code, 'PASSWORD_TOO_SHORT');
  r = await adm.c.admin.setUserPassword({ userId: u.id, newPassword: 'a-brand-new-password' });
  assert.deepEqual(r.data, { status: true });
  r = await client().signIn.email({ email: u.email, password: 'a-brand-new-password' });
  assert.equal(r.error, null);
  // a user without a password gets a credential account
  const np = await adm.c.admin.createUser({ email: uniqueEmail('nopw'), name: 'n' });
  r = await adm.c.admin.setUserPassword({ userId: np.data.user.id, newPassword: 'a-brand-new-password' });
  assert.deepEqual(r.data, { status: true });
  r = await client().signIn.email({ email: np.data.user.email, password: 'a-brand-new-password' });
  assert.equal(r.error, null, JSON.stringify(r.error));

  r = await adm.c.admin.removeUser({ userId: adm.id });
  assert.equal(r.error.code, 'YOU_CANNOT_REMOVE_YOURSELF');
  r = await adm.c.admin.removeUser({ userId: '00000000-0000-0000-0000-000000000000' });
  assert.equal(r.error.code, 'USER_NOT_FOUND');
  r = await adm.c.admin.removeUser({ userId: u.id });
  assert.deepEqual(r.data, { success: true });
  assert.equal(sql(`SELECT count(*) FROM neon_auth."user" WHERE id = '${u.id}'`), '0');
  assert.equal((await u.c.getSession()).data, null);
  assert.equal(auditRows(`user_id = '${u.id}' AND event = 'admin_user_remove'`)[0].actor, adm.id);
});

test('impersonation: a time-limited session with impersonatedBy, admin_session, and back', async () => {
  const adm = await person('impadm', { admin: true });
  const other = await person('impother', { admin: true });
  const u = await person('imp');
  let r = await adm.c.admin.impersonateUser({ userId: other.id });
  assert.equal(r.error.status, 403);
  assert.equal(r.error.code, 'YOU_CANNOT_IMPERSONATE_ADMINS');
  r = await adm.c.admin.impersonateUser({ userId: u.id });
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(r.data.user.id, u.id);
  assert.equal(r.data.session.impersonatedBy, adm.id);
  const life = new Date(r.data.session.expiresAt) - new Date(r.data.session.createdAt);
  assert.equal(life, 3600 * 1000, 'an hour');
  assert.ok(adm.jar.cookies.has(`${PFX}.admin_session`));
  assert.ok(adm.jar.cookies.has(`${PFX}.dont_remember`), 'a don\'t-remember session');
  r = await adm.c.getSession();
  assert.equal(r.data.user.id, u.id, 'the admin now browses as the user');
  assert.equal(r.data.session.impersonatedBy, adm.id);
  // the user does not see the impersonation among its sessions
  r = await u.c.listSessions();
  assert.equal(r.data.length, 1);
  assert.equal(r.data[0].impersonatedBy, null);
  const impToken = adm.jar.cookies.get(`${PFX}.session_token`);

  r = await adm.c.admin.stopImpersonating();
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(r.data.user.id, adm.id);
  assert.equal(r.data.session.impersonatedBy, null);
  assert.ok(!adm.jar.cookies.has(`${PFX}.admin_session`));
  assert.equal((await adm.c.getSession()).data.user.id, adm.id, 'the admin\'s own session is back');
  r = await call('GET', '/get-session', { headers: { cookie: `${PFX}.session_token=${impToken}` } });
  assert.equal(r.text, 'null', 'the impersonation session is gone');

  const ev = auditRows(`user_id = '${u.id}' AND event LIKE 'impersonation_%'`);
  assert.deepEqual(ev.map((e) => `${e.event}:${e.actor === adm.id}`), ['impersonation_start:true', 'impersonation_stop:true']);
  assert.equal(auditRows(`user_id = '${other.id}' AND event = 'impersonation_start'`)[0].outcome, 'YOU_CANNOT_IMPERSONATE_ADMINS');

  // settings.admin.impersonation_duration, on the next request
  setSettings({ admin: { impersonation_duration: 600 } });
  try {
    r = await adm.c.admin.impersonateUser({ userId: u.id });
    assert.equal(new Date(r.data.session.expiresAt) - new Date(r.data.session.createdAt), 600 * 1000);
    await adm.c.admin.stopImpersonating();
  } finally {
    resetSettings();
  }
});

test('has-permission: Better Auth\'s default roles', async () => {
  const adm = await person('permadm', { admin: true });
  const u = await person('perm');
  const ask = async (c, permissions) => (await c.admin.hasPermission({ permissions })).data;
  assert.deepEqual(await ask(adm.c, { user: ['list', 'ban'], session: ['revoke'] }), { error: null, success: true });
  assert.deepEqual(await ask(adm.c, { user: ['impersonate-admins'] }), { error: null, success: false });
  assert.deepEqual(await ask(adm.c, { user: ['list'], project: ['create'] }), { error: null, success: false });
  assert.deepEqual(await ask(adm.c, {}), { error: null, success: false });
  assert.deepEqual(await ask(u.c, { user: ['list'] }), { error: null, success: false });
  // the caller's own role decides, not the role in the body
  const r = await u.c.admin.hasPermission({ permissions: { user: ['list'] }, role: 'admin' });
  assert.deepEqual(r.data, { error: null, success: false });
  // a role list: one role that allows is enough
  cli('user', 'set-role', 'main', u.email, 'user,admin');
  assert.deepEqual(await ask(u.c, { user: ['list'] }), { error: null, success: true });
});

test('list-users: search, filter, sort and paging give what SQL says', async () => {
  const adm = await person('listadm', { admin: true });
  const tag = `lst${process.pid}${Date.now() % 100000}`;
  const names = ['delta', 'alpha', 'charlie', 'bravo', 'echo', 'alpha'];
  for (const [i, n] of names.entries()) {
    const r = await adm.c.admin.createUser({ email: `${tag}-${i}@example.com`, name: `${n}-${tag}`, role: i % 2 ? 'admin' : 'user' });
    assert.equal(r.error, null, JSON.stringify(r.error));
  }
  const emails = (r) => r.data.users.map((x) => x.email);
  const q = (where, order = '"createdAt", id', extra = '') =>
    sql(`SELECT coalesce(string_agg(email, ' ' ORDER BY rn), '') FROM (SELECT email, row_number() OVER (ORDER BY ${order}) rn
         FROM neon_auth."user" WHERE ${where} ORDER BY ${order} ${extra}) t`).split(' ').filter(Boolean);
  const count = (where) => Number(sql(`SELECT count(*) FROM neon_auth."user" WHERE ${where}`));

  let r = await adm.c.admin.listUsers({ query: { searchValue: tag } });
  assert.deepEqual(emails(r), q(`email LIKE '%${tag}%'`));
  assert.equal(r.data.total, 6);
  assert.equal(r.data.limit, undefined);

  r = await adm.c.admin.listUsers({ query: { searchValue: tag, searchField: 'name', searchOperator: 'ends_with', sortBy: 'name', sortDirection: 'desc', limit: 2, offset: 1 } });
  assert.deepEqual(emails(r), q(`name LIKE '%${tag}'`, 'name DESC, id DESC', 'LIMIT 2 OFFSET 1'));
  assert.equal(r.data.total, count(`name LIKE '%${tag}'`));
  assert.equal(r.data.limit, 2);
  assert.equal(r.data.offset, 1);

  r = await adm.c.admin.listUsers({ query: { searchValue: `alpha-${tag}`, searchField: 'name', searchOperator: 'starts_with' } });
  assert.equal(r.data.total, 2);

  r = await adm.c.admin.listUsers({ query: { searchValue: tag, filterField: 'role', filterValue: 'admin', sortBy: 'email' } });
  assert.deepEqual(emails(r), q(`email LIKE '%${tag}%' AND role = 'admin'`, 'email, id'));
  r = await adm.c.admin.listUsers({ query: { searchValue: tag, filterField: 'role', filterOperator: 'ne', filterValue: 'admin' } });
  assert.equal(r.data.total, 3);
  r = await adm.c.admin.listUsers({ query: { searchValue: tag, filterField: 'banned', filterValue: 'false' } });
  assert.equal(r.data.total, 6);

  // an empty page past the end still counts
  r = await adm.c.admin.listUsers({ query: { searchValue: tag, limit: 10, offset: 100 } });
  assert.deepEqual(r.data.users, []);
  assert.equal(r.data.total, 6);
  // what Better Auth's adapter throws on is an empty list
  for (const query of [{ sortBy: 'nope' }, { filterField: 'nope', filterValue: 'x' }, { limit: '-1' },
    { filterField: 'createdAt', filterOperator: 'lt', filterValue: 'garbage' },
    { filterField: 'createdAt', filterOperator: 'lt', filterValue: 'garbage', offset: '1000' }, { filterField: 'role', filterOperator: 'in', filterValue: 'admin' }]) {
    r = await call('GET', `/admin/list-users?${new URLSearchParams(query)}`, { jar: adm.jar });
    assert.deepEqual(r.json, { users: [], total: 0 }, JSON.stringify(query));
  }
  // in with an array (a repeated key)
  r = await call('GET', `/admin/list-users?searchValue=${tag}&filterField=role&filterOperator=in&filterValue=admin&filterValue=none`, { jar: adm.jar });
  assert.equal(r.json.total, 3);
  // deep pages (from offset 1000 on, the ids are paged first, then joined): the same rows, order
  // and totals as SQL, for each sort and a search, also with equal names (ties broken by id)
  const deep = `${tag}d`;
  sql(`INSERT INTO neon_auth."user" (id, name, email, "emailVerified", "createdAt", "updatedAt", role)
       SELECT gen_random_uuid(), 'deep-' || (i % 7) || '-${deep}', '${deep}-' || i || '@example.com', false,
              now() - make_interval(secs => i % 13), now(), CASE WHEN i % 3 = 0 THEN 'admin' ELSE 'user' END
       FROM generate_series(1, 1200) AS i`);
  for (const [query, where, order] of [
    [{ searchValue: deep, limit: 7, offset: 1000 }, `email LIKE '%${deep}%'`, '"createdAt", id'],
    [{ searchValue: deep, sortBy: 'name', sortDirection: 'desc', limit: 9, offset: 1150 }, `email LIKE '%${deep}%'`, 'name DESC, id DESC'],
    [{ searchValue: deep, sortBy: 'name', limit: 5, offset: 1001 }, `email LIKE '%${deep}%'`, 'name, id'],
    [{ searchValue: deep, sortBy: 'email', filterField: 'role', filterValue: 'user', limit: 6, offset: 1000 }, `email LIKE '%${deep}%' AND role = 'user'`, 'email, id'],
    [{ searchValue: deep, limit: 10, offset: 1195 }, `email LIKE '%${deep}%'`, '"createdAt", id'],
  ]) {
    r = await adm.c.admin.listUsers({ query });
    assert.equal(r.error, null, JSON.stringify(r.error));
    assert.deepEqual(emails(r), q(where, order, `LIMIT ${query.limit} OFFSET ${query.offset}`), JSON.stringify(query));
    assert.equal(r.data.total, count(where), JSON.stringify(query));
  }
  r = await adm.c.admin.listUsers({ query: { searchValue: deep, limit: 10, offset: 5000 } });
  assert.deepEqual(r.data.users, []);
  assert.equal(r.data.total, 1200);
  // a bulk delete: one revocation NOTIFY per row, which every worker drains; the next test's
  // config change, queued behind them, still applies on the next request
  sql(`DELETE FROM neon_auth."user" WHERE email LIKE '${deep}-%'`);
  // no limit: Better Auth's adapters answer 100
  r = await adm.c.admin.listUsers({ query: {} });
  assert.equal(r.data.users.length, Math.min(100, count('true')));
  assert.equal(r.data.total, count('true'));
});

test('settings.admin: default_role for new users, admin_roles for who may not be impersonated, validated', async () => {
  const adm = await person('setadm', { admin: true });
  setSettings({ admin: { default_role: 'member', admin_roles: ['admin', 'user'] } });
  try {
    const u = await person('member');
    assert.equal(sql(`SELECT role FROM neon_auth."user" WHERE id = '${u.id}'`), 'member');
    cli('user', 'set-role', 'main', u.email, 'user');
    const r = await adm.c.admin.impersonateUser({ userId: u.id });
    assert.equal(r.error.code, 'YOU_CANNOT_IMPERSONATE_ADMINS', 'user is an admin role now');
  } finally {
    resetSettings();
  }
  assert.throws(() => cli('config', 'set', 'main', 'settings.admin', '{"admin_roles":["root"]}'), /admin_roles/);
  assert.throws(() => cli('config', 'set', 'main', 'settings.admin', '{"impersonation_duration":5}'), /impersonation_duration/);
  assert.throws(() => cli('config', 'set', 'main', 'settings.admin', '{"default_role":""}'), /default_role/);
  assert.throws(() => cli('config', 'set', 'main', 'settings.admin', '{"colour":"red"}'), /unknown key/);
  cli('config', 'set', 'main', 'settings.admin', '{"admin_roles":["admin"],"default_role":"user","impersonation_duration":1800}');
  resetSettings();
});

// ---- differential: one scripted admin sequence against the real Better Auth

test('differential: the same admin sequence against the real Better Auth with admin()', async () => {
  const ref = startReference({ PEER_PLUGINS: 'extended' });
  try {
    const sides = {
      neon: { base: AUTH_URL, origin: ORIGIN, promote: (email) => cli('user', 'set-role', 'main', email, 'admin') },
      ref: { base: ref.url, origin: new URL(ref.url).origin,
        promote: (email) => sql(`UPDATE neon_auth_peer."user" SET role = 'admin' WHERE email = '${email}'`) },
    };
    const results = {};
    for (const [name, side] of Object.entries(sides)) results[name] = await adminScript(side);
    assert.equal(results.neon.length, results.ref.length);
    for (let i = 0; i < results.neon.length; i++)
      assert.deepEqual(results.neon[i], results.ref[i], `step ${i}: ${results.neon[i].step}`);
  } finally {
    ref.stop();
  }
});

// what both must agree on: status, code, message and the JSON shape (values that are ids,
// tokens, dates or emails normalised), step by step
async function adminScript(side) {
  const steps = [];
  const jar = { admin: new Jar(), user: new Jar() };
  const tag = `diff${Date.now() % 1000000}`;
  const send = async (step, who, method, route, body) => {
    const headers = { origin: side.origin };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (who && jar[who].cookies.size) headers.cookie = jar[who].header();
    const res = await realFetch(side.base + route, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (who) jar[who].take(res);
    const text = await res.text();
    let json;
    try { json = text ? JSON.parse(text) : undefined; } catch { json = text; }
    steps.push({ step, status: res.status, body: normal(json), cookies: cookieState(res) });
    return json;
  };
  const adminEmail = `${tag}-admin@example.com`, userEmail = `${tag}-user@example.com`;
  const ad = await send('sign-up admin', 'admin', 'POST', '/sign-up/email', { email: adminEmail, password: PASSWORD, name: 'Admin' });
  const u = await send('sign-up user', 'user', 'POST', '/sign-up/email', { email: userEmail, password: PASSWORD, name: 'User' });
  await send('not yet admin', 'admin', 'GET', `/admin/list-users?searchValue=${tag}`);
  side.promote(adminEmail);
  const uid = u.user.id;
  await send('list', 'admin', 'GET', `/admin/list-users?searchValue=${tag}&sortBy=email&limit=5`);
  await send('get', 'admin', 'GET', `/admin/get-user?id=${uid}`);
  await send('get none', 'admin', 'GET', '/admin/get-user?id=00000000-0000-0000-0000-000000000000');
  await send('create', 'admin', 'POST', '/admin/create-user', { email: `${tag}-made@example.com`, name: 'Made', password: PASSWORD, role: ['admin', 'user'] });
  await send('create again', 'admin', 'POST', '/admin/create-user', { email: `${tag}-made@example.com`, name: 'Made' });
  await send('create bad role', 'admin', 'POST', '/admin/create-user', { email: `${tag}-bad@example.com`, name: 'B', data: { role: 5 } });
  await send('update', 'admin', 'POST', '/admin/update-user', { userId: uid, data: { name: 'Renamed', image: 'x.png' } });
  await send('update empty', 'admin', 'POST', '/admin/update-user', { userId: uid, data: {} });
  await send('set-role', 'admin', 'POST', '/admin/set-role', { userId: uid, role: ['user', 'editor'] });
  await send('set-role back', 'admin', 'POST', '/admin/set-role', { userId: uid, role: 'user' });
  await send('sessions', 'admin', 'POST', '/admin/list-user-sessions', { userId: uid });
  await send('ban', 'admin', 'POST', '/admin/ban-user', { userId: uid, banReason: 'spam', banExpiresIn: 3600 });
  await send('banned session', 'user', 'GET', '/get-session');
  await send('banned sign-in', 'user', 'POST', '/sign-in/email', { email: userEmail, password: PASSWORD });
  await send('ban self', 'admin', 'POST', '/admin/ban-user', { userId: ad.user.id });
  await send('unban', 'admin', 'POST', '/admin/unban-user', { userId: uid });
  await send('sign-in again', 'user', 'POST', '/sign-in/email', { email: userEmail, password: PASSWORD });
  await send('impersonate', 'admin', 'POST', '/admin/impersonate-user', { userId: uid });
  await send('as the user', 'admin', 'GET', '/get-session');
  await send('stop', 'admin', 'POST', '/admin/stop-impersonating');
  await send('stop again', 'admin', 'POST', '/admin/stop-impersonating');
  await send('set password short', 'admin', 'POST', '/admin/set-user-password', { userId: uid, newPassword: 'short' });
  await send('set password', 'admin', 'POST', '/admin/set-user-password', { userId: uid, newPassword: 'another-horse-battery' });
  await send('revoke all', 'admin', 'POST', '/admin/revoke-user-sessions', { userId: uid });
  await send('revoked session', 'user', 'GET', '/get-session');
  await send('permission', 'admin', 'POST', '/admin/has-permission', { permissions: { user: ['ban'], session: ['list'] } });
  await send('permission no', 'user', 'POST', '/admin/has-permission', { permissions: { user: ['ban'] } });
  await send('validation', 'admin', 'POST', '/admin/set-role', {});
  await send('remove', 'admin', 'POST', '/admin/remove-user', { userId: uid });
  await send('remove again', 'admin', 'POST', '/admin/remove-user', { userId: uid });
  return steps;
}

// what a browser's jar holds after the reply: per cookie (prefix dropped) the last word
function cookieState(res) {
  const out = {};
  for (const sc of res.headers.getSetCookie()) {
    const [pair, ...attrs] = sc.split('; ');
    const name = pair.slice(0, pair.indexOf('=')).replace(/^(__Secure-)?[^.]+\./, '');
    const value = pair.slice(pair.indexOf('=') + 1);
    const maxAge = attrs.find((a) => a.startsWith('Max-Age='));
    out[name] = value === '' || maxAge === 'Max-Age=0' ? 'expired' : `set${maxAge ? ` ${maxAge}` : ''}`;
  }
  return out;
}

const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
function normal(v, key) {
  if (Array.isArray(v)) return v.map((x) => normal(x));
  if (v && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v).sort()) {
      // Neon's schema orders and types ids differently (uuid); the admin fields are present on both
      if (k === 'activeOrganizationId') continue;
      o[k] = normal(v[k], k);
    }
    return o;
  }
  if (typeof v === 'string') {
    if (ISO_RE.test(v)) return '<date>';
    if (['id', 'userId', 'impersonatedBy', 'token'].includes(key)) return '<id>';
    if (key === 'email') return v.replace(/^diff\d+-/, '');
    if (['ipAddress', 'userAgent'].includes(key)) return '<client>';
  }
  return v;
}
