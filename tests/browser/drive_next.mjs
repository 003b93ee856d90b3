// The Next.js server side in Chromium: the test app in tests/browser/next (the SDK's proxy
// handler under /api/auth, its middleware on /dashboard, server components that render the
// session) against one Auth URL. One TAP check per step, a screenshot of each. Run by
// test_next.sh, which builds the app, starts `next start` and creates the user.
//
// Environment (set by test_next.sh):
//   DEPLOYMENT  names the checks and files ("http", "https")
//   NEXT_URL    the Next.js app (http://127.0.0.1:PORT)
//   EMAIL, PASSWORD   a user that exists on the branch
//   WORK        directory for screenshots (WORK/shots)
//   TAP_START   the number of the last TAP line printed before this run
//   CHROMIUM    the browser binary (/usr/bin/chromium)
//
// The SDK forwards only cookies named __Secure-neon-auth.* (its proxy, its middleware and
// server components alike). When the Auth URL sets another name, the server cannot see the
// session: the checks that need it are printed as SKIP with the name that was set, and they
// run (and must pass) as soon as the Auth URL sets __Secure-neon-auth.session_token.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

const { DEPLOYMENT, NEXT_URL, EMAIL, PASSWORD, WORK } = process.env;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const STEP_MS = 20000;
if (!DEPLOYMENT || !NEXT_URL || !EMAIL || !PASSWORD || !WORK) {
  console.log('Bail out! DEPLOYMENT, NEXT_URL, EMAIL, PASSWORD and WORK must be set');
  process.exit(2);
}
const SHOTS = path.join(WORK, 'shots');
fs.mkdirSync(SHOTS, { recursive: true });
const SDK_PREFIX = '__Secure-neon-auth.';

let n = Number(process.env.TAP_START || 0);
const tally = { pass: 0, fail: 0, skip: 0 };
function diag(text) { for (const l of String(text).split('\n')) console.log(`# ${l}`); }

let shotSeq = 0;
function slug(s) { return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, ''); }
async function shot(page, desc) {
  shotSeq += 1;
  const f = `${String(shotSeq).padStart(2, '0')}-${slug(desc)}.png`;
  try { await page.screenshot({ path: path.join(SHOTS, f), fullPage: true, timeout: 10000 }); return f; }
  catch (e) { return `(no screenshot: ${e.message.split('\n')[0]})`; }
}

async function step(desc, page, fn) {
  let err = null, timer;
  try {
    await Promise.race([fn(), new Promise((_, rej) => {
      timer = setTimeout(() => rej(new Error(`step took over ${STEP_MS} ms`)), STEP_MS);
    })]);
  } catch (e) { err = e; } finally { clearTimeout(timer); }
  const f = await shot(page, `${DEPLOYMENT} ${desc}`);
  n += 1;
  if (err) {
    tally.fail += 1;
    console.log(`not ok ${n} - ${DEPLOYMENT}: ${desc}`);
    diag(`${err.message.split('\n').slice(0, 6).join('\n')}\nscreenshot: ${f}`);
  } else {
    tally.pass += 1;
    console.log(`ok ${n} - ${DEPLOYMENT}: ${desc}`);
    diag(`screenshot: ${f}`);
  }
  return !err;
}
function skip(desc, why) { n += 1; tally.skip += 1; console.log(`ok ${n} - ${DEPLOYMENT}: ${desc} # SKIP ${why}`); }

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  timeout: 30000,
});
const ctx = await browser.newContext({ viewport: { width: 1000, height: 600 } });
ctx.setDefaultTimeout(10000);
const page = await ctx.newPage();
const setCookies = [];
page.on('response', async (r) => {
  if (!r.url().startsWith(`${NEXT_URL}/api/auth/`)) return;
  const h = await r.headersArray().catch(() => []);
  for (const { name, value } of h) {
    if (name.toLowerCase() === 'set-cookie') setCookies.push(`${new URL(r.url()).pathname}: ${value.split(';')[0].split('=')[0]}; ${value.split('; ').slice(1).join('; ')}`);
  }
});
const sessionText = () => page.getByTestId('session').textContent();

try {
  await step('middleware sends a signed-out visit of /dashboard to /auth/sign-in', page, async () => {
    await page.goto(`${NEXT_URL}/dashboard`);
    await page.waitForURL(`${NEXT_URL}/auth/sign-in`);
  });

  let cookieName = null;
  const signedIn = await step('sign in through the proxy handler (POST /api/auth/sign-in/email)', page, async () => {
    await page.goto(`${NEXT_URL}/auth/sign-in`);
    await page.locator('input[name=email]').fill(EMAIL);
    await page.locator('input[name=password]').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('status').filter({ hasText: `Signed in as ${EMAIL}` }).waitFor();
    const c = (await ctx.cookies(NEXT_URL)).find((x) => x.name.endsWith('session_token'));
    if (!c) throw new Error('no session_token cookie stored for the app');
    cookieName = c.name;
    diag(`the browser holds ${c.name} (Secure ${c.secure}, HttpOnly ${c.httpOnly}, SameSite ${c.sameSite})`);
  });
  diag(`Set-Cookie through the proxy: ${setCookies.join(' | ') || 'none'}`);

  const serverCan = signedIn && cookieName?.startsWith(SDK_PREFIX);
  const why = `needs the __Secure- cookie style on http loopback (issue 17): the Auth URL set ` +
    `${cookieName ?? 'no session cookie'}, and the SDK forwards only ${SDK_PREFIX}* cookies`;
  if (!serverCan) {
    // what the server shows today, as evidence for the reason
    await page.goto(`${NEXT_URL}/`).catch(() => {});
    const f = await shot(page, `${DEPLOYMENT} home-without-sdk-cookie`);
    diag(`today GET / renders: "${await sessionText().catch(() => '?')}" (screenshot ${f})`);
    await page.goto(`${NEXT_URL}/dashboard`).catch(() => {});
    diag(`today GET /dashboard ends at ${page.url()}`);
    skip('a server component sees the session (GET / renders the user)', why);
    skip('the middleware lets a signed-in visit of /dashboard through', why);
    skip('sign out through the proxy handler: the server sees no session, /dashboard redirects', why);
  } else {
    await step('a server component sees the session (GET / renders the user)', page, async () => {
      await page.goto(`${NEXT_URL}/`);
      const t = await sessionText();
      if (!t.includes(`Server sees a session for ${EMAIL}`)) throw new Error(`the page says: ${t}`);
    });
    await step('the middleware lets a signed-in visit of /dashboard through', page, async () => {
      await page.goto(`${NEXT_URL}/dashboard`);
      if (page.url() !== `${NEXT_URL}/dashboard`) throw new Error(`ended at ${page.url()}`);
      const t = await sessionText();
      if (!t.includes(`Server sees a session for ${EMAIL}`)) throw new Error(`the page says: ${t}`);
    });
    await step('sign out through the proxy handler: the server sees no session, /dashboard redirects', page, async () => {
      await page.goto(`${NEXT_URL}/auth/sign-in`);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByTestId('status').filter({ hasText: 'Signed out' }).waitFor();
      await page.goto(`${NEXT_URL}/`);
      const t = await sessionText();
      if (t !== 'Server sees no session') throw new Error(`the page says: ${t}`);
      await page.goto(`${NEXT_URL}/dashboard`);
      await page.waitForURL(`${NEXT_URL}/auth/sign-in`);
    });
  }
} finally {
  await browser.close();
}
diag(`${DEPLOYMENT}: pass ${tally.pass}, fail ${tally.fail}, skip ${tally.skip}`);
process.exit(tally.fail ? 1 : 0);
