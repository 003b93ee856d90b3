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
// server components alike), and its proxy sets them for the app with attributes of its own:
// a check asks that the browser holds __Secure-neon-auth.session_token (on http loopback the
// Auth URL sets that name only with the branch's settings.cookies.style "neon";
// test_next.sh checks what the Auth URL itself sends), then the server side must see the
// session.
import { chromium } from 'playwright-core';
import { launchChromium } from './launch.mjs';
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
const tally = { pass: 0, fail: 0 };
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

const browser = await launchChromium(chromium, {
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  timeout: 30000,
}, diag);
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

  const signedIn = await step('sign in through the proxy handler (POST /api/auth/sign-in/email)', page, async () => {
    await page.goto(`${NEXT_URL}/auth/sign-in`);
    await page.locator('input[name=email]').fill(EMAIL);
    await page.locator('input[name=password]').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('status').filter({ hasText: `Signed in as ${EMAIL}` }).waitFor();
  });
  diag(`Set-Cookie through the proxy: ${setCookies.join(' | ') || 'none'}`);

  // the proxy passed the Auth URL's session cookie on: the SDK's name, in the app's jar
  await step(`the proxy relays the Auth URL's ${SDK_PREFIX}session_token to the browser`, page, async () => {
    if (!signedIn) throw new Error('not run: sign-in failed');
    const held = (await ctx.cookies(NEXT_URL)).filter((x) => x.name.endsWith('session_token'));
    diag(`the browser holds ${held.map((c) => `${c.name} (Secure ${c.secure}, HttpOnly ${c.httpOnly}, ` +
      `SameSite ${c.sameSite})`).join(', ') || 'no session cookie'}`);
    if (!setCookies.some((x) => x.startsWith(`/api/auth/sign-in/email: ${SDK_PREFIX}session_token;`)))
      throw new Error(`sign-in/email set no ${SDK_PREFIX}session_token through the proxy`);
    if (!held.some((x) => x.name === `${SDK_PREFIX}session_token`))
      throw new Error(`the browser kept no ${SDK_PREFIX}session_token for the app`);
    // and sends it back: the page lists the names of the cookies the server received
    await page.goto(`${NEXT_URL}/cookies`);
    await page.getByTestId('cookies').getByText(`${SDK_PREFIX}session_token`, { exact: true }).waitFor();
  });

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
} finally {
  await browser.close();
}
diag(`${DEPLOYMENT}: pass ${tally.pass}, fail ${tally.fail}`);
process.exit(tally.fail ? 1 : 0);
