// oversight.test.mjs: a manager authorises a record from the home page's
// queue, and the Section 47 clocks on the social worker's home page, in
// headless Chromium against a real server and PostgreSQL (issue 12). The
// discussions are set up through the API: one submitted for authorisation
// with two children, and one authorised 22 days ago, whose enquiries are
// late. Each page is screenshotted (tests/output/browser, and the docs'
// copies in docs/screenshots/) and checked with axe. Prints a PASS/FAIL
// line per check and a summary; exits 1 on any failure.
import { copyFileSync } from 'node:fs';
import path from 'node:path';

import {
  Checks, addUser, apiCall, apiToken, axeViolations, dropDatabase, ensureOutputDir,
  freshDatabase, launchBrowser, requireEnv, signIn, sourceDir, startServer,
  stopServer,
} from './lib/harness.mjs';

const DB = 'convene_browser_oversight';
const checks = new Checks('browser: oversight');
const outDir = ensureOutputDir();
const docsDir = path.join(sourceDir, 'docs', 'screenshots');

const token = apiToken;
const api = apiCall;

function ago(days, hours = 0) {
  const d = new Date(Date.now() - days * 86400000 - hours * 3600000);
  return d.toISOString().slice(0, 16) + 'Z';
}

function s47(childId) {
  return { child_id: childId, decision: 's47_joint',
    rationale: 'Injuries need a joint enquiry', police_investigation: 'yes',
    medical: 'planned', plan_to_see: 'Joint visit at school',
    seen_alone: true, views: 'Worried about going home',
    communication_needs: 'None identified', parents: 'inform_now',
    parents_by: 'Allocated social worker',
    parents_when: new Date().toISOString().slice(0, 10),
    consent_for_checks: 'sought', next_step: 'icpc' };
}

// Booked in the past, attended by all three agencies, recorded with a
// Section 47 decision for each child, submitted: the meeting.
async function recorded(base, sw, ref, days) {
  let r = await api(base, sw, 'POST', '/api/v1/meetings', {
    case_ref: ref, kind: 'meeting', reason: 'Bruising seen at school',
    children: [{ name: 'Robin Oversight', date_of_birth: '2017-03-01' },
      { name: 'Sky Oversight', date_of_birth: '2019-08-12' }],
    concern_received_at: ago(days + 1), starts_at: ago(days, 3),
    duration_minutes: 60, format: 'video', location: 'https://meet.example/o',
    participants: [['Sam Carer', 'social_care'], ['DC Jo Lane', 'police'],
      ['Nurse Ade Bell', 'health']].map(([name, agency]) => ({ name, agency,
      organisation: agency + ' org', role: 'Lead',
      email: `${agency}.${ref}@example.org` })) });
  checks.must(`book ${ref}`, r.status === 201, JSON.stringify(r.body));
  const m = r.body;
  r = await api(base, sw, 'PUT', `/api/v1/meetings/${m.id}/attendance`, {
    participants: m.participants.map((p) => ({ id: p.id,
      attendance: 'attended' })), child_views_recorded: true,
    child_views: 'Wants to stay with gran' });
  checks.must(`attendance ${ref}`, r.status === 200, JSON.stringify(r.body));
  r = await api(base, sw, 'PUT', `/api/v1/meetings/${m.id}/record`, {
    chair_participant_id: m.participants.find((p) =>
      p.agency === 'social_care').id,
    concerns: ['physical_abuse'],
    agency_information: [{ agency: 'police', information: 'Two call-outs',
      checks: 'complete', received: 'at_meeting', from: 'DC Jo Lane' }],
    analysis: { worries: 'Unexplained bruising', strengths: 'Caring gran',
      gaps: 'No GP information' },
    children: m.children.map((c) => s47(c.id)),
    safety_plan: 'Children stay with gran tonight', dissent: [] });
  checks.must(`record ${ref}`, r.status === 200, JSON.stringify(r.body));
  r = await api(base, sw, 'POST', `/api/v1/meetings/${m.id}/record/submit`,
    {});
  checks.must(`submit ${ref}`, r.status === 200, JSON.stringify(r.body));
  return m;
}

