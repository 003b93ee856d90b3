// Helpers for the interop and endpoint tests: the stack's URLs, a cookie
// jar, SQL through psql, the neon-authd CLI. Everything talks to 127.0.0.1.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';

import assert from 'node:assert/strict';

export const AUTH_URL = process.env.AUTH_URL;
export const DATABASE_URL = process.env.DATABASE_URL;
if (!AUTH_URL || !DATABASE_URL) throw new Error('AUTH_URL and DATABASE_URL must be set (tests/stack up)');
export const ORIGIN = new URL(AUTH_URL).origin;
export const TOP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const STACK_DIR = process.env.STACK_DIR || path.join(TOP, '_stack');
export const BIN = path.join(TOP, 'src', 'neon-authd');
export const CONF = path.join(STACK_DIR, 'neon-authd.conf');

let seq = 0;
export function uniqueEmail(tag = 'user') {
  seq += 1;
  return `${tag}-${process.pid}-${Date.now()}-${seq}@example.com`;
}

export function sql(query) {
  const out = execFileSync('psql', [DATABASE_URL, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', query],
    { encoding: 'utf8', timeout: 20000 }).trim();
  if (/^\s*(UPDATE|INSERT|DELETE)\b[\s\S]*\bproject_config\b/i.test(query)) configSettled();
  return out;
}

export function cli(...args) {
  return execFileSync(BIN, [...args, '-c', CONF], { encoding: 'utf8', timeout: 20000 });
}

// A change to project_config reaches the workers as a NOTIFY, which PostgreSQL delivers a few
// milliseconds after the commit; a request sent at once may still see the old configuration.
// Wait that long (synchronously, as the callers do not await), bounded.
export function configSettled(ms = 150) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

// merge settings keys into the branch's project_config.settings
export function setSettings(obj) {
  sql(`UPDATE neon_auth.project_config SET settings = settings || '${JSON.stringify(obj).replace(/'/g, "''")}'::jsonb`);
}

export function resetSettings() {
  // bearer is off by default (issue 12): the suites use it, so they turn it on
  sql(`UPDATE neon_auth.project_config SET settings = '{"rate_limit":{"enabled":false},"bearer":true}'::jsonb,
       email_and_password = '{"enabled":true,"disable_sign_up":false,"email_verification_method":"otp","require_email_verification":false}'::jsonb,
       trusted_origins = '[]'::jsonb, allow_localhost = true`);
}

export class Jar {
  constructor() { this.cookies = new Map(); }
  header() { return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '); }
  take(res) {
    for (const sc of res.headers.getSetCookie()) {
      const [pair, ...attrs] = sc.split('; ');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i), value = pair.slice(i + 1);
      const maxAge = attrs.find((a) => a.startsWith('Max-Age='));
      if (maxAge === 'Max-Age=0' || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

// one request through nginx; returns {status, headers, text, json, res}
export async function call(method, route, { body, jar, headers = {}, form = false, raw } = {}) {
  // Node's fetch always sends Sec-Fetch-Mode: cors, which makes Better Auth
  // demand a trusted Origin (protocol.md §6.3), as a browser would send it.
  const h = { origin: ORIGIN, ...headers };
  for (const k of Object.keys(h)) if (h[k] === null) delete h[k];
  let payload;
  if (raw !== undefined) payload = raw;
  else if (body !== undefined) {
    if (form) {
      h['content-type'] ??= 'application/x-www-form-urlencoded';
      payload = new URLSearchParams(body).toString();
    } else {
      h['content-type'] ??= 'application/json';
      payload = JSON.stringify(body);
    }
  }
  if (jar && jar.cookies.size) h.cookie = jar.header();
  const res = await fetch(AUTH_URL + route, { method, headers: h, body: payload, redirect: 'manual' });
  if (jar) jar.take(res);
  const text = await res.text();
  let json;
  try { json = text.length ? JSON.parse(text) : undefined; } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json, res };
}

// a request with exactly the given headers (fetch rewrites Sec-Fetch-*)
export function rawCall(method, route, { body, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(AUTH_URL + route);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const h = { ...headers };
    if (payload !== undefined) { h['content-type'] = 'application/json'; h['content-length'] = Buffer.byteLength(payload); }
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers: h }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        let json;
        try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.setTimeout(15000, () => req.destroy(new Error('timeout')));
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

export async function signUp(jar, extra = {}) {
  const email = extra.email || uniqueEmail();
  const password = extra.password || 'correct-horse-battery';
  const r = await call('POST', '/sign-up/email', { jar, body: { email, password, name: extra.name || 'Test User', ...extra.body } });
  if (r.status !== 200) throw new Error(`sign-up failed: ${r.status} ${r.text}`);
  return { email, password, user: r.json.user, token: r.json.token, res: r };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const PFX = 'neon-auth';

// a user object exactly as Better Auth writes it (protocol.md §0.6, with the admin fields)
export function assertUser(u, email) {
  assert.deepEqual(Object.keys(u), ['name', 'email', 'emailVerified', 'image', 'createdAt', 'updatedAt',
    'role', 'banned', 'banReason', 'banExpires', 'id']);
  assert.equal(u.email, email.toLowerCase());
  assert.match(u.id, UUID);
  assert.match(u.createdAt, ISO);
  assert.match(u.updatedAt, ISO);
}

// startReference(switches): start a reference server (tests/reference: the real Better Auth
// 1.7.25) on the stack's database, schema neon_auth_peer unless PEER_PG_SCHEMA says otherwise.
// switches are its PEER_* settings (tests/reference/README.md), e.g. { PEER_PLUGINS: 'extended',
// PEER_SMTP_PORT: 2525, PEER_PLUGIN_OPTIONS: { organization: { membershipLimit: 5 } } }: objects
// go as JSON, the caller's own PEER_* variables are not passed on. Returns { url, pid, stop() };
// stop() ends this server only (other test files may run theirs from the same work directory).
export function startReference(switches = {}) {
  const dir = path.join(TOP, 'tests', 'reference');
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('PEER_')) delete env[k];
  env.PEER_WORK = path.join(STACK_DIR, 'reference');
  env.PEER_DATABASE_URL = DATABASE_URL;
  for (const [k, v] of Object.entries(switches))
    env[k] = v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v);
  fs.mkdirSync(env.PEER_WORK, { recursive: true });
  const out = execFileSync(path.join(dir, 'start.sh'), [], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 400000 });
  const url = /^PEER_URL=(.*)$/m.exec(out)?.[1];
  const pid = Number(/^PEER_PID=(.*)$/m.exec(out)?.[1]);
  if (!url || !pid) throw new Error(`tests/reference/start.sh printed no PEER_URL/PEER_PID: ${out}`);
  const port = new URL(url).port;
  return {
    url, pid,
    stop() {
      try { execFileSync(path.join(dir, 'stop.sh'), [port], { env, stdio: 'ignore', timeout: 60000 }); } catch { /* already gone */ }
    },
  };
}
