// The jwt group (api/api_jwt.c) as clients see it on the wire: token and set-auth-jwt
// (the JWT itself is checked in depth by tests/integration/test_jwt.sh).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Jar, call, signUp, resetSettings } from './lib.mjs';

before(() => resetSettings());

const payload = (t) => JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString());
const claims = (t) => { const { iat, exp, ...rest } = payload(t); return rest; };
// the stack's pool size (tests/stack: STACK_WORKERS, 4 by default)
const WORKERS = Number(process.env.STACK_WORKERS || 4);

test('token and set-auth-jwt reuse one signed JWT per worker while nothing in it changes', async () => {
  const jar = new Jar();
  await signUp(jar);
  const g = await call('GET', '/get-session', { jar });
  const jwt = g.headers.get('set-auth-jwt');
  assert.match(jwt, /^eyJ/);
  // each worker signs once and then serves its cached JWT: at most one token per worker
  const seen = new Set([jwt]);
  for (let i = 0; i < 3 * WORKERS; i++) {
    const t = await call('GET', '/token', { jar });
    assert.deepEqual(claims(t.json.token), claims(jwt), 'the same claims whichever worker answers');
    seen.add(t.json.token);
  }
  assert.ok(seen.size <= WORKERS, `${seen.size} distinct tokens from ${WORKERS} workers`);
  // a change to a claim gives a new token at once, on every worker
  await call('POST', '/update-user', { jar, body: { name: 'Renamed For JWT' } });
  for (let i = 0; i < 2 * WORKERS; i++) {
    const t2 = await call('GET', '/token', { jar });
    assert.ok(!seen.has(t2.json.token));
    assert.equal(payload(t2.json.token).name, 'Renamed For JWT');
  }
});
