// record_print.test.mjs: the meeting page on paper. A discussion with its
// record is set up through the API on a fresh database; a social worker
// signs in, opens the meeting page in headless Chromium and prints it (print
// media, the beforeprint event, then Chromium's own PDF): navigation,
// sign-out, buttons and forms are gone, every details element is open, and
// the printed text (pdftotext) holds the case and the child. The printed
// page's first sheet is saved as a screenshot. Prints a PASS/FAIL line per
// check and a summary; exits 1 on any failure.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

import {
  Checks, addUser, apiCall, apiToken, dropDatabase, ensureOutputDir, freshDatabase,
  launchBrowser, requireEnv, signIn, sourceDir, startServer, stopServer,
} from './lib/harness.mjs';

const DB = 'convene_browser_print';
const CASE_REF = 'PRINT-CASE-1';
const CHILD = 'Robin Printexample';
const HIDDEN = 'Text that only an open details element shows';
const checks = new Checks('browser: print');
const outDir = ensureOutputDir();

const token = apiToken;
const api = apiCall;

// A local time days ago, as the API takes it.
function past(days) {
  const d = new Date(Date.now() - days * 86400000);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T10:00`;
}

// Booked, attended and recorded: the meeting as the API returns it.
async function recordedMeeting(base, tok) {
  const people = [['Sam Printchair', 'social_care', 'Print Children\'s Services'],
    ['DC Jo Print', 'police', 'Print Police'],
    ['Nurse Ade Print', 'health', 'Print NHS Trust']];
  let r = await api(base, tok, 'POST', '/api/v1/meetings', {
    case_ref: CASE_REF, children: [{ name: CHILD, date_of_birth: '2017-06-01' }],
    kind: 'meeting', reason: 'Disclosure at school',
    concern_received_at: past(3), starts_at: past(2), duration_minutes: 60,
    format: 'phone',
    participants: people.map(([name, agency, organisation]) => ({ name,
      agency, organisation, role: 'Lead',
      email: `${agency}@print.example` })) });
  checks.must('book a meeting in the past', r.status === 201,
    JSON.stringify(r.body));
  const m = r.body;
  r = await api(base, tok, 'PUT', `/api/v1/meetings/${m.id}/attendance`, {
    participants: m.participants.map((p) => ({ id: p.id,
      attendance: 'attended' })), child_views_recorded: false });
  checks.must('record attendance', r.status === 200, JSON.stringify(r.body));
  const chair = m.participants.find((p) => p.agency === 'social_care').id;
  r = await api(base, tok, 'PUT', `/api/v1/meetings/${m.id}/record`, {
    chair_participant_id: chair, concerns: ['neglect'],
    analysis: { worries: 'Home conditions', strengths: 'A caring aunt',
      gaps: 'School attendance' },
    children: r.body.children.map((c) => ({ child_id: c.id,
      decision: 'no_s47_further_assessment', rationale: 'Assessment continues',
      next_step: 'child_in_need' })),
    safety_plan: 'The aunt visits every day.' });
  checks.must('write the record', r.status === 200, JSON.stringify(r.body));
  return m;
}

// Elements matching selector that still take up room on the page.
async function shown(page, selector) {
  return page.evaluate((sel) => [...document.querySelectorAll(sel)]
    .filter((el) => el.getClientRects().length > 0)
    .map((el) => el.tagName.toLowerCase() + '.' + el.className), selector);
}

// The meeting page, with a closed GOV.UK details element added to it (the
// page may or may not have one of its own: the print rules must hold for
// any), as the screen shows it.
async function meetingPage(page, m) {
  await page.emulateMedia({ media: 'screen' });
  await page.goto(`${page.base}/meetings/${m.id}`, { waitUntil: 'load' });
  // convene.js is a module that awaits govuk-frontend before its listeners.
  await page.waitForFunction(() => document.readyState === 'complete');
  await page.waitForTimeout(300);
  await page.evaluate((text) => {
    const d = document.createElement('details');
    d.className = 'govuk-details';
    d.innerHTML = '<summary class="govuk-details__summary"><span ' +
      'class="govuk-details__summary-text">More</span></summary>' +
      '<div class="govuk-details__text"></div>';
    d.querySelector('.govuk-details__text').textContent = text;
    document.querySelector('main').appendChild(d);
  }, HIDDEN);
}

async function printed(page, m) {
  await meetingPage(page, m);
  await page.emulateMedia({ media: 'print' });
  await page.evaluate(() => window.dispatchEvent(new Event('beforeprint')));
  checks.ok('beforeprint opens every details element', await page.evaluate(
    () => document.querySelectorAll('details').length > 0 &&
      document.querySelectorAll('details:not([open])').length === 0));
  for (const [what, sel] of [['service navigation', '.govuk-service-navigation'],
    ['sign-out and other forms', 'form'], ['buttons', '.govuk-button'],
    ['back link', '.govuk-back-link'], ['skip link', '.govuk-skip-link']]) {
    const left = await shown(page, sel);
    checks.ok(`print hides the ${what}`, left.length === 0, left.join(' '));
  }
  const main = await page.evaluate(() => {
    const col = document.querySelector('.govuk-grid-column-two-thirds');
    const wrap = document.querySelector('.govuk-width-container');
    return col && wrap ? [col.getBoundingClientRect().width,
      wrap.getBoundingClientRect().width] : null;
  });
  checks.ok('print puts the content full width', main === null ||
    main[0] >= main[1] - 40, JSON.stringify(main));
  const pdf = path.join(outDir, 'print-meeting.pdf');
  await page.pdf({ path: pdf, format: 'A4', printBackground: false });
  const text = execFileSync('pdftotext', ['-enc', 'UTF-8', pdf, '-'],
    { encoding: 'utf8' });
  checks.ok('the printed page has the case reference', text.includes(CASE_REF));
  checks.ok('the printed page has the child', text.includes(CHILD));
  checks.ok('the printed page has what a closed details element holds',
    text.includes(HIDDEN));
  for (const gone of ['Sign out', 'Book a meeting', 'Statistics']) {
    checks.ok(`the printed page has no "${gone}"`, !text.includes(gone));
  }
  execFileSync('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '1',
    '-singlefile', pdf, path.join(outDir, 'print-meeting')]);
  // Back on screen after printing, the details closed before are closed.
  await meetingPage(page, m);
  await page.evaluate(() => window.dispatchEvent(new Event('beforeprint')));
  await page.evaluate(() => window.dispatchEvent(new Event('afterprint')));
  checks.ok('afterprint closes again the details it opened', await page.evaluate(
    () => document.querySelectorAll('details[open]').length === 0));
}

async function main() {
  requireEnv();
  const db = freshDatabase(DB);
  const pw = addUser(db, 'print-sw', 'social_worker', 'Print Team');
  const srv = await startServer(db);
  const browser = await launchBrowser();
  try {
    const m = await recordedMeeting(srv.base, token(db, 'print-sw'));
    const page = await browser.context.newPage();
    page.base = srv.base;
    await signIn(page, srv.base, 'print-sw', pw);
    await printed(page, m);
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
