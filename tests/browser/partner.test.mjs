// partner.test.mjs: a police contact opens the meeting pack from the link
// in their invitation, asks for a sign-in code, types a wrong one, then
// the right one (read from the outbox, as it left by email), sees the
// pack, sends information with a mistake and then properly; the social
// worker sees the view log on the meeting page. Headless Chromium against
// a real server and PostgreSQL (issue 13). Each page is screenshotted
// (tests/output/browser, and docs/screenshots/partner-*.png) and checked
// with axe. Prints a PASS/FAIL line per check; exits 1 on any failure.
import { copyFileSync } from 'node:fs';
import path from 'node:path';

import {
  Checks, addUser, apiCall, apiToken, axeViolations, dropDatabase,
  ensureOutputDir, freshDatabase, launchBrowser, query, requireEnv, signIn,
  sourceDir, startServer, stopServer,
} from './lib/harness.mjs';

const DB = 'convene_browser_partner';
const checks = new Checks('browser: partner');
const outDir = ensureOutputDir();
const docsDir = path.join(sourceDir, 'docs', 'screenshots');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Every base64 body part of a MIME message, decoded, joined.
function decoded(msg) {
  const out = [];
  for (const m of msg.matchAll(/(?:^[A-Za-z0-9+/=]{16,}\r?$\n?)+/gm)) {
    out.push(Buffer.from(m[0].replace(/\s+/g, ''), 'base64')
      .toString('utf8'));
  }
  return out.join('\n');
}

// The newest outbox message of kind to addr, decoded, waiting for it.
async function mail(db, kind, addr) {
  for (let i = 0; i < 100; i++) {
    const msg = query(db, `SELECT message FROM outbox WHERE kind = '${kind}'` +
      ` AND lower(recipient) = lower('${addr}') ORDER BY id DESC LIMIT 1`);
    if (msg !== '') return decoded(msg);
    await sleep(200);
  }
  throw new Error(`no ${kind} mail to ${addr}`);
}

async function shot(page, name, part) {
  const file = `partner-${name}.png`;
  if (part) {
    await page.locator(part).first().screenshot({
      path: path.join(outDir, file) });
  } else {
    await page.screenshot({ path: path.join(outDir, file), fullPage: true });
  }
  copyFileSync(path.join(outDir, file), path.join(docsDir, file));
  const v = await axeViolations(page);
  checks.ok(`axe: no serious/critical violations on ${name}`,
    v.serious.length === 0, JSON.stringify(v.serious));
}

