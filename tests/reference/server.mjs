// tests/reference/server.mjs -- the real Better Auth (npm better-auth 1.7.25, pinned in
// package-lock.json) on node:http with a pg Pool, for the tests that compare neon-authd with
// Better Auth itself (tests/interop/differential.test.mjs, tests/integration/test_jwt.sh,
// tests/bench/run.sh). Started and stopped by start.sh / stop.sh; README.md documents every
// switch. Listens on 127.0.0.1 only; keeps its tables in their own schema of the database it is
// given, so it can share the suite's PostgreSQL database with neon-authd's neon_auth schema.
//
// Flags: --migrate-only (create the schema and tables, then exit).
import http from 'node:http';
import pg from 'pg';
import { betterAuth } from 'better-auth';
import { toNodeHandler } from 'better-auth/node';
import { getMigrations } from 'better-auth/db/migration';
import { jwt, bearer, organization, admin, emailOTP, magicLink } from 'better-auth/plugins';

const env = process.env;
const HOST = '127.0.0.1';
const BASE_PATH = '/api/auth';
// A fixed default, so that cookies, signatures and encrypted key rows stay valid across
// restarts (and neon-authd can be given the same secret: tests/integration/test_jwt.sh).
const DEFAULT_SECRET = 'peer-fixed-secret-9f3c1b7e2a4d6f8h0j2k4m6n8p0r2t4v6x8z';

function die(msg) {
	console.error(`reference: ${msg}`);
	process.exit(2);
}

function intVar(name, dflt, min, max) {
	const v = env[name];
	if (v === undefined || v === '')
		return dflt;
	if (!/^[0-9]+$/.test(v) || Number(v) < min || Number(v) > max)
		die(`${name} must be an integer in ${min}..${max}, not ${JSON.stringify(v)}`);
	return Number(v);
}

function flagVar(name) {
	const v = env[name];
	if (v === undefined || v === '' || v === '0')
		return false;
	if (v === '1')
		return true;
	return die(`${name} must be 0 or 1, not ${JSON.stringify(v)}`);
}

function objectVar(name) {
	const v = env[name];
	if (v === undefined || v === '')
		return {};
	let o;
	try {
		o = JSON.parse(v);
	} catch (e) {
		die(`${name} is not JSON: ${e.message}`);
	}
	if (!isPlain(o))
		die(`${name} must be a JSON object`);
	return o;
}

function isPlain(v) {
	return v !== null && typeof v === 'object' &&
	    [Object.prototype, null].includes(Object.getPrototypeOf(v));
}

// merge B into A: objects member by member, anything else (arrays too) replaced
function merge(a, b) {
	const out = { ...a };
	for (const [k, v] of Object.entries(b))
		out[k] = isPlain(v) && isPlain(out[k]) ? merge(out[k], v) : v;
	return out;
}

// ---------------------------------------------------------------- settings

const PORT = intVar('PEER_PORT', 3100, 1, 65535);
const DATABASE_URL = env.PEER_DATABASE_URL || die('PEER_DATABASE_URL is not set (the PostgreSQL database to use)');
const SCHEMA = env.PEER_PG_SCHEMA ?? 'neon_auth_peer';
if (SCHEMA !== '' && !/^[a-z_][a-z0-9_]{0,62}$/.test(SCHEMA))
	die(`PEER_PG_SCHEMA must be a lower-case SQL identifier, not ${JSON.stringify(SCHEMA)}`);
const SECRET = env.PEER_SECRET || DEFAULT_SECRET;
if (SECRET.length < 32)
	die('PEER_SECRET must be at least 32 characters');
const ORIGIN = `http://${HOST}:${PORT}`;
const TRUSTED = [ORIGIN, 'http://localhost:3000',
    ...(env.PEER_TRUSTED_ORIGINS || '').split(',').map((s) => s.trim()).filter(Boolean)];
const COOKIE_CACHE = flagVar('PEER_COOKIE_CACHE');
const LOG_MAIL = flagVar('PEER_LOG_MAIL');
const SMTP_PORT = intVar('PEER_SMTP_PORT', 0, 1, 65535);
const MAIL_FROM = env.PEER_MAIL_FROM || 'Better Auth reference <reference@example.com>';
const EXTRA_OPTIONS = objectVar('PEER_OPTIONS');
const PLUGIN_OPTIONS = objectVar('PEER_PLUGIN_OPTIONS');
for (const k of ['secret', 'baseURL', 'basePath', 'database', 'plugins', 'trustedOrigins'])
	if (k in EXTRA_OPTIONS)
		die(`PEER_OPTIONS may not set ${k} (it has its own switch, or none)`);

