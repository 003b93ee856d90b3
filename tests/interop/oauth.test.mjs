// The oauth group (api/api_oauth.c): social sign-in through a real OpenID
// Connect provider and a GitHub-shaped server on loopback, linked accounts
// (spec/protocol.md §1.3, §1.4, §1.23-§1.26, §8; neon.md §8).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { ISO, Jar, call, signUp, resetSettings } from './lib.mjs';

before(() => resetSettings());

test('list-accounts: the credential account, 401 without a session', async () => {
  const jar = new Jar();
  const { user } = await signUp(jar);
  let r = await call('GET', '/list-accounts', { jar });
  assert.equal(r.status, 200);
  assert.equal(r.json.length, 1);
  const a = r.json[0];
  assert.deepEqual(Object.keys(a), ['id', 'providerId', 'accountId', 'userId', 'createdAt', 'updatedAt', 'scopes']);
  assert.equal(a.providerId, 'credential');
  assert.equal(a.accountId, user.id);
  assert.equal(a.userId, user.id);
  assert.match(a.createdAt, ISO);
  assert.deepEqual(a.scopes, []);
  r = await call('GET', '/list-accounts');
  assert.equal(r.status, 401);
  assert.equal(r.json.code, 'UNAUTHORIZED');
});
