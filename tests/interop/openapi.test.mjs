// The API's own description (api/api_openapi.c): GET open-api/generate-schema is a valid
// OpenAPI document listing exactly the routes the router serves for the branch (as
// `neon-authd routes` prints the table), with request bodies described by the routes' own
// parsers; GET reference is a page that needs nothing from outside the Auth URL.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import SwaggerParser from '@apidevtools/swagger-parser';
import { AUTH_URL, call, cli, resetSettings } from './lib.mjs';

before(() => resetSettings());

test('open-api/generate-schema validates and lists exactly the served routes', async () => {
  const r = await call('GET', '/open-api/generate-schema');
  assert.equal(r.status, 200);
  const doc = r.json;
  assert.equal(doc.openapi, '3.1.0');
  assert.equal(doc.servers[0].url, AUTH_URL);
  // swagger-parser validates against the OpenAPI 3.1 schema and resolves every $ref
  await SwaggerParser.validate(structuredClone(doc));

  const served = JSON.parse(cli('routes', '--json'))
    .filter((x) => x.path !== '/debug/sleep')   // a test aid, off unless testing.sleep_endpoint
    .filter((x) => x.group !== 'magic-link' && x.group !== 'phone-number')  // off for this branch (plugin_configs), so not documented
    .map((x) => `${x.method} ${x.prefix ? x.path + '{id}' : x.path}`).sort();
  const documented = [];
  for (const [p, item] of Object.entries(doc.paths))
    for (const m of Object.keys(item)) documented.push(`${m.toUpperCase()} ${p}`);
  assert.deepEqual(documented.sort(), [...new Set(served)].sort());
});

test('request bodies come from the parsers: required fields, types, formats', async () => {
  const doc = (await call('GET', '/open-api/generate-schema')).json;
  const signIn = doc.paths['/sign-in/email'].post.requestBody.content['application/json'].schema;
  assert.deepEqual(signIn.required.sort(), ['email', 'password']);
  assert.equal(signIn.properties.rememberMe.type, 'boolean');
  assert.equal(signIn.properties.rememberMe.default, true);
  assert.ok(doc.paths['/sign-in/email'].post.requestBody.content['application/x-www-form-urlencoded'],
    'form bodies where the route takes them');
  const signUp = doc.paths['/sign-up/email'].post.requestBody.content['application/json'].schema;
  assert.equal(signUp.properties.email.format, 'email');
  assert.deepEqual(signUp.required.sort(), ['email', 'name', 'password']);
  const signOut = doc.paths['/sign-out'].post.requestBody;
  assert.equal(signOut.required, false, 'sign-out takes an optional body');
  assert.equal(doc.paths['/get-session'].get.requestBody, undefined);
  assert.ok(doc.paths['/token'].get.security, 'routes that need a session say so');
  assert.equal(doc.paths['/token'].get.responses['401'].content['application/json'].schema.$ref,
    '#/components/schemas/Error');
  assert.equal(doc.paths['/list-sessions'].get.responses['200'].content['application/json'].schema.items.$ref,
    '#/components/schemas/Session');
});

test('reference: an offline page that loads the schema next to it', async () => {
  const r = await call('GET', '/reference');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/html/);
  assert.match(r.headers.get('content-security-policy'), /default-src 'none'/);
  assert.match(r.text, /fetch\('open-api\/generate-schema'/);
  // nothing is loaded from anywhere else: no absolute URL in src/href attributes or fetches
  assert.doesNotMatch(r.text, /(src|href)\s*=\s*["']?(https?:)?\/\//i);
  assert.doesNotMatch(r.text, /https?:\/\//i);
});
