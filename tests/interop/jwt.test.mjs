// The jwt group (api/api_jwt.c) as clients see it on the wire: token and set-auth-jwt
// (the JWT itself is checked in depth by tests/integration/test_jwt.sh).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Jar, call, signUp, resetSettings } from './lib.mjs';

before(() => resetSettings());

test('token and set-auth-jwt reuse one signed JWT while nothing in it changes', async () => {
  const jar = new Jar();
  await signUp(jar);
  const g = await call('GET', '/get-session', { jar });
  const jwt = g.headers.get('set-auth-jwt');
  assert.match(jwt, /^eyJ/);
  const t = await call('GET', '/token', { jar });
  assert.equal(t.json.token, jwt);
  // a change to a claim gives a new token
  await call('POST', '/update-user', { jar, body: { name: 'Renamed For JWT' } });
  const t2 = await call('GET', '/token', { jar });
  assert.notEqual(t2.json.token, jwt);
  assert.equal(JSON.parse(Buffer.from(t2.json.token.split('.')[1], 'base64url').toString()).name, 'Renamed For JWT');
});