// PEER_PLUGINS: "default", "extended", or a comma-separated list of the names below. They are
// always installed in this order, whatever the order of the list.
const ALL_PLUGINS = ['jwt', 'bearer', 'organization', 'admin', 'email-otp', 'magic-link'];
const PLUGIN_SETS = {
	default: ['jwt', 'bearer', 'organization'],
	extended: ALL_PLUGINS,
};
function pluginList() {
	const v = (env.PEER_PLUGINS || 'default').trim();
	if (PLUGIN_SETS[v])
		return PLUGIN_SETS[v];
	const names = v.split(',').map((s) => s.trim()).filter(Boolean);
	for (const n of names)
		if (!ALL_PLUGINS.includes(n))
			die(`PEER_PLUGINS: unknown plugin ${JSON.stringify(n)} (known: ${ALL_PLUGINS.join(', ')}, or default, extended)`);
	return ALL_PLUGINS.filter((n) => names.includes(n));
}
const PLUGINS = pluginList();
for (const k of Object.keys(PLUGIN_OPTIONS))
	if (!PLUGINS.includes(k))
		die(`PEER_PLUGIN_OPTIONS names ${JSON.stringify(k)}, which PEER_PLUGINS does not install`);

// ---------------------------------------------------------------- mail

// With PEER_SMTP_PORT every message goes out over plain SMTP (no TLS, no AUTH) to
// 127.0.0.1:PEER_SMTP_PORT; a failed delivery makes the sender throw, as a real mail provider's
// error would. PEER_LOG_MAIL=1 also writes each one (link or code included) to the server log.
const mailer = SMTP_PORT
    ? (await import('nodemailer')).default.createTransport({
	host: HOST, port: SMTP_PORT, secure: false, ignoreTLS: true,
	connectionTimeout: 5000, greetingTimeout: 5000, socketTimeout: 10000,
    })
    : null;

const html = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function deliver(kind, to, subject, lines, { link, code } = {}) {
	if (LOG_MAIL)
		console.log(`[mail] ${kind} to=${to}${link ? ` link=${link}` : ''}${code ? ` code=${code}` : ''}`);
	if (!mailer)
		return;
	const body = [...lines];
	if (link)
		body.push(link);
	if (code)
		body.push(code);
	await mailer.sendMail({
		from: MAIL_FROM, to, subject,
		text: body.join('\n') + '\n',
		html: '<!doctype html><html><body>' + lines.map((l) => `<p>${html(l)}</p>`).join('') +
		    (link ? `<p><a href="${html(link)}">${html(link)}</a></p>` : '') +
		    (code ? `<p><b>${html(code)}</b></p>` : '') + '</body></html>',
		headers: { 'X-Reference-Mail': kind },
	});
}

// ---------------------------------------------------------------- Better Auth

function makePlugin(name) {
	const o = PLUGIN_OPTIONS[name] || {};
	switch (name) {
	case 'jwt':
		return jwt(o);
	case 'bearer':
		return bearer(o);
	case 'organization':
		return organization({
			...(mailer ? {
				sendInvitationEmail: (d) => deliver('organization-invitation', d.email,
				    `Join ${d.organization.name}`,
				    [`${d.inviter.user.email} invites you to ${d.organization.name} as ${d.role}.`],
				    { link: `${ORIGIN}/accept-invitation?invitationId=${encodeURIComponent(d.id)}` }),
			} : {}),
			...o,
		});
	case 'admin':
		return admin(o);
	case 'email-otp':
		return emailOTP({
			storeOTP: 'hashed',	/* as Neon stores them */
			sendVerificationOTP: ({ email, otp, type }) => deliver(`otp-${type}`, email,
			    'Your one-time code', ['Your one-time code:'], { code: otp }),
			...o,
		});
	case 'magic-link':
		return magicLink({
			sendMagicLink: ({ email, url }) => deliver('magic-link', email, 'Your sign-in link',
			    ['Open this link to sign in:'], { link: url }),
			...o,
		});
	}
	return die(`no plugin ${name}`);
}

