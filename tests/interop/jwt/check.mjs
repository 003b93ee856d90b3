// check.mjs -- neon-authd's JWTs, JWKS and RLS claims, checked with an
// independent JWT library (jose) against a running stack.  Prints TAP.
//
// Driven by tests/integration/test_jwt.sh, which starts the stack (and
// optionally a second branch and the reference Better Auth server) and
// passes everything through the environment:
//
//   AUTH_URL        the branch's Auth URL (http://127.0.0.1:P/neondb/auth)
//   DATABASE_URL    that branch's database (superuser)
//   PSQL            psql binary
//   NA_BIN, NA_CONF the neon-authd binary and the stack's configuration
//                   (for `config set` and `keys rotate`)
//   BRANCH          the branch name in NA_CONF (main)
//   AUTH_URL2       optional: a copy of the branch served at another origin
//   PEER_URL        optional: the reference server's base URL (same secret,
//                   same database, schema PEER_SCHEMA)
//
// Every check is independent where it can be: a failure prints "not ok"
// with a diagnostic and the run goes on.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
	createLocalJWKSet, createRemoteJWKSet, decodeJwt, decodeProtectedHeader,
	exportJWK, generateKeyPair, jwtVerify, SignJWT,
} from 'jose';

const env = process.env;
const AUTH_URL = env.AUTH_URL;
const ORIGIN = new URL(AUTH_URL).origin;
const BRANCH = env.BRANCH || 'main';
const PEER_SCHEMA = env.PEER_SCHEMA || 'neon_auth_peer';