async function shot(page, name, part) {
  const file = `oversight-${name}.png`;
  await page.screenshot({ path: path.join(outDir, file), fullPage: true });
  if (part) {
    await page.locator(part).first().screenshot({
      path: path.join(outDir, `oversight-${name}-part.png`) });
    copyFileSync(path.join(outDir, `oversight-${name}-part.png`),
      path.join(docsDir, `oversight-${name}.png`));
  }
  const v = await axeViolations(page);
  checks.ok(`axe: no serious/critical violations on ${name}`,
    v.serious.length === 0, JSON.stringify(v.serious));
}

async function main() {
  requireEnv();
  const db = freshDatabase(DB);
  const pwSw = addUser(db, 'ov-sw', 'social_worker', 'Oversight Team');
  const pwMgr = addUser(db, 'ov-mgr', 'manager', 'Oversight Team');
  const srv = await startServer(db);
  const browser = await launchBrowser();
  try {
    const sw = token(db, 'ov-sw');
    const mgr = token(db, 'ov-mgr');
    const late = await recorded(srv.base, sw, 'OV-LATE-1', 22);
    let r = await api(srv.base, mgr, 'POST',
      `/api/v1/meetings/${late.id}/authorisation`, { oversight: 'Agreed' });
    checks.must('authorise the older one', r.status === 200,
      JSON.stringify(r.body));
    const m = await recorded(srv.base, sw, 'OV-NEW-1', 0);

    // The manager: the queue, the panel, authorising with a change.
    const page = await browser.context.newPage();
    page.setDefaultTimeout(30000);
    await signIn(page, srv.base, 'ov-mgr', pwMgr);
    await page.goto(srv.base + '/');
    const row = page.locator(`[data-queue] a[href="/meetings/${m.id}#authorisation"]`);
    checks.ok('the queue lists the submitted record', await row.count() === 1);
    await shot(page, 'manager-queue', '[data-queue]');
    await row.click();
    await page.waitForURL(`${srv.base}/meetings/${m.id}#authorisation`);
    checks.ok('the panel is under the record',
      await page.locator('#authorisation').count() === 1);
    await page.locator('#authorisation').scrollIntoViewIfNeeded();
    await shot(page, 'authorisation-panel', '#authorisation');
    // Without the oversight: the error summary names the field.
    await Promise.all([
      page.waitForURL(`${srv.base}/meetings/${m.id}/authorisation`),
      page.click('button:has-text("Authorise this record")')]);
    checks.ok('no oversight: an error summary links to the field',
      await page.locator('.govuk-error-summary a[href="#oversight"]')
        .count() === 1);
    const child = m.children[1].id;
    await page.selectOption(`#decision-${child}`, 's47_single_agency');
    await page.fill('#oversight', 'Joint enquiry for Robin; single ' +
      'agency for Sky, as police have no role there.');
    await Promise.all([page.waitForURL(/done=authorised/),
      page.click('button:has-text("Authorise this record")')]);
    checks.ok('authorised: the banner says so', (await page.textContent(
      '.govuk-notification-banner')).includes('authorised'));
    const last = await page.textContent('[data-last-authorised]');
    checks.ok('the panel shows who authorised it and the change',
      last.includes('authorised by ov-mgr') &&
      last.includes('Decision for Sky Oversight changed'), last);
    await shot(page, 'authorised', '#authorisation');
    await page.goto(srv.base + '/');
    checks.ok('the queue no longer lists it', await page.locator(
      `[data-queue] a[href="/meetings/${m.id}#authorisation"]`).count() === 0);

    // The social worker: the clocks of the late enquiries.
    const p2 = await browser.context.newPage();
    await p2.context().clearCookies();
    await signIn(p2, srv.base, 'ov-sw', pwSw);
    await p2.goto(srv.base + '/');
    const clocks = p2.locator('[data-enquiries] tr[data-clock]');
    checks.ok('four open enquiries (two children, two discussions)',
      await clocks.count() === 4, String(await clocks.count()));
    const text = await p2.textContent('[data-enquiries]');
    checks.ok('"Day N of 15 working days, conference not booked"',
      /Day \d+ of 15 working days, conference not booked/.test(text), text);
    checks.ok('the late ones are red or overdue', await p2.locator(
      '[data-enquiries] tr[data-clock="overdue"], [data-enquiries] ' +
      'tr[data-clock="red"]').count() === 2);
    await shot(p2, 'enquiry-clocks', '[data-enquiries]');
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