const pool = new pg.Pool({
	connectionString: DATABASE_URL,
	max: intVar('PEER_POOL_MAX', 10, 1, 1000),
	application_name: 'neon-authd-reference',
	// Better Auth's queries name tables without a schema
	...(SCHEMA ? { options: `-c search_path=${SCHEMA}` } : {}),
});

let options = {
	appName: 'neon-authd-reference',
	secret: SECRET,
	baseURL: ORIGIN,
	basePath: BASE_PATH,
	trustedOrigins: TRUSTED,
	database: pool,
	emailAndPassword: {
		enabled: true,
		requireEmailVerification: flagVar('PEER_REQUIRE_VERIFICATION'),
		// request-password-reset answers success only with a sender configured
		sendResetPassword: ({ user, url }) => deliver('reset-password', user.email,
		    'Reset your password', ['Open this link to choose a new password:'], { link: url }),
	},
	// mail-dependent features only where mail can actually go out
	...(mailer ? {
		emailVerification: {
			sendOnSignUp: flagVar('PEER_SEND_ON_SIGNUP'),
			sendVerificationEmail: ({ user, url }) => deliver('verify-email', user.email,
			    'Verify your email address', ['Open this link to verify your email address:'], { link: url }),
		},
		user: {
			changeEmail: {
				enabled: true,
				sendChangeEmailConfirmation: ({ user, newEmail, url }) => deliver('change-email',
				    user.email, 'Approve your email change',
				    [`Approve the change of your email address to ${newEmail}:`], { link: url }),
			},
		},
	} : {}),
	session: COOKIE_CACHE ? { cookieCache: { enabled: true, maxAge: 300 } } : {},
	// Better Auth turns its rate limiter on under NODE_ENV=production; the tests send bursts
	rateLimit: { enabled: false },
	telemetry: { enabled: false },
	plugins: PLUGINS.map(makePlugin),
};
options = merge(options, EXTRA_OPTIONS);

// ---------------------------------------------------------------- schema

async function migrate() {
	const c = await pool.connect();
	try {
		// one migration at a time per schema: several servers may start on one database
		await c.query('SELECT pg_advisory_lock(hashtext($1))', [`neon-authd-reference:${SCHEMA}`]);
		// Better Auth's migrations look at current_schema(), which is NULL (and then they use
		// public) while the schema in search_path does not exist yet
		if (SCHEMA)
			await c.query(`CREATE SCHEMA IF NOT EXISTS "${SCHEMA}"`);
		const { toBeCreated, toBeAdded, runMigrations } = await getMigrations(options);
		if (toBeCreated.length || toBeAdded.length) {
			console.log(`reference: migrating schema ${SCHEMA || 'public'}: create [${toBeCreated.map((t) => t.table).join(' ')}], add columns to [${toBeAdded.map((t) => t.table).join(' ')}]`);
			await runMigrations();
		}
	} finally {
		await c.query('SELECT pg_advisory_unlock_all()').catch(() => {});
		c.release();
	}
}

await migrate();
if (process.argv.includes('--migrate-only')) {
	await pool.end();
	process.exit(0);
}

const handler = toNodeHandler(betterAuth(options));
const server = http.createServer((req, res) => {
	const path = req.url.split('?')[0];
	if (path === BASE_PATH || path.startsWith(BASE_PATH + '/'))
		return handler(req, res);
	res.writeHead(404, { 'content-type': 'text/plain' });
	res.end('not found\n');
});
server.on('error', (e) => die(`cannot listen on ${HOST}:${PORT}: ${e.message}`));
server.listen(PORT, HOST, () => {
	console.log(`reference: better-auth ${ORIGIN}${BASE_PATH} pid=${process.pid} schema=${SCHEMA || 'public'} plugins=${PLUGINS.join(',')} cookieCache=${COOKIE_CACHE} smtp=${SMTP_PORT ? `${HOST}:${SMTP_PORT}` : 'off'} options=${Object.keys(EXTRA_OPTIONS).join(',') || '-'}`);
});

function stop(sig) {
	console.log(`reference: ${sig}, stopping`);
	setTimeout(() => process.exit(0), 3000).unref();
	server.close(() => pool.end().finally(() => process.exit(0)));
	server.closeAllConnections();
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
