// Differential test of the organization plugin: one scripted sequence of organization calls sent
// to neon-authd and to the real Better Auth 1.7.25 (tests/reference, with organization() and
// requireEmailVerificationOnInvitation, which neon-authd always applies), comparing statuses,
// error codes and messages, and the JSON of every reply with ids, tokens and dates normalised
// (an id becomes <id:N> by order of first appearance on its side, so the replies must also
// refer to the same objects), plus whether the session cookie and set-auth-token were sent.
// The reference server runs on the stack's PostgreSQL in its own schema; this file starts and
// stops it. Without tests/reference in the tree the file is skipped with that reason.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import * as lib from './lib.mjs';

const { AUTH_URL, DATABASE_URL, TOP, STACK_DIR, sql, resetSettings } = lib;
const REF_DIR = process.env.NA_REFERENCE_DIR || path.join(TOP, 'tests', 'reference');
const HAVE_REF = fs.existsSync(path.join(REF_DIR, 'start.sh'));
const SKIP = HAVE_REF ? false : `no reference server in this tree (${REF_DIR}/start.sh: the standalone branch's tests/reference)`;
const PEER_SCHEMA = 'neon_auth_peer_org';
const ORG_OPTIONS = { organization: { requireEmailVerificationOnInvitation: true, organizationLimit: 10 } };

// tests/interop/lib.mjs's startReference when it is there, else the same interface here
function startReference(switches) {
  if (typeof lib.startReference === 'function' && !process.env.NA_REFERENCE_DIR) return lib.startReference(switches);
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('PEER_')) delete env[k];
  env.PEER_WORK = path.join(STACK_DIR, 'reference');
  env.PEER_DATABASE_URL = DATABASE_URL;
  for (const [k, v] of Object.entries(switches))
    env[k] = v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v);
  fs.mkdirSync(env.PEER_WORK, { recursive: true });
  const out = execFileSync(path.join(REF_DIR, 'start.sh'), [], { env, encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'], timeout: 400000 });
  const url = /^PEER_URL=(.*)$/m.exec(out)?.[1];
  if (!url) throw new Error(`start.sh printed no PEER_URL: ${out}`);
  const port = new URL(url).port;
  return {
    url,
    stop() {
      try { execFileSync(path.join(REF_DIR, 'stop.sh'), [port], { env, stdio: 'ignore', timeout: 60000 }); } catch { /* gone */ }
    },
  };
}

let peer;
const side = { neon: { base: AUTH_URL, schema: 'neon_auth', ids: new Map() }, peer: { ids: new Map() } };

before(() => {
  if (SKIP) return;
  peer = startReference({ PEER_PG_SCHEMA: PEER_SCHEMA, PEER_PLUGIN_OPTIONS: ORG_OPTIONS });
  side.peer.base = peer.url;
  side.peer.schema = PEER_SCHEMA;
  resetSettings();
  // Better Auth's defaults where Neon's differ (the cookie names are not compared anyway)
  sql(`UPDATE neon_auth.project_config SET plugin_configs = jsonb_set(coalesce(plugin_configs, '{}'::jsonb),
       '{organization}', '{"enabled":true,"organization_limit":10,"membership_limit":100,"creator_role":"owner"}'::jsonb)`);
});

after(() => {
  if (SKIP) return;
  resetSettings();
  peer?.stop();
});

function req(s, method, route, body, cookie) {
  return new Promise((resolve, reject) => {
    const u = new URL(s.base + route);
    const h = { origin: u.origin };
    let payload;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      h['content-type'] = 'application/json';
      h['content-length'] = Buffer.byteLength(payload);
    }
    if (cookie) h.cookie = cookie;
    const r = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers: h }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        let json;
        try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    r.on('error', reject);
    r.setTimeout(20000, () => r.destroy(new Error('timeout')));
    if (payload !== undefined) r.write(payload);
    r.end();
  });
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ID = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[A-Za-z0-9]{32})$/;
// fields only neon-authd has (the admin plugin, neon.md §3.1), or that depend on the transport
const USER_ONLY = new Set(['role', 'banned', 'banReason', 'banExpires']);
const SESSION_ONLY = new Set(['impersonatedBy', 'ipAddress', 'userAgent']);

// Better Auth reads these lists without ORDER BY (the heap's order, which an UPDATE changes):
// compare them as sets, in the order of their content with every id alike
const UNORDERED = new Set(['invitations', 'members', '<top>']);
function canon(v) {
  if (Array.isArray(v)) return v.map(canon);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k])]));
  return typeof v === 'string' && (ID.test(v) || ISO.test(v)) ? '<x>' : v;
}
const contentKey = (x) => JSON.stringify(canon(x));

