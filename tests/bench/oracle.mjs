// oracle.mjs -- is a sign-in's answer time a tell for whether the email exists?
//
// With the password-hash gate saturated (more concurrent sign-ins than gate slots), sends
// wrong-password sign-ins for a known email and for unknown emails, interleaved, from
// CONCURRENCY clients, and prints both latency distributions and their largest CDF gap
// (two-sample Kolmogorov-Smirnov D) -- a report, never an assertion.
//
//   AUTH_URL=... DATABASE_URL=... node tests/bench/oracle.mjs [requests-per-class] [concurrency]
import { execFileSync } from 'node:child_process';

const AUTH_URL = process.env.AUTH_URL;
const DATABASE_URL = process.env.DATABASE_URL;
if (!AUTH_URL || !DATABASE_URL) throw new Error('AUTH_URL and DATABASE_URL must be set (tests/stack up)');
const N = Math.min(Number(process.argv[2] || 100), 1000);
const C = Math.min(Number(process.argv[3] || 8), 32);
const origin = new URL(AUTH_URL).origin;
const sql = (q) => execFileSync('psql', [DATABASE_URL, '-X', '-q', '-A', '-t', '-c', q], { encoding: 'utf8' }).trim();

async function post(route, body) {
  const t0 = process.hrtime.bigint();
  const r = await fetch(AUTH_URL + route, { method: 'POST', headers: { 'content-type': 'application/json', origin },
    body: JSON.stringify(body) });
  await r.text();
  return { status: r.status, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
}

const saved = sql("SELECT settings::text FROM neon_auth.project_config LIMIT 1");
sql(`UPDATE neon_auth.project_config SET settings = settings || '{"rate_limit":{"enabled":false}}'::jsonb`);
try {
  const known = `oracle-${process.pid}-${Date.now()}@example.com`;
  const su = await post('/sign-up/email', { email: known, password: 'correct-horse-battery', name: 'Oracle' });
  if (su.status !== 200) throw new Error(`sign-up: ${su.status}`);
  const times = { known: [], unknown: [] };
  let next = 0;
  const deadline = Date.now() + 300000;
  async function client() {
    while (next < 2 * N && Date.now() < deadline) {
      const i = next++;
      const cls = i % 2 === 0 ? 'known' : 'unknown';
      const email = cls === 'known' ? known : `nobody-${process.pid}-${i}@example.com`;
      const r = await post('/sign-in/email', { email, password: 'wrong-password-123' });
      if (r.status !== 401) throw new Error(`sign-in ${cls}: status ${r.status}`);
      times[cls].push(r.ms);
    }
  }
  await Promise.all(Array.from({ length: C }, client));
  const q = (a, p) => a[Math.min(a.length - 1, Math.floor(p * a.length))];
  for (const k of ['known', 'unknown']) {
    const a = times[k].sort((x, y) => x - y);
    console.log(`${k.padEnd(8)} n=${a.length} p10=${q(a, 0.1).toFixed(1)} p50=${q(a, 0.5).toFixed(1)} ` +
      `p90=${q(a, 0.9).toFixed(1)} max=${a[a.length - 1].toFixed(1)} ms`);
  }
  const all = [...times.known, ...times.unknown].sort((x, y) => x - y);
  const cdf = (a, x) => a.filter((v) => v <= x).length / a.length;
  let d = 0;
  for (const x of all) d = Math.max(d, Math.abs(cdf(times.known, x) - cdf(times.unknown, x)));
  const n = times.known.length, m = times.unknown.length;
  const crit = 1.36 * Math.sqrt((n + m) / (n * m));
  console.log(`KS D=${d.toFixed(3)} (5% critical value ${crit.toFixed(3)}: ${d < crit ? 'indistinguishable' : 'distinguishable'})`);
} finally {
  sql(`UPDATE neon_auth.project_config SET settings = '${saved.replace(/'/g, "''")}'::jsonb`);
}