async function main() {
  requireEnv();
  const db = freshDatabase(DB);
  const pwSw = addUser(db, 'pa-sw', 'social_worker', 'Partner Team');
  addUser(db, 'pa-admin', 'admin');
  const srv = await startServer(db);
  const browser = await launchBrowser();
  try {
    const sw = apiToken(db, 'pa-sw');
    const admin = apiToken(db, 'pa-admin');
    const contacts = {};
    for (const [key, name, org] of [
      ['social_care', 'Sam Carer', 'Northdale Children\'s Services'],
      ['police', 'DC Jo Lane', 'Northdale Police'],
      ['health', 'Nurse Ade Bell', 'Northdale NHS Trust']]) {
      const r = await apiCall(srv.base, admin, 'POST', '/api/v1/contacts', {
        name, email: `${key}@partner.example`, agency: key,
        organisation: org, role: 'Lead' });
      checks.must(`contact ${key}`, r.status === 201, JSON.stringify(r.body));
      contacts[key] = r.body.id;
    }
    const start = new Date(Date.now() + 7 * 86400000);
    let r = await apiCall(srv.base, sw, 'POST', '/api/v1/meetings', {
      case_ref: 'PA-1', kind: 'meeting',
      reason: 'Bruising seen at nursery; mother says a fall',
      children: [{ name: 'Robin Partner', date_of_birth: '2021-03-01' },
        { name: 'Sky Partner', date_of_birth: '2023-08-12' }],
      concern_received_at: new Date().toISOString().slice(0, 16) + 'Z',
      starts_at: start.toISOString().slice(0, 11) + '10:00Z',
      duration_minutes: 60, format: 'video',
      location: 'https://meet.example/pa-1',
      participants: Object.values(contacts).map((id) => ({ contact_id: id })),
    });
    checks.must('book', r.status === 201, JSON.stringify(r.body));
    const m = r.body;

    const invite = await mail(db, 'new', 'police@partner.example');
    const link = (invite.match(/\/partner\/[A-Za-z0-9_-]+/) || [])[0];
    checks.must('the invitation has the pack link', !!link, invite);
    checks.ok('the invitation says "Open the meeting pack"',
      invite.includes('Open the meeting pack'));

    const page = await browser.context.newPage();
    page.setDefaultTimeout(30000);
    await page.goto(srv.base + link);
    checks.ok('the link asks to email a code', await page.locator(
      'button:has-text("Email me a sign-in code")').count() === 1);
    await shot(page, 'start');
    await Promise.all([page.waitForNavigation(),
      page.click('button:has-text("Email me a sign-in code")')]);
    await shot(page, 'code');
    await page.fill('#code', '000000');
    await Promise.all([page.waitForNavigation(),
      page.click('button:has-text("Sign in")')]);
    checks.ok('a wrong code: the error summary links to the field',
      await page.locator('.govuk-error-summary a[href="#code"]').count() === 1);
    await shot(page, 'code-wrong');
    const text = await mail(db, 'partner_code', 'police@partner.example');
    const code = (text.match(/^\s+(\d{6})\s*$/m) || [])[1];
    checks.must('the code came by email', !!code, text);
    await page.fill('#code', code);
    await Promise.all([page.waitForURL(`${srv.base}/partner/meetings/${m.id}`),
      page.click('button:has-text("Sign in")')]);
    const pack = await page.textContent('main');
    checks.ok('the pack shows the children and the joining details',
      pack.includes('Robin Partner') && pack.includes('1 March 2021') &&
      pack.includes('https://meet.example/pa-1'), pack.slice(0, 500));
    checks.ok('the pack lists who is invited',
      await page.locator('[data-invitees] tbody tr').count() === 3);
    await shot(page, 'pack');

    // The information form: a mistake, then properly.
    await Promise.all([page.waitForNavigation(),
      page.click('button:has-text("Send our information")')]);
    checks.ok('empty information: the error summary names the fields',
      await page.locator('.govuk-error-summary a[href="#information"]')
        .count() === 1 && await page.locator(
        '.govuk-error-summary a[href="#checks"]').count() === 1);
    await shot(page, 'information-errors');
    await page.fill('#information', 'PNC: no trace. Local records: one ' +
      'call-out to the address in 2026, no arrests.');
    await page.check('#checks');
    await Promise.all([page.waitForURL(/done=information/),
      page.click('button:has-text("Send our information")')]);
    checks.ok('sent: the banner says the social worker can see it',
      (await page.textContent('.govuk-notification-banner'))
        .includes('social worker can see it'));
    checks.ok('sent: it shows as already in the record',
      await page.locator('[data-sent]').count() === 1);
    await shot(page, 'information-sent', '[data-sent]');

    // Their meetings, and the authenticator app's set-up page.
    await page.goto(srv.base + '/partner');
    checks.ok('the list holds the meeting', await page.locator(
      `a[href="/partner/meetings/${m.id}"]`).count() === 1);
    await shot(page, 'list');
    await page.click('a:has-text("authenticator app")');
    await page.waitForURL(srv.base + '/partner/authenticator');
    checks.ok('the set-up page shows a key', /^[A-Z2-7]{16,}$/.test(
      (await page.locator('#totp-secret').innerText()).trim()));
    await shot(page, 'authenticator');

    // The social worker: the information and the view log.
    const p2 = await browser.context.newPage();
    await signIn(p2, srv.base, 'pa-sw', pwSw);
    await p2.goto(`${srv.base}/meetings/${m.id}`);
    const log = p2.locator('[data-partner-views] tbody tr');
    checks.ok('the meeting page lists every partner view',
      await log.count() === Number(query(db, 'SELECT count(*) FROM ' +
        `record_views WHERE discussion_id = ${m.id}`)) &&
      await log.count() >= 2, String(await log.count()));
    checks.ok('the meeting page shows the police information',
      (await p2.textContent('main')).includes('PNC: no trace'));
    await p2.locator('#partner-views').scrollIntoViewIfNeeded();
    await shot(p2, 'views-log', '[data-partner-views]');
  } catch (e) {
    checks.ok('scenario ran to the end', false, String(e && e.stack || e));
  } finally {
    await browser.close();
    const st = await stopServer(srv);
    checks.ok('server stopped cleanly, no sanitizer report',
      st.code === 0 && !st.sanitizer, st.log.slice(-2000));
    dropDatabase(DB);
  }
  process.exit(checks.summary() ? 0 : 1);
}

await main();
