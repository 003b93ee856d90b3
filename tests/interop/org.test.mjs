// The organization plugin (api/api_org.c, protocol.md §10): every endpoint through nginx with
// the real better-auth/client and its organizationClient, and @neondatabase/auth; the refusals
// (roles, last owner, other tenants, invitations for someone else or an unverified address,
// expired invitations, limits); the JWT's `o` claim after set-active on the very next token;
// row-level security on auth.organization_id() end to end; the audit trail; transactions.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthClient } from 'better-auth/client';
import { organizationClient } from 'better-auth/client/plugins';
import { createAuthClient as createNeonAuthClient } from '@neondatabase/auth';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { AUTH_URL, ORIGIN, Jar, call, sql, uniqueEmail, resetSettings, setSettings } from './lib.mjs';

const realFetch = globalThis.fetch;
const ORG_DEFAULTS = { enabled: true, organization_limit: 10, membership_limit: 100, creator_role: 'owner',
  send_invitation_email: false };

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

// plugin_configs.organization = the defaults with these keys changed (lib's sql() waits for the
// change to reach the workers)
function setOrg(changes = {}) {
  const v = JSON.stringify({ ...ORG_DEFAULTS, ...changes }).replace(/'/g, "''");
  sql(`UPDATE neon_auth.project_config SET plugin_configs =
       jsonb_set(coalesce(plugin_configs, '{}'::jsonb), '{organization}', '${v}'::jsonb)`);
}
function settings(obj) {
  if (obj) setSettings(obj); else resetSettings();
}

before(() => { resetSettings(); setOrg(); });
after(() => { resetSettings(); setOrg(); });

let seq = 0;
const slug = (tag) => `${tag}-${process.pid}-${Date.now()}-${++seq}`;

// a signed-up user: its jar, a better-auth client with organizationClient, and raw calls
async function person(tag, { verified = true } = {}) {
  const jar = new Jar();
  const email = uniqueEmail(tag);
  const r = await call('POST', '/sign-up/email', { jar, body: { email, password: 'correct-horse-battery', name: tag } });
  assert.equal(r.status, 200, r.text);
  if (verified) sql(`UPDATE neon_auth."user" SET "emailVerified" = true WHERE id = '${r.json.user.id}'`);
  const client = createAuthClient({ baseURL: AUTH_URL, plugins: [organizationClient()],
    fetchOptions: { customFetchImpl: browserFetch(jar) } });
  const api = (method, route, body) => call(method, route, { jar, body });
  return { jar, email, id: r.json.user.id, client, api };
}

const claims = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
const tokenOf = async (p) => (await call('GET', '/token', { jar: p.jar })).json.token;

function assertErr(r, status, code, message) {
  assert.equal(r.status, status, `${r.status} ${r.text}`);
  if (code !== undefined) assert.equal(r.json?.code, code ?? undefined, r.text);
  if (message !== undefined) assert.equal(r.json?.message, message, r.text);
}

// an organization with an owner, an admin and a member (all verified, invited and accepted)
async function team(tag) {
  const owner = await person(`${tag}-owner`), admin = await person(`${tag}-admin`), member = await person(`${tag}-member`);
  let r = await owner.api('POST', '/organization/create', { name: `Org ${tag}`, slug: slug(tag) });
  assert.equal(r.status, 200, r.text);
  const org = r.json;
  for (const [p, role] of [[admin, 'admin'], [member, 'member']]) {
    r = await owner.api('POST', '/organization/invite-member', { email: p.email, role, organizationId: org.id });
    assert.equal(r.status, 200, r.text);
    const acc = await p.api('POST', '/organization/accept-invitation', { invitationId: r.json.id });
    assert.equal(acc.status, 200, acc.text);
    p.memberId = acc.json.member.id;
  }
  owner.memberId = org.members[0].id;
  return { org, owner, admin, member };
}

test('better-auth/client organizationClient: the whole life of an organization', async () => {
  const owner = await person('life-owner'), bob = await person('life-bob');
  const c = owner.client.organization;
  const s = slug('life');

  let r = await c.checkSlug({ slug: s });
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.deepEqual(r.data, { status: true });

  r = await c.create({ name: 'Life Inc', slug: s, logo: 'https://example.com/l.png', metadata: { plan: 'pro', seats: 3 } });
  assert.equal(r.error, null, JSON.stringify(r.error));
  const org = r.data;
  assert.match(org.id, /^[0-9a-f-]{36}$/);
  assert.equal(org.name, 'Life Inc');
  assert.equal(org.slug, s);
  assert.equal(org.logo, 'https://example.com/l.png');
  assert.deepEqual(org.metadata, { plan: 'pro', seats: 3 }, 'create answers the parsed metadata');
  assert.ok(org.createdAt instanceof Date, 'dates revive into Date objects');
  assert.equal(org.members.length, 1);
  assert.deepEqual(Object.keys(org.members[0]).sort(), ['createdAt', 'id', 'organizationId', 'role', 'userId']);
  assert.equal(org.members[0].role, 'owner');
  assert.equal(org.members[0].userId, owner.id);

  r = await c.checkSlug({ slug: s });
  assert.equal(r.error.status, 400);
  assert.equal(r.error.code, 'ORGANIZATION_SLUG_ALREADY_TAKEN');
  r = await c.create({ name: 'Again', slug: s });
  assert.equal(r.error.code, 'ORGANIZATION_ALREADY_EXISTS');

  // the session's active organization is the new one: get-session shows it
  r = await owner.client.getSession();
  assert.equal(r.data.session.activeOrganizationId, org.id);

  r = await c.list();
  assert.equal(r.error, null);
  assert.equal(r.data.length, 1);
  assert.equal(r.data[0].metadata, '{"plan":"pro","seats":3}', 'list answers metadata as stored (a string)');

  r = await c.getFullOrganization();
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(r.data.id, org.id);
  assert.deepEqual(r.data.invitations, []);
  assert.equal(r.data.members.length, 1);
  assert.deepEqual(r.data.members[0].user, { id: owner.id, name: 'life-owner', email: owner.email, image: null });

  r = await c.update({ data: { name: 'Life Two', metadata: { plan: 'team' } } });
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(r.data.name, 'Life Two');
  assert.deepEqual(r.data.metadata, { plan: 'team' });

  r = await c.inviteMember({ email: bob.email, role: 'admin' });
  assert.equal(r.error, null, JSON.stringify(r.error));
  const inv = r.data;
  assert.equal(inv.status, 'pending');
  assert.equal(inv.role, 'admin');
  assert.equal(inv.inviterId, owner.id);
  assert.equal(inv.organizationId, org.id);
  assert.ok(inv.expiresAt instanceof Date);
  const hours = (inv.expiresAt - inv.createdAt) / 3600e3;
  assert.ok(hours > 47.9 && hours < 48.1, `invitations last 48 h by default (${hours})`);

  r = await c.listInvitations();
  assert.equal(r.error, null);
  assert.deepEqual(r.data.map((i) => i.id), [inv.id]);

  r = await bob.client.organization.listUserInvitations();
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(r.data.length, 1);
  assert.equal(r.data[0].organizationName, 'Life Two');

  r = await bob.client.organization.getInvitation({ query: { id: inv.id } });
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(r.data.organizationName, 'Life Two');
  assert.equal(r.data.organizationSlug, s);
  assert.equal(r.data.inviterEmail, owner.email);

  r = await bob.client.organization.acceptInvitation({ invitationId: inv.id });
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(r.data.invitation.status, 'accepted');
  assert.equal(r.data.member.role, 'admin');
  assert.equal(r.data.member.userId, bob.id);
  r = await bob.client.getSession();
  assert.equal(r.data.session.activeOrganizationId, org.id, 'accepting makes it the active organization');

  r = await bob.client.organization.getActiveMember();
  assert.equal(r.error, null);
  assert.equal(r.data.role, 'admin');
  assert.equal(r.data.user.email, bob.email);
  r = await bob.client.organization.getActiveMemberRole();
  assert.deepEqual(r.data, { role: 'admin' });
  r = await c.getActiveMemberRole({ query: { userId: bob.id } });
  assert.deepEqual(r.data, { role: 'admin' });

  r = await c.listMembers();
  assert.equal(r.error, null);
  assert.equal(r.data.total, 2);
  assert.deepEqual(r.data.members.map((m) => m.userId), [owner.id, bob.id]);
  r = await c.listMembers({ query: { limit: 1, offset: 1 } });
  assert.equal(r.data.total, 2);
  assert.deepEqual(r.data.members.map((m) => m.userId), [bob.id]);
  r = await c.listMembers({ query: { filterField: 'role', filterValue: 'admin' } });
  assert.equal(r.data.total, 1);
  r = await c.listMembers({ query: { sortBy: 'createdAt', sortDirection: 'desc' } });
  assert.deepEqual(r.data.members.map((m) => m.userId), [bob.id, owner.id]);

  r = await bob.client.organization.hasPermission({ permissions: { member: ['create', 'delete'], invitation: ['cancel'] } });
  assert.deepEqual(r.data, { error: null, success: true });
  r = await bob.client.organization.hasPermission({ permissions: { organization: ['delete'] } });
  assert.deepEqual(r.data, { error: null, success: false });

  const bobMember = (await c.listMembers()).data.members.find((m) => m.userId === bob.id);
  r = await c.updateMemberRole({ memberId: bobMember.id, role: ['member', 'admin'] });
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(r.data.role, 'member,admin');

  // a second invitation, rejected; a third, canceled
  const carol = await person('life-carol'), dan = await person('life-dan');
  r = await c.inviteMember({ email: carol.email, role: 'member' });
  r = await carol.client.organization.rejectInvitation({ invitationId: r.data.id });
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(r.data.invitation.status, 'rejected');
  assert.equal(r.data.member, null);
  r = await c.inviteMember({ email: dan.email, role: 'member' });
  r = await c.cancelInvitation({ invitationId: r.data.id });
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(r.data.status, 'canceled');

  r = await c.removeMember({ memberIdOrEmail: bob.email });
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(r.data.member.userId, bob.id);
  assert.equal(r.data.member.user.email, bob.email, 'removal by email answers the member with its user');

  r = await c.setActive({ organizationId: null });
  assert.equal(r.error, null);
  assert.equal(r.data, null);
  assert.equal((await owner.client.getSession()).data.session.activeOrganizationId, null);
  r = await c.setActive({ organizationSlug: s });
  assert.equal(r.data.id, org.id);

  r = await c.delete({ organizationId: org.id });
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(r.data.id, org.id);
  assert.equal(r.data.metadata, '{"plan":"team"}');
  assert.equal((await owner.client.getSession()).data.session.activeOrganizationId, null);
  assert.equal(sql(`SELECT count(*) FROM neon_auth.member WHERE "organizationId" = '${org.id}'`), '0');
  assert.equal(sql(`SELECT count(*) FROM neon_auth.invitation WHERE "organizationId" = '${org.id}'`), '0');
  r = await c.list();
  assert.deepEqual(r.data, []);
});

test('@neondatabase/auth: organizations through the SDK, the o claim in its session JWT', async () => {
  const jar = new Jar();
  globalThis.fetch = browserFetch(jar);
  try {
    const auth = createNeonAuthClient(AUTH_URL);
    const email = uniqueEmail('neon-org');
    let r = await auth.signUp.email({ email, password: 'correct-horse-battery', name: 'Neon Org' });
    assert.equal(r.error, null, JSON.stringify(r.error));
    const s = slug('neon');
    r = await auth.organization.create({ name: 'Neon Org', slug: s });
    assert.equal(r.error, null, JSON.stringify(r.error));
    const org = r.data;
    r = await auth.organization.list();
    assert.deepEqual(r.data.map((o) => o.id), [org.id]);
    r = await auth.organization.setActive({ organizationId: org.id });
    assert.equal(r.error, null, JSON.stringify(r.error));
    r = await auth.getSession({ fetchOptions: { headers: { 'X-Force-Fetch': 'true' } } });
    assert.equal(r.error, null, JSON.stringify(r.error));
    assert.equal(r.data.session.activeOrganizationId, org.id);
    assert.deepEqual(claims(r.data.session.token).o, { id: org.id, slug: s, role: 'owner' });
    r = await auth.organization.getFullOrganization();
    assert.equal(r.data.slug, s);
  } finally {
    globalThis.fetch = realFetch;
  }
});

test('roles: a member cannot update or delete; an admin cannot remove or demote the owner', async () => {
  const { org, owner, admin, member } = await team('roles');
  assertErr(await member.api('POST', '/organization/update', { organizationId: org.id, data: { name: 'x' } }),
    403, 'YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_ORGANIZATION', 'You are not allowed to update this organization');
  assertErr(await member.api('POST', '/organization/delete', { organizationId: org.id }),
    403, 'YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_ORGANIZATION', 'You are not allowed to delete this organization');
  assertErr(await admin.api('POST', '/organization/delete', { organizationId: org.id }),
    403, 'YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_ORGANIZATION');
  assertErr(await member.api('POST', '/organization/invite-member', { organizationId: org.id, email: uniqueEmail('x'), role: 'member' }),
    403, 'YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION');
  assertErr(await member.api('POST', '/organization/remove-member', { organizationId: org.id, memberIdOrEmail: admin.memberId }),
    401, 'YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_MEMBER', 'You are not allowed to delete this member');
  assertErr(await member.api('POST', '/organization/update-member-role', { organizationId: org.id, memberId: admin.memberId, role: 'member' }),
    403, 'YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER');
  assertErr(await member.api('GET', `/organization/list-invitations?organizationId=${org.id}`),
    403, 'YOU_ARE_NOT_ALLOWED_TO_LIST_INVITATIONS', 'You are not allowed to list invitations for this organization');
  // the admin may update the organization, not touch the owner
  let r = await admin.api('POST', '/organization/update', { organizationId: org.id, data: { name: 'By Admin' } });
  assert.equal(r.status, 200, r.text);
  assertErr(await admin.api('POST', '/organization/remove-member', { organizationId: org.id, memberIdOrEmail: owner.memberId }),
    400, 'YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER');
  assertErr(await admin.api('POST', '/organization/remove-member', { organizationId: org.id, memberIdOrEmail: owner.email }),
    400, 'YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER');
  assertErr(await admin.api('POST', '/organization/update-member-role', { organizationId: org.id, memberId: owner.memberId, role: 'member' }),
    403, 'YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER', 'You are not allowed to update this member');
  assertErr(await admin.api('POST', '/organization/update-member-role', { organizationId: org.id, memberId: member.memberId, role: 'owner' }),
    403, 'YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER');
  assertErr(await admin.api('POST', '/organization/invite-member', { organizationId: org.id, email: uniqueEmail('x'), role: 'owner' }),
    403, 'YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE', 'You are not allowed to invite a user with this role');
  assert.equal(sql(`SELECT role FROM neon_auth.member WHERE id = '${owner.memberId}'`), 'owner');
  // the admin may manage members
  r = await admin.api('POST', '/organization/update-member-role', { organizationId: org.id, memberId: member.memberId, role: 'admin' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.role, 'admin');
  assertErr(await admin.api('POST', '/organization/update-member-role', { organizationId: org.id, memberId: member.memberId, role: 'boss' }),
    400, 'ROLE_NOT_FOUND', 'ROLE_NOT_FOUND: boss');
  r = await admin.api('POST', '/organization/remove-member', { organizationId: org.id, memberIdOrEmail: member.memberId });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.member.id, member.memberId);
  assert.equal(r.json.member.user, undefined, 'removal by id answers the member without its user');
  // the admin sees invitations, but not those that grant the owner role
  r = await owner.api('POST', '/organization/invite-member', { organizationId: org.id, email: uniqueEmail('own'), role: 'owner' });
  assert.equal(r.status, 200, r.text);
  const ownerInv = r.json.id;
  r = await owner.api('POST', '/organization/invite-member', { organizationId: org.id, email: uniqueEmail('mem'), role: 'member' });
  const memberInv = r.json.id;
  r = await admin.api('GET', `/organization/list-invitations?organizationId=${org.id}`);
  assert.ok(r.json.some((i) => i.id === memberInv));
  assert.ok(!r.json.some((i) => i.id === ownerInv));
  r = await admin.api('GET', `/organization/get-full-organization?organizationId=${org.id}`);
  assert.ok(!r.json.invitations.some((i) => i.id === ownerInv));
  r = await owner.api('GET', `/organization/get-full-organization?organizationId=${org.id}`);
  assert.ok(r.json.invitations.some((i) => i.id === ownerInv));
});

test('the last owner cannot leave, be removed or step down; with two, one may go', async () => {
  const { org, owner, admin } = await team('last');
  assertErr(await owner.api('POST', '/organization/leave', { organizationId: org.id }),
    400, 'YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER', 'You cannot leave the organization as the only owner');
  assertErr(await owner.api('POST', '/organization/remove-member', { organizationId: org.id, memberIdOrEmail: owner.memberId }),
    400, 'YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER');
  assertErr(await owner.api('POST', '/organization/update-member-role', { organizationId: org.id, memberId: owner.memberId, role: 'admin' }),
    400, 'YOU_CANNOT_LEAVE_THE_ORGANIZATION_WITHOUT_AN_OWNER', 'You cannot leave the organization without an owner');
  // a second owner
  let r = await owner.api('POST', '/organization/update-member-role', { organizationId: org.id, memberId: admin.memberId, role: 'owner' });
  assert.equal(r.status, 200, r.text);
  // both owners leave at once: exactly one of them may
  const [a, b] = await Promise.all([owner.api('POST', '/organization/leave', { organizationId: org.id }),
    admin.api('POST', '/organization/leave', { organizationId: org.id })]);
  assert.deepEqual([a.status, b.status].sort(), [200, 400], `${a.text} ${b.text}`);
  assert.equal(sql(`SELECT count(*) FROM neon_auth.member WHERE "organizationId" = '${org.id}' AND role = 'owner'`), '1');
  const left = a.status === 200 ? a : b;
  assert.equal(left.json.user.id, left === a ? owner.id : admin.id, 'leave answers the member with its user');
  const leaver = left === a ? owner : admin;
  r = await call('GET', '/get-session', { jar: leaver.jar });
  assert.equal(r.json.session.activeOrganizationId === org.id, false, 'leaving clears the active organization');
});

test('no cross-tenant read or write through any endpoint', async () => {
  const a = await team('tenant-a');
  const b = await team('tenant-b');
  const outsider = await person('tenant-out');
  const B = b.org;
  let r = await b.owner.api('POST', '/organization/invite-member', { organizationId: B.id, email: uniqueEmail('binv'), role: 'member' });
  const bInv = r.json.id;
  const secret = [B.name, B.slug, b.owner.email, b.member.email, bInv];
  const noLeak = (res, what) => {
    for (const s of secret) assert.ok(!res.text.includes(s), `${what} leaks ${s}: ${res.text}`);
  };
  // an outsider, and an owner of another organization, each with B's ids
  for (const [who, p] of [['outsider', outsider], ['owner of A', a.owner]]) {
    const tries = [
      ['GET', `/organization/get-organization?organizationId=${B.id}`, undefined, 403, 'USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION'],
      ['GET', `/organization/get-organization?organizationSlug=${B.slug}`, undefined, 403, 'USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION'],
      ['GET', `/organization/get-full-organization?organizationId=${B.id}`, undefined, 403, 'USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION'],
      ['GET', `/organization/get-full-organization?organizationSlug=${B.slug}`, undefined, 403, 'USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION'],
      ['POST', '/organization/set-active', { organizationId: B.id }, 403, 'USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION'],
      ['POST', '/organization/set-active', { organizationSlug: B.slug }, 403, 'USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION'],
      ['GET', `/organization/list-members?organizationId=${B.id}`, undefined, 403, 'YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION'],
      ['GET', `/organization/list-members?organizationSlug=${B.slug}`, undefined, 403, 'YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION'],
      ['GET', `/organization/get-active-member-role?organizationId=${B.id}`, undefined, 403, 'YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION'],
      ['GET', `/organization/get-active-member-role?organizationId=${B.id}&userId=${b.owner.id}`, undefined, 403, 'YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION'],
      ['GET', `/organization/list-invitations?organizationId=${B.id}`, undefined, 403, undefined],
      ['POST', '/organization/update', { organizationId: B.id, data: { name: 'pwned' } }, 400, 'USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION'],
      ['POST', '/organization/delete', { organizationId: B.id }, 400, 'USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION'],
      ['POST', '/organization/invite-member', { organizationId: B.id, email: uniqueEmail('evil'), role: 'member' }, 400, 'MEMBER_NOT_FOUND'],
      ['POST', '/organization/remove-member', { organizationId: B.id, memberIdOrEmail: b.member.memberId }, 400, 'MEMBER_NOT_FOUND'],
      ['POST', '/organization/remove-member', { organizationId: B.id, memberIdOrEmail: b.member.email }, 400, 'MEMBER_NOT_FOUND'],
      ['POST', '/organization/update-member-role', { organizationId: B.id, memberId: b.member.memberId, role: 'admin' }, 400, 'MEMBER_NOT_FOUND'],
      ['POST', '/organization/leave', { organizationId: B.id }, 400, 'MEMBER_NOT_FOUND'],
      ['POST', '/organization/has-permission', { organizationId: B.id, permissions: { member: ['create'] } }, 401, 'USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION'],
      ['POST', '/organization/cancel-invitation', { invitationId: bInv }, 400, 'MEMBER_NOT_FOUND'],
      ['GET', `/organization/get-invitation?id=${bInv}`, undefined, 403, 'YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION'],
      ['POST', '/organization/accept-invitation', { invitationId: bInv }, 403, 'YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION'],
      ['POST', '/organization/reject-invitation', { invitationId: bInv }, 403, 'YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION'],
    ];
    for (const [m, route, body, status, code] of tries) {
      r = await p.api(m, route, body);
      assert.equal(r.status, status, `${who} ${m} ${route}: ${r.status} ${r.text}`);
      if (code) assert.equal(r.json.code, code, `${who} ${route}`);
      noLeak(r, `${who} ${route}`);
    }
    // its own lists show nothing of B
    for (const route of ['/organization/list', '/organization/list-user-invitations', '/organization/get-full-organization',
      '/organization/list-members', '/organization/list-invitations', '/get-session'])
      noLeak(await p.api('GET', route), `${who} ${route}`);
  }
  // A's admin acting in A on B's members and invitations
  r = await a.admin.api('POST', '/organization/remove-member', { organizationId: a.org.id, memberIdOrEmail: b.member.memberId });
  assertErr(r, 400, 'MEMBER_NOT_FOUND');
  r = await a.admin.api('POST', '/organization/remove-member', { organizationId: a.org.id, memberIdOrEmail: b.member.email });
  assertErr(r, 400, 'MEMBER_NOT_FOUND');
  r = await a.admin.api('POST', '/organization/update-member-role', { organizationId: a.org.id, memberId: b.member.memberId, role: 'admin' });
  assertErr(r, 403, 'YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER');
  noLeak(r, 'update-member-role');
  r = await a.admin.api('POST', '/organization/cancel-invitation', { invitationId: bInv });
  assertErr(r, 400, 'MEMBER_NOT_FOUND');
  // B is untouched
  r = await b.owner.api('GET', `/organization/get-full-organization?organizationId=${B.id}`);
  assert.equal(r.status, 200);
  assert.equal(r.json.name, B.name);
  assert.equal(r.json.members.length, 3);
  assert.deepEqual(r.json.members.map((m) => m.role).sort(), ['admin', 'member', 'owner']);
  assert.equal(r.json.invitations.find((i) => i.id === bInv).status, 'pending');
});

test('invitations: only the invited, verified address accepts; expiry; re-invites', async () => {
  const { org, owner, member } = await team('inv');
  const unverified = await person('inv-unverified', { verified: false });
  const other = await person('inv-other');
  let r = await owner.api('POST', '/organization/invite-member', { organizationId: org.id, email: unverified.email.toUpperCase(), role: 'member' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.email, unverified.email, 'the address is stored lower-cased');
  const inv = r.json.id;
  // a different signed-in user
  assertErr(await other.api('POST', '/organization/accept-invitation', { invitationId: inv }),
    403, 'YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION', 'You are not the recipient of the invitation');
  assertErr(await other.api('POST', '/organization/reject-invitation', { invitationId: inv }),
    403, 'YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION');
  assertErr(await other.api('GET', `/organization/get-invitation?id=${inv}`), 403, 'YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION');
  // the right address, not verified
  assertErr(await unverified.api('POST', '/organization/accept-invitation', { invitationId: inv }),
    403, 'EMAIL_VERIFICATION_REQUIRED_BEFORE_ACCEPTING_OR_REJECTING_INVITATION',
    'Email verification required before accepting or rejecting invitation');
  assertErr(await unverified.api('POST', '/organization/reject-invitation', { invitationId: inv }),
    403, 'EMAIL_VERIFICATION_REQUIRED_BEFORE_ACCEPTING_OR_REJECTING_INVITATION');
  assertErr(await unverified.api('GET', `/organization/get-invitation?id=${inv}`),
    403, 'EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION', 'Email verification required to view or list invitations for the session email');
  assertErr(await unverified.api('GET', '/organization/list-user-invitations'), 403, 'EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION');
  // no session at all
  assertErr(await call('POST', '/organization/accept-invitation', { body: { invitationId: inv } }), 401, 'UNAUTHORIZED');
  assertErr(await call('GET', `/organization/get-invitation?id=${inv}`), 401, undefined, 'Not authenticated');
  assert.equal(sql(`SELECT status FROM neon_auth.invitation WHERE id = '${inv}'`), 'pending');
  assert.equal(sql(`SELECT count(*) FROM neon_auth.member WHERE "userId" = '${unverified.id}'`), '0');
  // refusals are audited with their code
  assert.match(sql(`SELECT string_agg(outcome, ',' ORDER BY id) FROM neon_auth.audit_log
    WHERE user_id = '${unverified.id}' AND event = 'org_invitation_accept'`), /EMAIL_VERIFICATION_REQUIRED_BEFORE_ACCEPTING_OR_REJECTING_INVITATION/);

  // re-invites: pending -> refused, resend -> same invitation with a later expiry
  assertErr(await owner.api('POST', '/organization/invite-member', { organizationId: org.id, email: unverified.email, role: 'member' }),
    400, 'USER_IS_ALREADY_INVITED_TO_THIS_ORGANIZATION', 'User is already invited to this organization');
  sql(`UPDATE neon_auth.invitation SET "expiresAt" = now() + interval '1 hour' WHERE id = '${inv}'`);
  r = await owner.api('POST', '/organization/invite-member', { organizationId: org.id, email: unverified.email, role: 'member', resend: true });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.id, inv);
  assert.ok(new Date(r.json.expiresAt) - Date.now() > 47 * 3600e3, 'resend renews the expiry');
  assertErr(await owner.api('POST', '/organization/invite-member', { organizationId: org.id, email: member.email, role: 'member' }),
    400, 'USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION', 'User is already a member of this organization');
  assertErr(await owner.api('POST', '/organization/invite-member', { organizationId: org.id, email: 'not-an-email', role: 'member' }),
    400, 'INVALID_EMAIL');
  r = await owner.api('POST', '/organization/invite-member', { organizationId: org.id, email: uniqueEmail('r'), role: 'ruler' });
  assert.equal(r.status, 400);
  assert.deepEqual(r.json, { message: 'ROLE_NOT_FOUND: ruler' });

  // once verified, the invitee accepts
  sql(`UPDATE neon_auth."user" SET "emailVerified" = true WHERE id = '${unverified.id}'`);
  r = await unverified.api('GET', '/organization/list-user-invitations');
  assert.deepEqual(r.json.map((i) => i.id), [inv]);
  r = await unverified.api('POST', '/organization/accept-invitation', { invitationId: inv });
  assert.equal(r.status, 200, r.text);
  assertErr(await unverified.api('POST', '/organization/accept-invitation', { invitationId: inv }), 400, 'INVITATION_NOT_FOUND');
  assertErr(await unverified.api('POST', '/organization/reject-invitation', { invitationId: inv }), 400, 'INVITATION_NOT_FOUND', 'Invitation not found!');

  // an expired invitation cannot be accepted (nor viewed)
  r = await owner.api('POST', '/organization/invite-member', { organizationId: org.id, email: other.email, role: 'member' });
  const late = r.json.id;
  sql(`UPDATE neon_auth.invitation SET "expiresAt" = now() - interval '1 minute' WHERE id = '${late}'`);
  assertErr(await other.api('POST', '/organization/accept-invitation', { invitationId: late }), 400, 'INVITATION_NOT_FOUND', 'Invitation not found');
  assertErr(await other.api('GET', `/organization/get-invitation?id=${late}`), 400, 'INVITATION_NOT_FOUND');
  assert.equal(sql(`SELECT count(*) FROM neon_auth.member WHERE "userId" = '${other.id}'`), '0');
  // the expired one does not block a new invitation
  r = await owner.api('POST', '/organization/invite-member', { organizationId: org.id, email: other.email, role: 'member' });
  assert.equal(r.status, 200, r.text);
  assert.notEqual(r.json.id, late);
  // a canceled one cannot be accepted either
  await owner.api('POST', '/organization/cancel-invitation', { invitationId: r.json.id });
  assertErr(await other.api('POST', '/organization/accept-invitation', { invitationId: r.json.id }), 400, 'INVITATION_NOT_FOUND');
  // an inviter who left: the invitation can no longer be viewed
  r = await member.api('POST', '/organization/leave', { organizationId: org.id });
  assert.equal(r.status, 200, r.text);
  // the invitation lifetime is the branch's (settings.lifetimes.invitation)
  settings({ lifetimes: { invitation: 3600 } });
  r = await owner.api('POST', '/organization/invite-member', { organizationId: org.id, email: uniqueEmail('short'), role: 'member' });
  const mins = (new Date(r.json.expiresAt) - new Date(r.json.createdAt)) / 60e3;
  assert.ok(mins > 59 && mins < 61, `settings.lifetimes.invitation (${mins} min)`);
  settings();
});

test('the o claim follows set-active on the very next token and set-auth-jwt', async () => {
  const { org, owner, admin } = await team('claim');
  const jwks = createRemoteJWKSet(new URL(`${AUTH_URL}/jwks`));
  let r = await owner.api('POST', '/organization/create', { name: 'Second', slug: slug('second') });
  const second = r.json;
  let c = claims(await tokenOf(owner));
  assert.deepEqual(c.o, { id: second.id, slug: second.slug, role: 'owner' }, 'create made the new one active');
  r = await owner.api('POST', '/organization/set-active', { organizationId: org.id });
  assert.equal(r.status, 200, r.text);
  const tok = await tokenOf(owner);
  const { payload } = await jwtVerify(tok, jwks, { issuer: new URL(AUTH_URL).origin, audience: new URL(AUTH_URL).origin });
  assert.deepEqual(payload.o, { id: org.id, slug: org.slug, role: 'owner' });
  r = await call('GET', '/get-session', { jar: owner.jar });
  assert.deepEqual(claims(r.headers.get('set-auth-jwt')).o, { id: org.id, slug: org.slug, role: 'owner' });
  r = await owner.api('POST', '/organization/set-active', { organizationId: second.id });
  assert.equal(claims(await tokenOf(owner)).o.id, second.id);
  r = await owner.api('POST', '/organization/set-active', { organizationId: null });
  assert.equal(claims(await tokenOf(owner)).o, undefined, 'no active organization, no o');
  // a role change shows in the member's next token
  assert.equal(claims(await tokenOf(admin)).o.role, 'admin');
  r = await owner.api('POST', '/organization/update-member-role', { organizationId: org.id, memberId: admin.memberId, role: 'member' });
  assert.equal(r.status, 200, r.text);
  assert.equal(claims(await tokenOf(admin)).o.role, 'member');
  // so does a removal
  r = await owner.api('POST', '/organization/remove-member', { organizationId: org.id, memberIdOrEmail: admin.memberId });
  assert.equal(r.status, 200, r.text);
  assert.equal(claims(await tokenOf(admin)).o, undefined);
  // and the plugin switched off for the branch
  r = await owner.api('POST', '/organization/set-active', { organizationId: org.id });
  assert.ok(claims(await tokenOf(owner)).o);
  setOrg({ enabled: false });
  try {
    assert.equal(claims(await tokenOf(owner)).o, undefined);
    for (const route of ['/organization/list', '/organization/get-full-organization'])
      assert.equal((await owner.api('GET', route)).status, 404);
    r = await owner.api('POST', '/organization/create', { name: 'x', slug: slug('off') });
    assert.equal(r.status, 404);
    assert.equal(r.text, '');
  } finally {
    setOrg();
  }
});

test('row-level security on auth.organization_id() with the JWT claims, end to end', async () => {
  const a = await team('rls-a');
  const b = await team('rls-b');
  // b's owner joins a too, so it has two organizations to switch between
  let r = await a.owner.api('POST', '/organization/invite-member', { organizationId: a.org.id, email: b.owner.email, role: 'member' });
  r = await b.owner.api('POST', '/organization/accept-invitation', { invitationId: r.json.id });
  assert.equal(r.status, 200, r.text);
  const t = `org_notes_${process.pid}`;
  sql(`CREATE TABLE public.${t} (org uuid NOT NULL, body text NOT NULL);
       ALTER TABLE public.${t} ENABLE ROW LEVEL SECURITY;
       CREATE POLICY tenant ON public.${t} TO authenticated USING (org = auth.organization_id());
       GRANT SELECT ON public.${t} TO authenticated;
       INSERT INTO public.${t} VALUES ('${a.org.id}', 'note of a'), ('${b.org.id}', 'note of b')`);
  // what PostgREST does with a verified token: the role and request.jwt.claims
  const jwks = createRemoteJWKSet(new URL(`${AUTH_URL}/jwks`));
  const readAs = async (p) => {
    const { payload } = await jwtVerify(await tokenOf(p), jwks);
    const claimsText = JSON.stringify(payload).replace(/'/g, "''");
    return sql(`BEGIN; SET LOCAL ROLE authenticated;
      SELECT set_config('request.jwt.claims', '${claimsText}', true);
      SELECT 'rows:' || coalesce(string_agg(body, ',' ORDER BY body), '') FROM public.${t}; COMMIT`)
      .split('\n').find((l) => l.startsWith('rows:')).slice(5);
  };
  try {
    assert.equal(await readAs(b.owner), 'note of a', 'accepting made a active');
    r = await b.owner.api('POST', '/organization/set-active', { organizationId: b.org.id });
    assert.equal(await readAs(b.owner), 'note of b', 'the next token reads the other tenant');
    assert.equal(await readAs(a.member), 'note of a');
    await b.owner.api('POST', '/organization/set-active', { organizationId: null });
    assert.equal(await readAs(b.owner), '', 'no active organization, no rows');
  } finally {
    sql(`DROP TABLE public.${t}`);
  }
});

test('limits and the creator role come from plugin_configs.organization', async () => {
  try {
    setOrg({ organization_limit: 1, membership_limit: 2, creator_role: 'admin' });
    const boss = await person('limit-boss'), x = await person('limit-x'), y = await person('limit-y');
    let r = await boss.api('POST', '/organization/create', { name: 'Limited', slug: slug('lim') });
    assert.equal(r.status, 200, r.text);
    const org = r.json;
    assert.equal(org.members[0].role, 'admin', 'creator_role');
    assertErr(await boss.api('POST', '/organization/create', { name: 'Two', slug: slug('lim2') }),
      403, 'YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_ORGANIZATIONS', 'You have reached the maximum number of organizations');
    // the creator role is the one only its holders hand out, and the last one stays
    assertErr(await boss.api('POST', '/organization/leave', { organizationId: org.id }), 400, 'YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER');
    const ix = (await boss.api('POST', '/organization/invite-member', { organizationId: org.id, email: x.email, role: 'member' })).json.id;
    const iy = (await boss.api('POST', '/organization/invite-member', { organizationId: org.id, email: y.email, role: 'member' })).json.id;
    r = await x.api('POST', '/organization/accept-invitation', { invitationId: ix });
    assert.equal(r.status, 200, r.text);
    assertErr(await y.api('POST', '/organization/accept-invitation', { invitationId: iy }),
      403, 'ORGANIZATION_MEMBERSHIP_LIMIT_REACHED', 'Organization membership limit reached');
    assert.equal(sql(`SELECT status FROM neon_auth.invitation WHERE id = '${iy}'`), 'pending', 'a refused accept changes nothing');
    assert.equal(sql(`SELECT count(*) FROM neon_auth.member WHERE "organizationId" = '${org.id}'`), '2');
  } finally {
    setOrg();
  }
});

test('the config command validates plugin_configs.organization', async () => {
  const { execFileSync } = await import('node:child_process');
  const { BIN, CONF } = await import('./lib.mjs');
  const set = (v) => {
    try {
      execFileSync(BIN, ['config', 'set', 'main', 'plugin_configs', v, '-c', CONF], { encoding: 'utf8', stdio: 'pipe' });
      return 'ok';
    } catch (e) {
      return String(e.stderr || e.stdout);
    }
  };
  const before = sql('SELECT plugin_configs::text FROM neon_auth.project_config');
  try {
    assert.match(set('{"organization":{"creator_role":"boss"}}'), /creator_role/);
    assert.match(set('{"organization":{"membership_limit":0}}'), /membership_limit/);
    assert.match(set('{"organization":{"teams":true}}'), /organization.teams: unknown key/);
    assert.match(set('{"organization":5}'), /must be an object/);
    assert.equal(set('{"organization":{"enabled":true,"organization_limit":3,"creator_role":"admin"}}'), 'ok');
  } finally {
    sql(`UPDATE neon_auth.project_config SET plugin_configs = '${before.replace(/'/g, "''")}'::jsonb`);
  }
});

test('with the cookie cache on, get-session from the cookie shows the new active organization', async () => {
  settings({ session: { cookie_cache: true } });
  try {
    const p = await person('cache');
    let r = await p.api('POST', '/organization/create', { name: 'Cached', slug: slug('cache') });
    assert.equal(r.status, 200, r.text);
    const org = r.json;
    assert.ok([...p.jar.cookies.keys()].some((k) => k.endsWith('session_data')), 'the cache cookie was renewed');
    r = await call('GET', '/get-session', { jar: p.jar });
    assert.equal(r.json.session.activeOrganizationId, org.id);
    await p.api('POST', '/organization/set-active', { organizationId: null });
    r = await call('GET', '/get-session', { jar: p.jar });
    assert.equal(r.json.session.activeOrganizationId, null);
  } finally {
    settings();
  }
});

test('audit trail: membership, roles and invitations, in the transaction of the change', async () => {
  const { org, owner, admin, member } = await team('audit');
  await owner.api('POST', '/organization/update-member-role', { organizationId: org.id, memberId: member.memberId, role: 'admin' });
  await admin.api('POST', '/organization/remove-member', { organizationId: org.id, memberIdOrEmail: member.memberId });
  const ev = (uid) => sql(`SELECT string_agg(event || ':' || outcome, ',' ORDER BY id) FROM neon_auth.audit_log
    WHERE user_id = '${uid}' AND event LIKE 'org_%'`);
  assert.equal(ev(owner.id), 'org_create:success');
  assert.equal(ev(member.id), 'org_invitation_accept:success,org_member_role:success,org_member_remove:success');
  const row = JSON.parse(sql(`SELECT json_build_object('actor', actor_id, 'data', data) FROM neon_auth.audit_log
    WHERE user_id = '${member.id}' AND event = 'org_member_remove'`));
  assert.equal(row.actor, admin.id);
  assert.equal(row.data.organization_id, org.id);
  const invites = sql(`SELECT count(*) FROM neon_auth.audit_log WHERE actor_id = '${owner.id}' AND event = 'org_invitation_create'`);
  assert.equal(invites, '2');
  // invitation ids are links: never in the trail
  const all = sql(`SELECT coalesce(string_agg(data::text, ' '), '') FROM neon_auth.audit_log WHERE event LIKE 'org_invitation%'`);
  const ids = sql(`SELECT coalesce(string_agg(id::text, ' '), '') FROM neon_auth.invitation WHERE "organizationId" = '${org.id}'`);
  for (const id of ids.split(' ').filter(Boolean)) assert.ok(!all.includes(id), 'an invitation id in the audit trail');
});

test('deleting an organization clears it as every member\'s active organization', async () => {
  const { org, owner, admin, member } = await team('del');
  for (const p of [admin, member])
    assert.equal((await call('GET', '/get-session', { jar: p.jar })).json.session.activeOrganizationId, org.id);
  const jwtBefore = await tokenOf(member);
  assert.equal(claims(jwtBefore).o.id, org.id);
  const r = await owner.api('POST', '/organization/delete', { organizationId: org.id });
  assert.equal(r.status, 200, r.text);
  for (const p of [owner, admin, member])
    assert.equal((await call('GET', '/get-session', { jar: p.jar })).json.session.activeOrganizationId, null);
  assert.equal(claims(await tokenOf(member)).o, undefined, 'and from their next token');
  assert.equal(sql(`SELECT count(*) FROM neon_auth.organization WHERE id = '${org.id}'`), '0');
});

test('bad input: the protocol\'s errors, never a crash', async () => {
  const p = await person('bad');
  const org = (await p.api('POST', '/organization/create', { name: 'Bad', slug: slug('bad') })).json;
  const cases = [
    ['POST', '/organization/create', {}, '[body.name] Invalid input: expected string, received undefined; [body.slug] Invalid input: expected string, received undefined'],
    ['POST', '/organization/create', { name: '', slug: 5 }, '[body.name] Too small: expected string to have >=1 characters; [body.slug] Invalid input: expected string, received number'],
    ['POST', '/organization/create', { name: 'x', slug: 'y', metadata: [1], logo: 5 }, '[body.logo] Invalid input: expected string, received number; [body.metadata] Invalid input: expected record, received array'],
    ['POST', '/organization/update', { data: { name: 5, slug: '' }, organizationId: 1 }, '[body.data.name] Invalid input: expected string, received number; [body.data.slug] Too small: expected string to have >=1 characters; [body.organizationId] Invalid input: expected string, received number'],
    ['POST', '/organization/update', {}, '[body.data] Invalid input: expected object, received undefined'],
    ['POST', '/organization/invite-member', { email: 'a@b.co', role: [1] }, '[body.role] Invalid input'],
    ['POST', '/organization/has-permission', {}, '[body] Invalid input'],
    ['POST', '/organization/has-permission', { permission: {}, permissions: {} }, '[body] Invalid input: more than one option matched'],
    ['POST', '/organization/set-active', { organizationId: 5 }, '[body.organizationId] Invalid input: expected string, received number'],
    ['GET', '/organization/get-invitation', undefined, '[query.id] Invalid input: expected string, received undefined'],
    ['GET', '/organization/list-members?sortDirection=up', undefined, '[query.sortDirection] Invalid option: expected one of "asc"|"desc"'],
    ['GET', '/organization/get-full-organization?organizationId=a&organizationId=b', undefined, '[query.organizationId] Invalid input: expected string, received array'],
  ];
  for (const [m, route, body, message] of cases) {
    const r = await p.api(m, route, body);
    assert.equal(r.status, 400, `${route}: ${r.text}`);
    assert.deepEqual(r.json, { message, code: 'VALIDATION_ERROR' }, route);
  }
  // ids that are not uuids name nothing
  assertErr(await p.api('POST', '/organization/set-active', { organizationId: "x' OR 1=1 --" }), 403, 'USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION');
  assertErr(await p.api('POST', '/organization/accept-invitation', { invitationId: 'nope' }), 400, 'INVITATION_NOT_FOUND');
  assertErr(await p.api('GET', `/organization/list-members?organizationId=${org.id}&sortBy=password`), 500);
  // a long name and deep metadata are data, not a problem
  let r = await p.api('POST', '/organization/update', { organizationId: org.id, data: { name: 'n'.repeat(5000), metadata: { a: { b: { c: [1, 'two', null, true] } } } } });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.metadata, { a: { b: { c: [1, 'two', null, true] } } });
  // no session: Better Auth's answers
  assert.equal((await call('POST', '/organization/create', { body: { name: 'a', slug: slug('n') } })).status, 401);
  assertErr(await call('POST', '/organization/update', { body: { data: { name: 'a' } } }), 401, undefined, 'User not found');
  assertErr(await call('GET', '/organization/list'), 401, 'UNAUTHORIZED');
  assertErr(await call('GET', '/organization/list-user-invitations'), 400, undefined, 'Missing session headers, or email query parameter.');
  assertErr(await p.api('GET', '/organization/list-user-invitations?email=a@b.co'), 400, undefined, 'User email cannot be passed for client side API calls.');
  // add-member is server-only in Better Auth: no HTTP route
  r = await p.api('POST', '/organization/add-member', { userId: p.id, role: 'member', organizationId: org.id });
  assert.equal(r.status, 404);
  assert.equal(r.text, '');
});