function norm(s, v, key, ordered = false) {
  if (Array.isArray(v)) {
    const items = UNORDERED.has(key ?? '<top>') && !ordered ? [...v].sort((x, y) => (contentKey(x) < contentKey(y) ? -1 : 1)) : v;
    return items.map((x) => norm(s, x, '<item>', ordered));
  }
  if (v && typeof v === 'object') {
    const isUser = 'emailVerified' in v, isSession = 'token' in v && 'userId' in v;
    const o = {};
    for (const k of Object.keys(v).sort()) {
      if ((isUser && USER_ONLY.has(k)) || (isSession && SESSION_ONLY.has(k))) continue;
      o[k] = norm(s, v[k], k, ordered);
    }
    return o;
  }
  if (typeof v !== 'string') return v;
  if (key === 'token') return '<token>';
  if (ISO.test(v)) return '<date>';
  if (ID.test(v)) {
    if (!s.ids.has(v)) s.ids.set(v, `<id:${s.ids.size + 1}>`);
    return s.ids.get(v);
  }
  return v;
}

function summary(s, res, ordered) {
  const setCookie = res.headers['set-cookie'] || [];
  return {
    status: res.status,
    body: res.json === undefined ? res.text : norm(s, res.json, undefined, ordered),
    sessionCookie: setCookie.some((c) => /session_token=[^;]/.test(c)),
    setAuthToken: 'set-auth-token' in res.headers,
  };
}

// the same step on both sides; a body or route may be a function of the side's state
const st = { neon: {}, peer: {} };
let steps = 0;
async function both(name, who, method, route, body) {
  const out = {};
  for (const k of ['neon', 'peer']) {
    const s = side[k], state = st[k];
    const rt = typeof route === 'function' ? route(state) : route;
    const b = typeof body === 'function' ? body(state) : body;
    out[k] = await req(s, method, rt, b, who ? state[who]?.cookie : undefined);
    // an explicit sort comes in the order asked for
    out[k].sum = summary(s, out[k], /sortBy=/.test(rt));
  }
  steps++;
  assert.deepEqual(out.neon.sum, out.peer.sum, `${name}:\n neon-authd ${JSON.stringify(out.neon.sum)}\n Better Auth ${JSON.stringify(out.peer.sum)}`);
  return out;
}

const tag = `${process.pid}-${Date.now()}`;
const email = (n) => `${n}-${tag}@example.com`;
const S = `acme-${tag}`;

async function users() {
  for (const n of ['a', 'b', 'c', 'd', 'e']) {
    const out = await both(`sign-up ${n}`, null, 'POST', '/sign-up/email', { email: email(n), password: 'correct-horse-battery', name: n.toUpperCase() });
    for (const k of ['neon', 'peer']) {
      st[k][n] = { cookie: out[k].headers['set-cookie'].map((c) => c.split(';')[0]).join('; '), id: out[k].json.user.id };
      if (n !== 'd') sql(`UPDATE "${side[k].schema}"."user" SET "emailVerified" = true WHERE id = '${out[k].json.user.id}'`);
    }
  }
}

const save = (out, key, pick) => { for (const k of ['neon', 'peer']) st[k][key] = pick(out[k].json); };