// ------------------------------------------------------------------ TAP
let n = 0;
let failed = 0;
function ok(cond, desc, ...diag) {
	n++;
	if (cond) {
		console.log(`ok ${n} - ${desc}`);
		return true;
	}
	failed++;
	console.log(`not ok ${n} - ${desc}`);
	for (const d of diag)
		for (const l of String(d).split('\n'))
			console.log(`#   ${l}`);
	return false;
}
function is(got, want, desc) {
	const g = JSON.stringify(got), w = JSON.stringify(want);
	return ok(g === w, desc, `got:  ${g}`, `want: ${w}`);
}
function skip(desc, why) {
	n++;
	console.log(`ok ${n} - ${desc} # SKIP ${why}`);
}
function diag(...lines) {
	for (const l of lines.join(' ').split('\n'))
		console.log(`# ${l}`);
}
async function section(name, fn) {
	try {
		await fn();
	} catch (e) {
		ok(false, `${name}: unexpected exception`, e && e.stack || e);
	}
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------ HTTP
async function http(method, url, { cookie, body, origin } = {}) {
	const headers = { accept: 'application/json' };
	if (cookie)
		headers.cookie = cookie;
	if (origin)
		headers.origin = origin;
	if (body !== undefined)
		headers['content-type'] = 'application/json';
	const res = await fetch(url, {
		method, headers, redirect: 'manual',
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await res.text();
	let json = null;
	try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
	return { status: res.status, headers: res.headers, text, json };
}

function cookieOf(res) {
	return res.headers.getSetCookie()
	    .map((c) => c.split(';')[0])
	    .filter((c) => /session_token=/.test(c) && !/=$/.test(c))
	    .join('; ');
}

async function signUp(base, email, name) {
	const org = new URL(base).origin;
	const res = await http('POST', `${base}/sign-up/email`, {
		origin: org, body: { email, password: 'password-1234', name },
	});
	if (res.status !== 200)
		throw new Error(`sign-up ${base}: ${res.status} ${res.text}`);
	return { cookie: cookieOf(res), user: res.json.user };
}

async function signIn(base, email) {
	const org = new URL(base).origin;
	const res = await http('POST', `${base}/sign-in/email`, {
		origin: org, body: { email, password: 'password-1234' },
	});
	if (res.status !== 200)
		throw new Error(`sign-in ${base}: ${res.status} ${res.text}`);
	return { cookie: cookieOf(res), user: res.json.user };
}

async function token(base, cookie) {
	const res = await http('GET', `${base}/token`, { cookie });
	if (res.status !== 200 || !res.json || typeof res.json.token !== 'string')
		throw new Error(`token: ${res.status} ${res.text}`);
	return res.json.token;
}

async function sessionJwt(base, cookie) {
	const res = await http('GET', `${base}/get-session`, { cookie });
	return { res, jwt: res.headers.get('set-auth-jwt') };
}

async function jwks(url) {
	const res = await http('GET', url);
	if (res.status !== 200 || !res.json || !Array.isArray(res.json.keys))
		throw new Error(`jwks ${url}: ${res.status} ${res.text}`);
	return res.json;
}

// verify against a freshly fetched JWKS; returns null or the error code
async function verifyErr(tok, url, opts = { issuer: ORIGIN, audience: ORIGIN }) {
	try {
		await jwtVerify(tok, createLocalJWKSet(await jwks(url)), opts);
		return null;
	} catch (e) {
		return e.code || String(e);
	}
}

// ------------------------------------------------------------------ tools
function psql(sql, url = env.DATABASE_URL) {
	return execFileSync(env.PSQL || 'psql', ['-X', '-q', '-t', '-A',
	    '-v', 'ON_ERROR_STOP=1', url], { input: sql, encoding: 'utf8',
	    stdio: ['pipe', 'pipe', 'pipe'] }).trim();
}

function authd(...args) {
	return execFileSync(env.NA_BIN, [...args, '-c', env.NA_CONF],
	    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function configSet(field, json) {
	authd('config', 'set', BRANCH, field, json);
	// the change reaches the workers as a NOTIFY a few ms after the commit
	Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 150);
}

function tamper(tok, part) {
	const p = tok.split('.');
	const s = p[part];
	const i = Math.floor(s.length / 2);
	p[part] = s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
	return p.join('.');
}

const rnd = () => Math.random().toString(36).slice(2, 10);

// ------------------------------------------------------------------ tests
const JWKS_URLS = [
	`${AUTH_URL}/jwks`,
	`${AUTH_URL}/.well-known/jwks.json`,
	`${ORIGIN}/.well-known/jwks.json`,
];

let alice, bob;
let aliceToken;

await section('first key', async () => {
	// A fresh branch has no key: racing first requests create exactly one.
	const before = psql('SELECT count(*) FROM neon_auth.jwks');
	const rs = await Promise.all(Array.from({ length: 24 },
	    () => http('GET', `${AUTH_URL}/jwks`)));
	ok(rs.every((r) => r.status === 200), '24 concurrent GET jwks answer 200',
	    rs.map((r) => r.status).join(' '));
	const after = psql('SELECT count(*) FROM neon_auth.jwks');
	if (before === '0')
		is(after, '1', 'racing workers created exactly one key');
	else
		skip('racing workers created exactly one key', `branch already had ${before} keys`);
	const docs = new Set(rs.map((r) => r.text));
	is(docs.size, 1, 'every worker serves the same JWKS document');
	const k = rs[0].json.keys[0];
	is([k.alg, k.crv, k.kty, typeof k.x, typeof k.kid],
	    ['EdDSA', 'Ed25519', 'OKP', 'string', 'string'], 'JWKS key is an Ed25519 OKP key with alg and kid');
	is(Object.keys(k), ['alg', 'crv', 'x', 'kty', 'kid'], 'JWKS key members in Better Auth order');
	ok(/^[0-9a-f-]{36}$/.test(k.kid), 'kid is the jwks row uuid', k.kid);
	const row = psql(`SELECT "publicKey" || ' ' || "privateKey" FROM neon_auth.jwks WHERE id = '${k.kid}'`);
	const [pub, priv] = [row.slice(0, row.indexOf(' ')), row.slice(row.indexOf(' ') + 1)];
	is(JSON.parse(pub), { crv: 'Ed25519', x: k.x, kty: 'OKP' }, 'row publicKey is the public JWK in Node order');
	ok(/^"[0-9a-f]+"$/.test(priv), 'row privateKey is the JSON string literal of hex ciphertext', priv.slice(0, 40));
});

await section('JWKS paths', async () => {
	const texts = [];
	for (const u of JWKS_URLS) {
		const r = await http('GET', u);
		ok(r.status === 200 && r.json && Array.isArray(r.json.keys),
		    `GET ${u.replace(ORIGIN, '')} serves the JWKS`, `${r.status} ${r.text.slice(0, 200)}`);
		ok(/application\/json/.test(r.headers.get('content-type') || ''),
		    `${u.replace(ORIGIN, '')} is application/json`);
		texts.push(r.text);
	}
	ok(texts.every((t) => t === texts[0]), 'the three JWKS paths serve the same document');
});

await section('token', async () => {
	alice = await signUp(AUTH_URL, `alice-${rnd()}@example.com`, 'Alice');
	bob = await signUp(AUTH_URL, `bob-${rnd()}@example.com`, 'Bob');
	ok(alice.cookie !== '', 'sign-up set a session cookie');
	const noSess = await http('GET', `${AUTH_URL}/token`);
	is([noSess.status, noSess.json && noSess.json.code], [401, 'UNAUTHORIZED'], 'GET token without a session: 401 UNAUTHORIZED');

	aliceToken = await token(AUTH_URL, alice.cookie);
	for (const u of JWKS_URLS) {
		try {
			const { payload } = await jwtVerify(aliceToken,
			    createRemoteJWKSet(new URL(u)), { issuer: ORIGIN, audience: ORIGIN });
			ok(payload.sub === alice.user.id, `token verifies with jose against ${u.replace(ORIGIN, '')}`);
		} catch (e) {
			ok(false, `token verifies with jose against ${u.replace(ORIGIN, '')}`, e.code || e);
		}
	}
	const h = decodeProtectedHeader(aliceToken);
	const kids = (await jwks(JWKS_URLS[0])).keys.map((k) => k.kid);
	is(Object.keys(h), ['alg', 'kid', 'typ'], 'header members alg, kid, typ');
	is([h.alg, h.typ, kids.includes(h.kid)], ['EdDSA', 'JWT', true], 'header alg EdDSA, typ JWT, kid in the JWKS');

	const p = decodeJwt(aliceToken);
	const u = alice.user;
	is(Object.keys(p), ['iat', 'name', 'email', 'emailVerified', 'image',
	    'createdAt', 'updatedAt', 'role', 'banned', 'banReason', 'banExpires',
	    'id', 'sub', 'exp', 'iss', 'aud'], 'claims in Neon order (neon.md §7.2)');
	is([p.sub, p.id, p.name, p.email, p.emailVerified, p.image],
	    [u.id, u.id, 'Alice', u.email, false, null], 'user claims');
	is([p.createdAt, p.updatedAt], [u.createdAt, u.updatedAt], 'dates are the ISO strings of the user object');
	is([p.role, p.banned, p.banReason, p.banExpires], ['authenticated', false, null, null],
	    'role is "authenticated"; ban fields');
	is([p.iss, p.aud], [ORIGIN, ORIGIN], 'iss = aud = the Auth URL origin');
	is(p.exp - p.iat, 900, 'exp = iat + 900 by default');
	ok(Math.abs(p.iat - Date.now() / 1000) < 30, 'iat is now', p.iat);
	ok(!('o' in p), 'no o claim without an active organization');
});

await section('set-auth-jwt', async () => {
	const { res, jwt } = await sessionJwt(AUTH_URL, alice.cookie);
	ok(res.status === 200 && typeof jwt === 'string' && jwt.split('.').length === 3,
	    'get-session carries set-auth-jwt', `${res.status} ${jwt}`);
	const expose = (res.headers.get('access-control-expose-headers') || '').toLowerCase();
	ok(expose.split(/\s*,\s*/).includes('set-auth-jwt'), 'set-auth-jwt is exposed to CORS', expose);
	is(await verifyErr(jwt, JWKS_URLS[1]), null, 'set-auth-jwt verifies with jose');
	const p = decodeJwt(jwt);
	is([p.sub, p.role, p.iss, p.aud], [alice.user.id, 'authenticated', ORIGIN, ORIGIN], 'set-auth-jwt claims');
	// each worker keeps its own cache: 16 calls give at most one JWT per worker
	const seen = new Set([jwt]);
	for (let i = 0; i < 16; i++)
		seen.add((await sessionJwt(AUTH_URL, alice.cookie)).jwt);
	const workers = Number(env.WORKERS || 4);
	ok(seen.size <= workers, `16 more get-session calls reuse cached JWTs (${seen.size} distinct, ${workers} workers)`);
	const other = await sessionJwt(AUTH_URL, bob.cookie);
	ok(other.jwt && decodeJwt(other.jwt).sub === bob.user.id, 'another session gets its own JWT');
	const none = await sessionJwt(AUTH_URL, undefined);
	is([none.res.status, none.jwt], [200, null], 'no session: no set-auth-jwt');
	// a user change shows in the next JWT
	psql(`UPDATE neon_auth."user" SET name = 'Alice B', "updatedAt" = now() WHERE id = '${alice.user.id}'`);
	const changed = await sessionJwt(AUTH_URL, alice.cookie);
	is(changed.jwt && decodeJwt(changed.jwt).name, 'Alice B', 'a changed user row gives a new JWT');
	psql(`UPDATE neon_auth."user" SET name = 'Alice', "updatedAt" = now() WHERE id = '${alice.user.id}'`);
});

await section('rejections', async () => {
	is(await verifyErr(tamper(aliceToken, 2), JWKS_URLS[0]), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
	    'a token with a tampered signature fails');
	is(await verifyErr(tamper(aliceToken, 1), JWKS_URLS[0]), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
	    'a token with a tampered payload fails');
	// same kid, another key
	const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
	const forged = await new SignJWT(decodeJwt(aliceToken))
	    .setProtectedHeader({ alg: 'EdDSA', kid: decodeProtectedHeader(aliceToken).kid, typ: 'JWT' })
	    .sign(privateKey);
	is(await verifyErr(forged, JWKS_URLS[0]), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
	    'a token signed by another key under our kid fails');
	const foreign = await new SignJWT(decodeJwt(aliceToken))
	    .setProtectedHeader({ alg: 'EdDSA', kid: randomUUID(), typ: 'JWT' }).sign(privateKey);
	is(await verifyErr(foreign, JWKS_URLS[0]), 'ERR_JWKS_NO_MATCHING_KEY',
	    'a token from an unrelated issuer (unknown kid) fails');
	is(await verifyErr(aliceToken, JWKS_URLS[0], { issuer: 'http://other.example', audience: ORIGIN }),
	    'ERR_JWT_CLAIM_VALIDATION_FAILED', 'the token is bound to its issuer');
});

await section('expiry', async () => {
	configSet('settings.jwt', '{"ttl":10}');
	const t = await token(AUTH_URL, alice.cookie);
	const p = decodeJwt(t);
	is(p.exp - p.iat, 10, 'ttl 10 from the branch settings: exp = iat + 10');
	is(await verifyErr(t, JWKS_URLS[0]), null, 'the short-lived token verifies at first');
	// bounded: a wrong ttl must fail the check above, not stall the suite
	await sleep(Math.min(20000, Math.max(0, (p.exp - Date.now() / 1000 + 1.2) * 1000)));
	is(await verifyErr(t, JWKS_URLS[0]), 'ERR_JWT_EXPIRED', 'the token fails once expired');
	const { jwt } = await sessionJwt(AUTH_URL, alice.cookie);
	ok(jwt && decodeJwt(jwt).exp > Date.now() / 1000, 'get-session then hands out a fresh JWT');
	configSet('settings.jwt', '{}');
	const back = decodeJwt(await token(AUTH_URL, alice.cookie));
	is(back.exp - back.iat, 900, 'ttl back to 900');
});

await section('other branch', async () => {
	if (!env.AUTH_URL2) {
		skip('a token from another branch fails', 'no second branch');
		return;
	}
	const origin2 = new URL(env.AUTH_URL2).origin;
	// branch the database: a copy with the same users, sessions and keys
	execFileSync('sh', ['-c', '"$0" --no-owner "$1" | "$2" -X -q "$3"',
	    env.PG_DUMP, env.DATABASE_URL, env.PSQL, env.DATABASE_URL2],
	    { stdio: ['ignore', 'pipe', 'pipe'] });
	is(psql('SELECT count(*) > 0 FROM neon_auth.jwks', env.DATABASE_URL2), 't',
	    'the copied branch has the keys of its parent');
	const parentKids = (await jwks(JWKS_URLS[0])).keys.map((k) => k.kid);
	// the copy has the same users; served at another Auth URL it starts a key set of its own
	// (issue 12 #16): the parent's keys only verify there for one token lifetime
	const s = await signIn(env.AUTH_URL2, alice.user.email);
	const t2 = await token(env.AUTH_URL2, s.cookie);
	const p2 = decodeJwt(t2);
	is([p2.sub, p2.iss, p2.aud], [alice.user.id, origin2, origin2], 'the copied branch signs with its own origin');
	ok(!parentKids.includes(decodeProtectedHeader(t2).kid), 'the copy signs with a key of its own, not its parent\'s');
	is(await verifyErr(t2, JWKS_URLS[0], {}), 'ERR_JWKS_NO_MATCHING_KEY',
	    'a token from the copy does not verify against its parent\'s JWKS, whatever the verifier checks');
	is(await verifyErr(t2, `${env.AUTH_URL2}/jwks`, { issuer: origin2, audience: origin2 }), null,
	    'it verifies against its own branch');
	const copyKids = (await jwks(`${env.AUTH_URL2}/jwks`)).keys.map((k) => k.kid);
	ok(parentKids.every((k) => copyKids.includes(k)), 'the parent\'s public keys stay in the copy\'s JWKS (the grace period)');
	const t1 = await token(AUTH_URL, alice.cookie);
	is(await verifyErr(t1, `${env.AUTH_URL2}/jwks`, { issuer: origin2, audience: origin2 }),
	    'ERR_JWT_CLAIM_VALIDATION_FAILED',
	    'meanwhile a parent token fails on the copy only by issuer/audience: verifiers must check them');
	// a branch with keys of its own: unknown kid
	psql(`DELETE FROM neon_auth.jwks`, env.DATABASE_URL2);
	const t3 = await token(env.AUTH_URL2, s.cookie);
	ok(decodeProtectedHeader(t3).kid !== decodeProtectedHeader(t2).kid, 'the other branch made its own key');
	is(await verifyErr(t3, JWKS_URLS[0], {}), 'ERR_JWKS_NO_MATCHING_KEY',
	    'a token signed with another branch key fails (no matching key)');
});

await section('anonymous token', async () => {
	const off = await http('GET', `${AUTH_URL}/token/anonymous`);
	is([off.status, off.text], [404, ''], 'token/anonymous is 404 with an empty body by default');
	// (the whole settings object: a bare JSON scalar such as `true` is
	// refused by `config set` at the time of writing)
	configSet('settings', '{"anonymous_token":true}');
	const on = await http('GET', `${AUTH_URL}/token/anonymous`);
	ok(on.status === 200 && typeof on.json.token === 'string' && typeof on.json.expires_at === 'number',
	    'enabled: {token, expires_at}', `${on.status} ${on.text}`);
	const p = decodeJwt(on.json.token);
	is([p.role, 'sub' in p, p.iss, p.aud, p.exp - p.iat], ['anonymous', false, ORIGIN, ORIGIN, 900],
	    'anonymous claims: role anonymous, no sub');
	is(on.json.expires_at, p.exp, 'expires_at is the exp of the token (Unix seconds)');
	is(await verifyErr(on.json.token, JWKS_URLS[0]), null, 'the anonymous token verifies');
	configSet('settings', '{}');
});

await section('algorithms', async () => {
	for (const alg of ['ES256', 'RS256']) {
		configSet('settings.jwt', JSON.stringify({ alg }));
		const t = await token(AUTH_URL, alice.cookie);
		const h = decodeProtectedHeader(t);
		is(h.alg, alg, `${alg} branch: the token is ${alg}`);
		const doc = await jwks(JWKS_URLS[0]);
		const k = doc.keys.find((x) => x.kid === h.kid);
		if (alg === 'ES256')
			is(k && [k.alg, k.crv, k.kty, Object.keys(k)], ['ES256', 'P-256', 'EC',
			    ['alg', 'crv', 'kty', 'x', 'y', 'kid']], 'ES256 JWKS entry');
		else
			is(k && [k.alg, k.kty, k.e, Buffer.from(k.n, 'base64url').length * 8, Object.keys(k)],
			    ['RS256', 'RSA', 'AQAB', 2048, ['alg', 'kty', 'n', 'e', 'kid']], 'RS256 JWKS entry (2048-bit)');
		is(await verifyErr(t, JWKS_URLS[0]), null, `${alg} token verifies with jose`);
		is(await verifyErr(tamper(t, 2), JWKS_URLS[0]), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
		    `tampered ${alg} token fails`);
		const { jwt } = await sessionJwt(AUTH_URL, alice.cookie);
		is(jwt && decodeProtectedHeader(jwt).alg, alg, `set-auth-jwt follows the branch alg (${alg})`);
	}
	configSet('settings.jwt', '{}');
	const h = decodeProtectedHeader(await token(AUTH_URL, alice.cookie));
	is(h.alg, 'EdDSA', 'back to EdDSA: the EdDSA key signs again');
	is(await verifyErr(aliceToken, JWKS_URLS[0]), null, 'tokens of every key still verify');
});

await section('rotation', async () => {
	const before = await token(AUTH_URL, alice.cookie);
	const oldKid = decodeProtectedHeader(before).kid;
	const t0 = Date.now();
	const out = authd('keys', 'rotate', BRANCH, '--grace', '8s');
	ok(/signs from now on/.test(out), 'keys rotate --grace 8s', out);
	const after = await token(AUTH_URL, alice.cookie);
	const newKid = decodeProtectedHeader(after).kid;
	ok(newKid !== oldKid, 'after the rotation a new key signs', `${oldKid} -> ${newKid}`);
	const { jwt } = await sessionJwt(AUTH_URL, alice.cookie);
	is(jwt && decodeProtectedHeader(jwt).kid, newKid, 'set-auth-jwt uses the new key at once');
	const kids = (await jwks(JWKS_URLS[0])).keys.map((k) => k.kid);
	ok(kids.includes(oldKid) && kids.includes(newKid), 'the JWKS publishes both keys during the grace period', kids.join(' '));
	is(await verifyErr(before, JWKS_URLS[0]), null, 'a token signed before the rotation verifies during the grace period');
	is(await verifyErr(after, JWKS_URLS[0]), null, 'the new token verifies');
	const list = authd('keys', 'list', BRANCH);
	ok(new RegExp(`${newKid}.*signing`).test(list) && new RegExp(`${oldKid}.*published`).test(list),
	    'keys list shows the new key signing and the old one published', list);
	await sleep(Math.max(0, t0 + 8000 + 1500 - Date.now()));
	const kids2 = (await jwks(JWKS_URLS[0])).keys.map((k) => k.kid);
	ok(!kids2.includes(oldKid) && kids2.includes(newKid), 'after the grace period the old key is gone from the JWKS', kids2.join(' '));
	is(await verifyErr(before, JWKS_URLS[0]), 'ERR_JWKS_NO_MATCHING_KEY', 'the pre-rotation token fails after the grace period');
	is(await verifyErr(after, JWKS_URLS[0]), null, 'the new token still verifies');
	ok(/retired/.test(authd('keys', 'list', BRANCH)), 'keys list shows the old key retired');
});

await section('peer compatibility', async () => {
	if (!env.PEER_URL) {
		skip('key rows move between the reference server and neon-authd', 'reference server not running');
		return;
	}
	const peerOrigin = new URL(env.PEER_URL).origin;
	// 1. a key written by Better Auth signs in neon-authd
	const pd = await jwks(`${env.PEER_URL}/jwks`);
	const pk = pd.keys[0];
	const row = psql(`SELECT json_build_object('publicKey', "publicKey", 'privateKey', "privateKey")
	    FROM ${PEER_SCHEMA}.jwks WHERE id = '${pk.kid}'`);
	const r = JSON.parse(row);
	const newId = randomUUID();
	psql(`INSERT INTO neon_auth.jwks (id, "publicKey", "privateKey", "createdAt")
	    VALUES ('${newId}', $pk$${r.publicKey}$pk$, $pk$${r.privateKey}$pk$, now() + interval '1 second')`);
	await sleep(1200);
	const t = await token(AUTH_URL, alice.cookie);
	is(decodeProtectedHeader(t).kid, newId, 'neon-authd signs with the key row written by Better Auth');
	is(await verifyErr(t, JWKS_URLS[0]), null, 'that token verifies against neon-authd\'s JWKS');
	const ours = (await jwks(JWKS_URLS[0])).keys.find((k) => k.kid === newId);
	is(ours && ours.x, pk.x, 'neon-authd publishes the same public key as Better Auth');
	// the same token verifies with Better Auth's JWKS entry (renamed kid)
	try {
		await jwtVerify(t, createLocalJWKSet({ keys: [{ ...pk, kid: newId }] }));
		ok(true, 'the token verifies with the public key Better Auth serves');
	} catch (e) {
		ok(false, 'the token verifies with the public key Better Auth serves', e.code || e);
	}
	psql(`DELETE FROM neon_auth.jwks WHERE id = '${newId}'`);
	// 2. a key written by neon-authd signs in Better Auth
	const ourKid = decodeProtectedHeader(await token(AUTH_URL, alice.cookie)).kid;
	ok(ourKid !== newId, 'neon-authd is back on its own key');
	const ourRow = JSON.parse(psql(`SELECT json_build_object('publicKey', "publicKey", 'privateKey', "privateKey")
	    FROM neon_auth.jwks WHERE id = '${ourKid}'`));
	psql(`INSERT INTO ${PEER_SCHEMA}.jwks (id, "publicKey", "privateKey", "createdAt", alg, crv)
	    VALUES ('${ourKid}', $pk$${ourRow.publicKey}$pk$, $pk$${ourRow.privateKey}$pk$,
	    now() + interval '1 hour', 'EdDSA', 'Ed25519')`);
	const ps = await signUp(env.PEER_URL, `peer-${rnd()}@example.com`, 'Pat');
	const pt = await token(env.PEER_URL, ps.cookie);
	is(decodeProtectedHeader(pt).kid, ourKid, 'Better Auth signs with the key row written by neon-authd');
	is(await verifyErr(pt, JWKS_URLS[0], { issuer: peerOrigin, audience: peerOrigin }), null,
	    'Better Auth\'s token verifies against neon-authd\'s JWKS');
	psql(`DELETE FROM ${PEER_SCHEMA}.jwks WHERE id = '${ourKid}'`);
});

await section('RLS', async () => {
	const orgX = randomUUID(), orgY = randomUUID();
	psql(`
	DROP TABLE IF EXISTS public.jwt_notes, public.jwt_org_docs;
	CREATE TABLE public.jwt_notes (id serial PRIMARY KEY,
	    user_id text NOT NULL DEFAULT (auth.user_id()), body text NOT NULL);
	CREATE TABLE public.jwt_org_docs (id serial PRIMARY KEY,
	    organization_id uuid NOT NULL, body text NOT NULL);
	ALTER TABLE public.jwt_notes ENABLE ROW LEVEL SECURITY;
	ALTER TABLE public.jwt_org_docs ENABLE ROW LEVEL SECURITY;
	CREATE POLICY own ON public.jwt_notes TO authenticated
	    USING ((SELECT auth.user_id()) = user_id)
	    WITH CHECK ((SELECT auth.user_id()) = user_id);
	CREATE POLICY org ON public.jwt_org_docs TO authenticated
	    USING (organization_id = (SELECT auth.organization_id()));
	GRANT USAGE ON SCHEMA public TO authenticated;
	GRANT SELECT, INSERT ON public.jwt_notes, public.jwt_org_docs TO authenticated;
	GRANT USAGE ON SEQUENCE public.jwt_notes_id_seq TO authenticated;
	INSERT INTO public.jwt_notes (user_id, body) VALUES
	    ('${alice.user.id}', 'alice-1'), ('${alice.user.id}', 'alice-2'), ('${bob.user.id}', 'bob-1');
	INSERT INTO neon_auth.organization (id, name, slug, "createdAt") VALUES
	    ('${orgX}', 'X', 'x-${rnd()}', now()), ('${orgY}', 'Y', 'y-${rnd()}', now());
	INSERT INTO neon_auth.member ("organizationId", "userId", role, "createdAt") VALUES
	    ('${orgX}', '${alice.user.id}', 'owner', now()), ('${orgY}', '${bob.user.id}', 'member', now());
	INSERT INTO public.jwt_org_docs (organization_id, body) VALUES
	    ('${orgX}', 'x-doc'), ('${orgY}', 'y-doc');
	`);
	// the way PostgREST runs a request: role from the token, claims in a GUC
	const asToken = (tok, q) => psql(`BEGIN;
	    SET LOCAL ROLE authenticated;
	    SELECT set_config('request.jwt.claims', $c$${JSON.stringify(decodeJwt(tok))}$c$, true) \\g /dev/null
	    ${q};
	    COMMIT;`);
	const ta = await token(AUTH_URL, alice.cookie);
	const tb = await token(AUTH_URL, bob.cookie);
	is(asToken(ta, 'SELECT string_agg(body, \',\' ORDER BY body) FROM public.jwt_notes'), 'alice-1,alice-2',
	    'as authenticated with Alice\'s claims: only Alice\'s rows');
	is(asToken(tb, 'SELECT string_agg(body, \',\' ORDER BY body) FROM public.jwt_notes'), 'bob-1',
	    'with Bob\'s claims: only Bob\'s rows');
	is(asToken(ta, 'SELECT auth.user_id() || \' \' || auth.uid()::text'), `${alice.user.id} ${alice.user.id}`,
	    'auth.user_id() and auth.uid() read sub');
	is(asToken(ta, 'INSERT INTO public.jwt_notes (body) VALUES (\'alice-3\') RETURNING user_id'), alice.user.id,
	    'the column default auth.user_id() fills the owner');
	let denied = false;
	try {
		asToken(ta, `INSERT INTO public.jwt_notes (user_id, body) VALUES ('${bob.user.id}', 'spoof')`);
	} catch { denied = true; }
	ok(denied, 'writing a row for another user is refused by the policy');
	is(asToken(ta, 'SELECT count(*) FROM public.jwt_org_docs'), '0', 'no o claim: no organization rows');

	// an active organization puts the o claim into the token
	psql(`UPDATE neon_auth.session SET "activeOrganizationId" = '${orgX}' WHERE "userId" = '${alice.user.id}'`);
	const { jwt } = await sessionJwt(AUTH_URL, alice.cookie);
	const po = jwt && decodeJwt(jwt);
	is(po && po.o && [po.o.id, po.o.role, typeof po.o.slug, Object.keys(po.o)],
	    [orgX, 'owner', 'string', ['id', 'slug', 'role']], 'set-auth-jwt carries o {id, slug, role} for the active organization');
	is(await verifyErr(jwt, JWKS_URLS[0]), null, 'the token with o verifies');
	is(asToken(jwt, 'SELECT string_agg(body, \',\') FROM public.jwt_org_docs'), 'x-doc',
	    'with o = X: only X\'s rows');
	is(asToken(jwt, 'SELECT auth.organization_id()::text || \' \' || (auth.organization() ->> \'role\')'), `${orgX} owner`,
	    'auth.organization_id() and auth.organization() read o');
	// a session pointing at an organization the user is not a member of
	psql(`UPDATE neon_auth.session SET "activeOrganizationId" = '${orgY}' WHERE "userId" = '${alice.user.id}'`);
	const ty = await token(AUTH_URL, alice.cookie);
	ok(!('o' in decodeJwt(ty)), 'no o claim for an organization the user does not belong to');
	is(asToken(ty, 'SELECT count(*) FROM public.jwt_org_docs'), '0', 'and so no organization rows');
	psql(`UPDATE neon_auth.session SET "activeOrganizationId" = NULL WHERE "userId" = '${alice.user.id}';
	    DROP TABLE public.jwt_notes, public.jwt_org_docs`);
});

console.log(`1..${n}`);
console.log(`# jwt interop: ${n - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