test('differential: the organization plugin against Better Auth 1.7.25', { skip: SKIP }, async () => {
  await users();
  let o;
  // ---- organizations
  o = await both('create', 'a', 'POST', '/organization/create', { name: 'Acme', slug: S, logo: 'https://l.example/x.png', metadata: { plan: 'pro', n: 1 } });
  save(o, 'org', (j) => j.id);
  await both('create: slug taken', 'a', 'POST', '/organization/create', { name: 'Acme', slug: S });
  await both('check-slug taken', 'a', 'POST', '/organization/check-slug', { slug: S });
  await both('check-slug free', 'a', 'POST', '/organization/check-slug', { slug: `free-${tag}` });
  await both('check-slug empty', 'a', 'POST', '/organization/check-slug', { slug: '' });
  await both('get-session: the active organization', 'a', 'GET', '/get-session');
  await both('list', 'a', 'GET', '/organization/list');
  await both('get-full', 'a', 'GET', '/organization/get-full-organization');
  await both('get-organization', 'a', 'GET', (s) => `/organization/get-organization?organizationId=${s.org}`);
  await both('update', 'a', 'POST', '/organization/update', { data: { name: 'Acme 2', metadata: { z: [1, 'x'] } } });
  await both('update logo null', 'a', 'POST', '/organization/update', { data: { logo: null } });
  await both('update same slug', 'a', 'POST', '/organization/update', (s) => ({ organizationId: s.org, data: { slug: S } }));
  // ---- invitations
  o = await both('invite b (upper case)', 'a', 'POST', '/organization/invite-member', { email: email('b').toUpperCase(), role: 'admin' });
  save(o, 'invB', (j) => j.id);
  await both('invite b again', 'a', 'POST', '/organization/invite-member', { email: email('b'), role: 'admin' });
  await both('invite b resend', 'a', 'POST', '/organization/invite-member', { email: email('b'), role: 'member', resend: true });
  o = await both('invite c, two roles', 'a', 'POST', '/organization/invite-member', { email: email('c'), role: ['member', ' admin '] });
  save(o, 'invC', (j) => j.id);
  await both('invite: unknown role', 'a', 'POST', '/organization/invite-member', { email: 'x@example.com', role: ['boss', 'member', 'chief'] });
  await both('invite: no role', 'a', 'POST', '/organization/invite-member', { email: 'x@example.com', role: [] });
  await both('invite: role ","', 'a', 'POST', '/organization/invite-member', { email: 'x@example.com', role: ',' });
  await both('invite: bad email', 'a', 'POST', '/organization/invite-member', { email: 'not-an-email', role: 'member' });
  await both('invite: a member', 'a', 'POST', '/organization/invite-member', { email: email('a'), role: 'member' });
  o = await both('invite d as owner', 'a', 'POST', '/organization/invite-member', { email: email('d'), role: 'owner' });
  save(o, 'invD', (j) => j.id);
  await both('list-invitations', 'a', 'GET', '/organization/list-invitations');
  await both('get-full with invitations', 'a', 'GET', '/organization/get-full-organization');
  await both('get-invitation by the invitee', 'b', 'GET', (s) => `/organization/get-invitation?id=${s.invB}`);
  await both('get-invitation by another', 'c', 'GET', (s) => `/organization/get-invitation?id=${s.invB}`);
  await both('get-invitation unverified', 'd', 'GET', (s) => `/organization/get-invitation?id=${s.invD}`);
  await both('get-invitation unknown', 'b', 'GET', '/organization/get-invitation?id=nope');
  await both('list-user-invitations', 'b', 'GET', '/organization/list-user-invitations');
  await both('list-user-invitations unverified', 'd', 'GET', '/organization/list-user-invitations');
  await both('accept unverified', 'd', 'POST', '/organization/accept-invitation', (s) => ({ invitationId: s.invD }));
  await both('reject unverified', 'd', 'POST', '/organization/reject-invitation', (s) => ({ invitationId: s.invD }));
  await both('accept for another', 'c', 'POST', '/organization/accept-invitation', (s) => ({ invitationId: s.invB }));
  await both('accept unknown', 'b', 'POST', '/organization/accept-invitation', { invitationId: 'nope' });
  await both('accept', 'b', 'POST', '/organization/accept-invitation', (s) => ({ invitationId: s.invB }));
  await both('accept again', 'b', 'POST', '/organization/accept-invitation', (s) => ({ invitationId: s.invB }));
  await both('get-session after accept', 'b', 'GET', '/get-session');
  await both('reject', 'c', 'POST', '/organization/reject-invitation', (s) => ({ invitationId: s.invC }));
  await both('reject again', 'c', 'POST', '/organization/reject-invitation', (s) => ({ invitationId: s.invC }));
  await both('reject unknown', 'c', 'POST', '/organization/reject-invitation', { invitationId: 'nope' });
  o = await both('invite c again', 'a', 'POST', '/organization/invite-member', { email: email('c'), role: 'member' });
  save(o, 'invC2', (j) => j.id);
  await both('cancel by an admin', 'b', 'POST', '/organization/cancel-invitation', (s) => ({ invitationId: s.invD }));
  await both('cancel unknown', 'b', 'POST', '/organization/cancel-invitation', { invitationId: 'nope' });
  await both('accept c', 'c', 'POST', '/organization/accept-invitation', (s) => ({ invitationId: s.invC2 }));
  await both('cancel by a member', 'c', 'POST', '/organization/cancel-invitation', (s) => ({ invitationId: s.invC2 }));
  await both('cancel an accepted one', 'a', 'POST', '/organization/cancel-invitation', (s) => ({ invitationId: s.invC2 }));
  // ---- members
  o = await both('list-members', 'a', 'GET', '/organization/list-members');
  save(o, 'mA', (j) => j.members[0].id);
  save(o, 'mB', (j) => j.members[1].id);
  save(o, 'mC', (j) => j.members[2].id);
  for (const q of ['limit=1&offset=1&sortBy=createdAt', 'limit=2&sortBy=createdAt&sortDirection=desc', 'sortBy=createdAt&sortDirection=desc', 'sortBy=role', 'filterField=role&filterValue=admin',
    'filterField=role&filterValue=ow&filterOperator=starts_with', 'filterField=role&filterValue=mem&filterOperator=contains',
    'filterField=role&filterValue=owner&filterOperator=ne', 'filterField=role&filterValue=owner&filterValue=admin&filterOperator=in',
    'filterField=role&filterValue=owner&filterValue=admin&filterOperator=not_in', 'filterField=role', 'limit=abc', 'limit=0',
    'offset=abc', 'limit=-1', 'limit=1.5', 'sortBy=bogus', 'filterField=bogus&filterValue=x',
    'filterField=role&filterValue=owner&filterOperator=in', 'limit=1&limit=2', 'sortDirection=up'])
    await both(`list-members ?${q}`, 'a', 'GET', `/organization/list-members?${q}`);
  // a limit below the member count picks members in Better Auth's heap order: not comparable
  for (const q of ['membersLimit=3', 'membersLimit=0', 'membersLimit=abc', 'membersLimit=-1', 'membersLimit=5x'])
    await both(`get-full ?${q}`, 'a', 'GET', `/organization/get-full-organization?${q}`);
  await both('get-active-member', 'a', 'GET', '/organization/get-active-member');
  await both('get-active-member-role', 'b', 'GET', '/organization/get-active-member-role');
  await both('get-active-member-role of b', 'a', 'GET', (s) => `/organization/get-active-member-role?userId=${s.b.id}`);
  await both('get-active-member-role of an outsider', 'a', 'GET', (s) => `/organization/get-active-member-role?userId=${s.d.id}`);
  await both('get-full by a member', 'c', 'GET', '/organization/get-full-organization');
  await both('update by a member', 'c', 'POST', '/organization/update', { data: { name: 'x' } });
  await both('delete by a member', 'c', 'POST', '/organization/delete', (s) => ({ organizationId: s.org }));
  await both('delete by an admin', 'b', 'POST', '/organization/delete', (s) => ({ organizationId: s.org }));
  await both('has-permission member', 'c', 'POST', '/organization/has-permission', { permissions: { organization: ['update'] } });
  await both('has-permission admin', 'b', 'POST', '/organization/has-permission', { permissions: { member: ['create', 'delete'], invitation: ['cancel'] } });
  await both('has-permission deprecated', 'b', 'POST', '/organization/has-permission', { permission: { member: ['create'] } });
  await both('has-permission {}', 'a', 'POST', '/organization/has-permission', { permissions: {} });
  await both('has-permission unknown resource', 'a', 'POST', '/organization/has-permission', { permissions: { organization: ['update'], billing: ['x'] } });
  await both('has-permission outsider', 'd', 'POST', '/organization/has-permission', (s) => ({ organizationId: s.org, permissions: { member: ['create'] } }));
  await both('admin demotes the owner', 'b', 'POST', '/organization/update-member-role', (s) => ({ memberId: s.mA, role: 'member' }));
  await both('admin grants owner', 'b', 'POST', '/organization/update-member-role', (s) => ({ memberId: s.mC, role: 'owner' }));
  await both('admin removes the owner', 'b', 'POST', '/organization/remove-member', (s) => ({ memberIdOrEmail: s.mA }));
  await both('admin removes the owner by email', 'b', 'POST', '/organization/remove-member', { memberIdOrEmail: email('a') });
  await both('member removes the admin', 'c', 'POST', '/organization/remove-member', (s) => ({ memberIdOrEmail: s.mB }));
  await both('last owner steps down', 'a', 'POST', '/organization/update-member-role', (s) => ({ memberId: s.mA, role: 'admin' }));
  await both('last owner leaves', 'a', 'POST', '/organization/leave', (s) => ({ organizationId: s.org }));
  await both('last owner removes itself', 'a', 'POST', '/organization/remove-member', (s) => ({ memberIdOrEmail: s.mA }));
  await both('unknown role', 'a', 'POST', '/organization/update-member-role', (s) => ({ memberId: s.mC, role: ['boss', 'x'] }));
  await both('empty role', 'a', 'POST', '/organization/update-member-role', (s) => ({ memberId: s.mC, role: '' }));
  await both('role list', 'a', 'POST', '/organization/update-member-role', (s) => ({ memberId: s.mC, role: ['admin', 'member'] }));
  await both('remove by email', 'b', 'POST', '/organization/remove-member', { memberIdOrEmail: email('c') });
  await both('remove unknown', 'b', 'POST', '/organization/remove-member', { memberIdOrEmail: 'nope' });
  await both('second owner', 'a', 'POST', '/organization/update-member-role', (s) => ({ memberId: s.mB, role: 'owner' }));
  await both('owner leaves', 'a', 'POST', '/organization/leave', (s) => ({ organizationId: s.org }));
  await both('get-session after leaving', 'a', 'GET', '/get-session');
  await both('get-full without an active one', 'a', 'GET', '/organization/get-full-organization');
  await both('get-full of a left one', 'a', 'GET', (s) => `/organization/get-full-organization?organizationId=${s.org}`);
  await both('get-active-member without one', 'a', 'GET', '/organization/get-active-member');
  // ---- another tenant's ids
  const foreign = [
    ['set-active', 'POST', '/organization/set-active', (s) => ({ organizationId: s.org })],
    ['set-active by slug', 'POST', '/organization/set-active', { organizationSlug: S }],
    ['get-organization', 'GET', (s) => `/organization/get-organization?organizationId=${s.org}`],
    ['get-full by slug', 'GET', `/organization/get-full-organization?organizationSlug=${S}`],
    ['list-members', 'GET', (s) => `/organization/list-members?organizationId=${s.org}`],
    ['list-invitations', 'GET', (s) => `/organization/list-invitations?organizationId=${s.org}`],
    ['get-active-member-role', 'GET', (s) => `/organization/get-active-member-role?organizationId=${s.org}`],
    ['update', 'POST', '/organization/update', (s) => ({ organizationId: s.org, data: { name: 'x' } })],
    ['delete', 'POST', '/organization/delete', (s) => ({ organizationId: s.org })],
    ['invite', 'POST', '/organization/invite-member', (s) => ({ organizationId: s.org, email: 'q@example.com', role: 'member' })],
    ['remove', 'POST', '/organization/remove-member', (s) => ({ organizationId: s.org, memberIdOrEmail: s.mB })],
    ['update-member-role', 'POST', '/organization/update-member-role', (s) => ({ organizationId: s.org, memberId: s.mB, role: 'member' })],
    ['leave', 'POST', '/organization/leave', (s) => ({ organizationId: s.org })],
    ['cancel', 'POST', '/organization/cancel-invitation', (s) => ({ invitationId: s.invC2 })],
  ];
  for (const [n, m, r, b] of foreign) await both(`outsider: ${n}`, 'd', m, r, b);
  o = await both('outsider creates its own', 'd', 'POST', '/organization/create', { name: 'Dee', slug: `dee-${tag}` });
  save(o, 'orgD', (j) => j.id);
  for (const [n, m, r, b] of foreign) await both(`owner of another: ${n}`, 'd', m, r, b);
  await both('outsider session', 'd', 'GET', '/get-session');
  // ---- set-active and delete
  o = await both('create, keep the active one', 'e', 'POST', '/organization/create', { name: 'E1', slug: `e1-${tag}`, keepCurrentActiveOrganization: true });
  save(o, 'orgE', (j) => j.id);
  await both('get-session: still none', 'e', 'GET', '/get-session');
  await both('set-active {} without one', 'e', 'POST', '/organization/set-active', {});
  await both('set-active null without one', 'e', 'POST', '/organization/set-active', { organizationId: null });
  await both('set-active by slug', 'e', 'POST', '/organization/set-active', { organizationSlug: `e1-${tag}` });
  await both('set-active {}', 'e', 'POST', '/organization/set-active', {});
  await both('set-active id and slug', 'e', 'POST', '/organization/set-active', (s) => ({ organizationId: s.orgE, organizationSlug: 'zzz' }));
  await both('set-active null', 'e', 'POST', '/organization/set-active', { organizationId: null });
  await both('set-active unknown', 'e', 'POST', '/organization/set-active', { organizationId: 'nope' });
  await both('set-active unknown slug', 'e', 'POST', '/organization/set-active', { organizationSlug: 'nope' });
  await both('delete: not found', 'e', 'POST', '/organization/delete', { organizationId: '' });
  await both('delete', 'b', 'POST', '/organization/delete', (s) => ({ organizationId: s.org }));
  await both('get-session after delete', 'b', 'GET', '/get-session');
  await both('list after delete', 'b', 'GET', '/organization/list');
  // ---- validation and no session
  const bad = [
    ['POST', '/organization/create', {}], ['POST', '/organization/create', { name: '', slug: 1 }],
    ['POST', '/organization/create', { name: 'x', slug: 'y', metadata: 'str', logo: 5, keepCurrentActiveOrganization: 'no' }],
    ['POST', '/organization/create', [1]], ['POST', '/organization/create', undefined],
    ['POST', '/organization/update', { data: { name: 5, slug: '', metadata: 3 } }], ['POST', '/organization/update', {}],
    ['POST', '/organization/update', { data: null, organizationId: 5 }], ['POST', '/organization/update', { data: [] }],
    ['POST', '/organization/invite-member', { email: 'x@y.com', role: 5 }],
    ['POST', '/organization/invite-member', { email: 'a', role: 'x', resend: 'yes', organizationId: 3, teamId: ['a', 1] }],
    ['POST', '/organization/has-permission', {}], ['POST', '/organization/has-permission', undefined],
    ['POST', '/organization/has-permission', { permissions: { member: 'x' } }],
    ['POST', '/organization/has-permission', { permissions: {}, permission: {} }],
    ['POST', '/organization/has-permission', { organizationId: 1 }],
    ['POST', '/organization/set-active', { organizationSlug: 5, organizationId: 6 }], ['POST', '/organization/set-active', undefined],
    ['POST', '/organization/update-member-role', { organizationId: 3 }], ['POST', '/organization/remove-member', { organizationId: 3 }],
    ['POST', '/organization/leave', {}], ['POST', '/organization/accept-invitation', { invitationId: 5 }],
    ['GET', '/organization/get-invitation'], ['GET', '/organization/get-invitation?id=a&id=b'],
    ['GET', '/organization/list-user-invitations?email=a&email=b'], ['GET', '/organization/list-user-invitations?email=a@b.co'],
    ['GET', '/organization/get-full-organization?organizationId=a&organizationId=b'],
    ['GET', '/organization/get-full-organization?membersLimit=1&membersLimit=2'],
    ['GET', '/organization/get-active-member-role?userId=1&userId=2'],
    ['GET', '/organization/list-members?filterOperator=zz'],
  ];
  for (const [m, r, b] of bad) await both(`bad input ${m} ${r} ${JSON.stringify(b)}`, 'e', m, r, b);
  const routes = [
    ['POST', '/organization/create', { name: 'n', slug: `n-${tag}` }], ['POST', '/organization/update', { data: { name: 'x' } }],
    ['POST', '/organization/delete', { organizationId: 'x' }], ['POST', '/organization/set-active', {}],
    ['POST', '/organization/check-slug', { slug: 'x' }], ['GET', '/organization/list'], ['GET', '/organization/get-full-organization'],
    ['GET', '/organization/get-organization'], ['POST', '/organization/invite-member', { email: 'a@b.co', role: 'member' }],
    ['POST', '/organization/accept-invitation', { invitationId: 'x' }], ['POST', '/organization/reject-invitation', { invitationId: 'x' }],
    ['POST', '/organization/cancel-invitation', { invitationId: 'x' }], ['GET', '/organization/get-invitation?id=x'],
    ['GET', '/organization/list-invitations'], ['GET', '/organization/list-user-invitations'],
    ['POST', '/organization/remove-member', { memberIdOrEmail: 'x' }], ['POST', '/organization/update-member-role', { memberId: 'x', role: 'member' }],
    ['GET', '/organization/get-active-member'], ['GET', '/organization/get-active-member-role'], ['GET', '/organization/list-members'],
    ['POST', '/organization/leave', { organizationId: 'x' }], ['POST', '/organization/has-permission', { permissions: { a: ['b'] } }],
    ['POST', '/organization/add-member', { userId: 'x', role: 'member' }], ['GET', '/organization/create'], ['POST', '/organization/list', {}],
  ];
  for (const [m, r, b] of routes) await both(`no session ${m} ${r}`, null, m, r, b);
  assert.ok(steps > 200, `${steps} steps compared`);
});
