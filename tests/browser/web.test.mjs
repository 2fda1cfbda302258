// web.test.mjs: the scenario in a real headless Chromium against a
// real `convene serve` on a fresh database, with axe-core on every page.
//
//  - an administrator builds the directory (organisations, contacts) and
//    adds a team and a user through the admin pages;
//  - a social worker books a meeting inviting only the police, is told
//    health is missing, gives the reason, books it, records attendance with
//    health absent and sees "partial";
//  - books a fully multi-agency discussion (police, health and someone not
//    in the directory; two children) and sees "multi_agency";
//  - reschedules, changes invitees and cancels a third meeting;
//  - a manager sees both; a social worker of another team sees neither
//    (and gets "not found" for the meeting's address);
//  - the booking form still validates with JavaScript switched off.
// Every page is screenshotted to tests/output/browser/ and checked with
// axe-core: no serious or critical violations allowed. No request may go to
// the GOV.UK fonts, and no Content-Security-Policy violation may happen.
// Prints a PASS/FAIL line per check and a summary; exits 1 on any failure.
// CONVENE_UPDATE_SCREENSHOTS=1 also copies the main ones to docs/screenshots.
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

import {
  Checks, addUser, axeViolations, dropDatabase, ensureOutputDir,
  freshDatabase, launchBrowser, requireEnv, signIn, sourceDir, startServer,
  stopServer,
} from './lib/harness.mjs';

const DB = 'convene_browser_web';
const checks = new Checks('browser: web');
const outDir = ensureOutputDir();
let shot = 0;
const shots = {};
const fontRequests = [];
const cspErrors = [];
const pageErrors = [];

// London calendar date of now + days, as strings for the date inputs.
function londonDate(days) {
  const d = new Date(Date.now() + days * 86400000);
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London',
    year: 'numeric', month: 'numeric', day: 'numeric' }).formatToParts(d);
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  return { day: String(Number(p.day)), month: String(Number(p.month)),
    year: p.year };
}

function watch(page) {
  page.on('request', (r) => {
    if (r.url().includes('/assets/fonts/')) fontRequests.push(r.url());
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) {
      cspErrors.push(m.text());
    }
  });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.setDefaultTimeout(30000);
}

// Screenshot and axe-check the page as it is now.
async function visit(page, name) {
  shot += 1;
  const file = `${String(shot).padStart(2, '0')}-${name}.png`;
  await page.screenshot({ path: path.join(outDir, file), fullPage: true });
  shots[name] = file;
  const v = await axeViolations(page);
  checks.ok(`axe: no serious/critical violations on ${name}`,
    v.serious.length === 0, JSON.stringify(v.serious));
  if (v.other.length) {
    console.log(`      (axe, minor on ${name}: ` +
      `${v.other.map((x) => x.id).join(', ')})`);
  }
}

async function signOut(page) {
  await Promise.all([page.waitForURL(/\/sign-in\?signed-out=1$/),
    page.click('button:has-text("Sign out")')]);
  checks.ok('sign out returns to the sign-in page with a message',
    await page.locator('text=You have signed out').isVisible());
}

// Click something that loads a new page, and wait until it has loaded.
async function submit(page, selector) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
    page.click(selector)]);
}

async function fillDate(page, prefix, d, time) {
  await page.fill(`#${prefix}-day`, d.day);
  await page.fill(`#${prefix}-month`, d.month);
  await page.fill(`#${prefix}-year`, d.year);
  if (time !== undefined) await page.fill(`#${prefix}-time`, time);
}

async function errorSummary(page) {
  const box = page.locator('.govuk-error-summary');
  if (!(await box.count())) return '';
  return (await box.innerText()).replace(/\s+/g, ' ');
}

async function classificationOn(page, selector) {
  const el = page.locator(selector).first();
  return (await el.count()) ? el.getAttribute('data-classification') : null;
}

// ---- the administrator builds the directory ------------------------------

async function adminPart(page, base, pw) {
  // An admin must set up two-step sign-in first, then enters a code.
  await signIn(page, base, 'web-admin', pw, (n) => visit(page, n));
  await signOut(page);
  await signIn(page, base, 'web-admin', pw, (n) => visit(page, n));
  checks.ok('two-step sign-in: set up, then asked for a code',
    ['mfa-setup', 'mfa-recovery-codes', 'mfa-code'].every((n) => shots[n]));
  await page.goto(base + '/account/mfa');
  await visit(page, 'mfa-enrolled');
  await page.goto(base + '/');
  await visit(page, 'admin-home');
  await page.goto(base + '/directory/organisations/new');
  await submit(page, 'button:has-text("Save organisation")');
  checks.ok('empty organisation form shows an error summary',
    (await errorSummary(page)).includes('Enter the name of the organisation'));
  checks.ok('error summary links to the field',
    await page.locator('.govuk-error-summary a[href="#name"]').count() === 1);
  await visit(page, 'directory-organisation-errors');
  const orgs = [['Northshire Police Child Abuse Investigation Unit', 'police'],
    ['Northshire NHS Safeguarding Team', 'health'],
    ['Riverside Primary School', 'education']];
  for (const [name, agency] of orgs) {
    await page.goto(base + '/directory/organisations/new');
    await page.fill('#name', name);
    await page.selectOption('#agency', agency);
    await Promise.all([page.waitForURL(/\/directory\?done=1$/),
      page.click('button:has-text("Save organisation")')]);
  }
  checks.ok('three organisations added', (await page.locator(
    'caption:has-text("Northshire NHS Safeguarding Team")').count()) === 1);
  const contacts = [
    ['DS Priya Shah', 'Detective Sergeant', 'Northshire Police',
      'priya.shah@police.example.uk'],
    ['Dr Tom Reed', 'Named doctor for safeguarding', 'Northshire NHS',
      'tom.reed@nhs.example.net'],
    ['Jo Bloggs', 'Health visitor', 'Northshire NHS',
      'jo.bloggs@nhs.example.net'],
    ['Ann Lee', 'Designated safeguarding lead', 'Riverside Primary',
      'ann.lee@school.example.org'],
  ];
  for (const [name, role, org, email] of contacts) {
    await page.goto(base + '/directory/contacts/new');
    if (name === 'DS Priya Shah') await visit(page, 'directory-contact-new');
    await page.fill('#name', name);
    await page.fill('#role', role);
    const value = await page.locator('#organisation_id option', {
      hasText: org }).first().getAttribute('value');
    await page.selectOption('#organisation_id', value);
    await page.fill('#email', email);
    await Promise.all([page.waitForURL(/\/directory\?done=1$/),
      page.click('button:has-text("Save contact")')]);
  }
  // Deactivate one: it stays listed for the admin, tagged.
  await submit(page,
    'tr:has-text("Jo Bloggs") a[href^="/directory/contacts/"]');
  await visit(page, 'directory-contact-edit');
  await page.check('#active-no');
  await Promise.all([page.waitForURL(/\/directory\?done=1$/),
    page.click('button:has-text("Save contact")')]);
  checks.ok('a deactivated contact is tagged in the directory',
    (await page.locator('tr:has-text("Jo Bloggs") .govuk-tag').innerText())
      .includes('Deactivated'));
  await visit(page, 'directory-admin');
  await page.goto(base + '/admin/users');
  await page.fill('#team_name', 'Team East');
  await Promise.all([page.waitForURL(/done=team/),
    page.click('button:has-text("Add team")')]);
  await visit(page, 'admin-users');
  await page.goto(base + '/admin/users/new');
  await visit(page, 'admin-user-new');
  await page.fill('#username', 'web-eve');
  await page.check('#role');
  await page.selectOption('#team', 'Team East');
  await submit(page, 'button:has-text("Add user")');
  const pwShown = (await page.locator('#new-password').innerText()).trim();
  checks.ok('adding a user shows a generated password once',
    /^[0-9a-f]{24}$/.test(pwShown), pwShown);
  await visit(page, 'admin-user-added');
  await signOut(page);
}

// ---- the social worker ------------------------------------------------------

async function bookPartial(page, base) {
  await page.goto(base + '/meetings/new');
  await visit(page, 'book-form');
  await page.check('#case_type-new');
  await page.fill('#case_ref', 'SC-100001');
  await page.fill('#child-0-name', 'Alex Example');
  await fillDate(page, 'child-0-dob', { day: '4', month: '6', year: '2019' });
  await page.fill('#reason', 'Bruising to the face seen by the school; ' +
    'the child says a parent hit them.');
  await fillDate(page, 'concern', londonDate(-2), '09:30');
  await fillDate(page, 'when', londonDate(-1), '3pm');
  await page.check('#format-video');
  await page.fill('#location', 'Video call: link sent with the invite');
  await page.fill('#chair', 'Team manager');
  await page.getByLabel('DS Priya Shah').check();
  const live = await page.locator('[data-missing-text]').innerText();
  checks.ok('with JavaScript, the form names the missing agency as boxes ' +
    'are ticked', live.includes('Health'), live);
  await submit(page, '.govuk-button-group button:has-text("Continue")');
  const summary = await errorSummary(page);
  checks.ok('inviting only police: the page says health is missing and ' +
    'asks why', summary.includes('No one from Health is invited'), summary);
  checks.ok('a warning names the missing agency', (await page.locator(
    '#missing-warning').innerText()).includes('Health'));
  checks.ok('answers are kept after the error',
    await page.inputValue('#case_ref') === 'SC-100001' &&
    await page.inputValue('#child-0-name') === 'Alex Example' &&
    await page.getByLabel('DS Priya Shah').isChecked());
  await visit(page, 'book-missing-health');
  await page.fill('#missing_agency_reason', 'The health visitor is on ' +
    'leave; her manager will send information before the meeting.');
  await submit(page, '.govuk-button-group button:has-text("Continue")');
  checks.must('check-your-answers page after giving the reason',
    (await page.locator('h1').innerText()).includes('Check your answers'),
    await errorSummary(page));
  checks.ok('check-your-answers shows the planned classification partial',
    await classificationOn(page, '[data-classification]') === 'partial');
  await visit(page, 'book-check-answers');
  await Promise.all([page.waitForURL(/\/meetings\/\d+\/booked$/),
    page.click('button:has-text("Book strategy meeting")')]);
  const id = page.url().match(/\/meetings\/(\d+)\/booked$/)[1];
  checks.ok('confirmation panel shown', (await page.locator(
    '.govuk-panel__title').innerText()).includes('booked'));
  await visit(page, 'book-confirmation');
  return id;
}

async function recordPartial(page, base, id) {
  await page.goto(`${base}/meetings/${id}`);
  checks.ok('meeting page: planned classification partial',
    await classificationOn(page, '[data-planned] [data-classification]') ===
    'partial');
  checks.ok('meeting page: participants grouped by agency',
    await page.locator('table[data-agency="police"]').count() === 1 &&
    await page.locator('table[data-agency="social_care"]').count() === 1);
  checks.ok('meeting page: history from the audit log',
    (await page.locator('td:has-text("Booked")').count()) >= 1);
  await visit(page, 'meeting');
  await submit(page, 'a:has-text("Record attendance and outcome")');
  await visit(page, 'attendance-form');
  const groups = await page.locator('input[type=radio][name^="att-"]')
    .evaluateAll((els) => [...new Set(els.map((e) => e.name))]);
  for (const g of groups) {
    await page.check(`input[name="${g}"][value="attended"]`);
  }
  await page.check('input[name^="outcome-"][value="s47_joint"]');
  await page.check('#views');
  await page.fill('#child_views', 'Alex wants to stay with their gran.');
  await page.fill('#action-0-what', 'Joint visit to see Alex at school');
  await page.fill('#action-0-owner', 'DS Priya Shah, police, with the ' +
    'social worker');
  await fillDate(page, 'action-0-due', londonDate(1));
  await fillDate(page, 'review', londonDate(14));
  await submit(page, 'button:has-text("Save attendance and outcome")');
  const summary = await errorSummary(page);
  checks.ok('health absent: a reason is required before saving',
    summary.includes('No one from Health attended'), summary);
  await visit(page, 'attendance-errors');
  await page.fill('#absence_reason', 'The health visitor was on leave; ' +
    'her manager sent a written summary.');
  await Promise.all([page.waitForURL(/\/recorded$/),
    page.click('button:has-text("Save attendance and outcome")')]);
  const cls = await classificationOn(page, '#classification');
  checks.ok('result page shows partial prominently', cls === 'partial' &&
    (await page.locator('h1').innerText()).includes('was partial'), cls);
  await visit(page, 'attendance-result-partial');
}

async function bookMulti(page, base) {
  await page.goto(base + '/meetings/new');
  await page.check('#case_type-new');
  await page.fill('#case_ref', 'SC-100002');
  await page.fill('#child-0-name', 'Sam Example');
  await submit(page, 'button:has-text("Add another child")');
  checks.ok('"Add another child" adds a row and keeps the answers',
    await page.inputValue('#child-0-name') === 'Sam Example' &&
    await page.locator('#child-1-name').count() === 1);
  await page.fill('#child-1-name', 'Kim Example');
  await page.check('#kind-discussion');
  await page.fill('#reason', 'Disclosure to a teacher of sexual harm by ' +
    'a family friend.');
  await fillDate(page, 'concern', londonDate(-1), '08:15');
  await fillDate(page, 'when', londonDate(-1), '11:00');
  await page.fill('#duration', '45');
  await page.check('#format-phone');
  await page.getByLabel('DS Priya Shah').check();
  await page.getByLabel('Dr Tom Reed').check();
  checks.ok('a deactivated contact is not offered',
    await page.getByLabel('Jo Bloggs').count() === 0);
  await page.fill('#extra-0-name', 'Mr Head Teacher');
  await page.selectOption('#extra-0-agency', 'education');
  await page.fill('#extra-0-organisation', 'Hillside Academy');
  await submit(page, '.govuk-button-group button:has-text("Continue")');
  checks.must('multi-agency booking reaches check-your-answers',
    (await page.locator('h1').innerText()).includes('Check your answers'),
    await errorSummary(page));
  checks.ok('check-your-answers: planned multi_agency',
    await classificationOn(page, '[data-classification]') ===
    'multi_agency');
  await Promise.all([page.waitForURL(/\/meetings\/\d+\/booked$/),
    page.click('button:has-text("Book strategy meeting")')]);
  const id = page.url().match(/\/meetings\/(\d+)\/booked$/)[1];
  await page.goto(`${base}/meetings/${id}/attendance`);
  const groups = await page.locator('input[type=radio][name^="att-"]')
    .evaluateAll((els) => [...new Set(els.map((e) => e.name))]);
  checks.ok('attendance lists all four participants', groups.length === 4,
    String(groups.length));
  for (const g of groups) {
    await page.check(`input[name="${g}"][value="attended"]`);
  }
  const outcomes = await page.locator('input[type=radio][name^="outcome-"]')
    .evaluateAll((els) => [...new Set(els.map((e) => e.name))]);
  checks.ok('a decision per child (two children)', outcomes.length === 2);
  for (const o of outcomes) {
    await page.check(`input[name="${o}"][value="s47_joint"]`);
  }
  await page.check('#views-no');
  await Promise.all([page.waitForURL(/\/recorded$/),
    page.click('button:has-text("Save attendance and outcome")')]);
  const cls = await classificationOn(page, '#classification');
  checks.ok('fully multi-agency discussion classified multi_agency',
    cls === 'multi_agency', cls);
  await visit(page, 'attendance-result-multi');
  return id;
}

async function changeAndCancel(page, base) {
  await page.goto(base + '/meetings/new');
  await page.check('#case_type');
  await page.fill('#case_ref', 'SC-100001');
  await page.fill('#reason', 'New information from the police.');
  await fillDate(page, 'concern', londonDate(0), '08:00');
  await fillDate(page, 'when', londonDate(3), '10:00');
  await page.check('#format');
  await page.getByLabel('DS Priya Shah').check();
  await page.getByLabel('Dr Tom Reed').check();
  await submit(page, '.govuk-button-group button:has-text("Continue")');
  await Promise.all([page.waitForURL(/\/booked$/),
    page.click('button:has-text("Book strategy meeting")')]);
  const id = page.url().match(/\/meetings\/(\d+)\/booked$/)[1];
  await page.goto(`${base}/meetings/${id}/reschedule`);
  await visit(page, 'reschedule');
  await page.fill('#when-time', '13:30');
  await Promise.all([page.waitForURL(/done=rescheduled$/),
    page.click('button:has-text("Save and send updates")')]);
  checks.ok('rescheduled: the new time is shown',
    (await page.locator('h1').innerText()).includes('13:30'));
  await page.goto(`${base}/meetings/${id}/invitees`);
  await visit(page, 'invitees');
  await page.check('.govuk-checkboxes__item:has-text("DS Priya Shah") ' +
    'input[name="remove"]');
  await submit(page, 'button:has-text("Save and send invites")');
  const summary = await errorSummary(page);
  checks.ok('removing the police asks why police will not be there',
    /police/i.test(summary), summary);
  await page.fill('#missing_agency_reason', 'Police have closed their ' +
    'enquiry and will send information.');
  await Promise.all([page.waitForURL(/done=invitees$/),
    page.click('button:has-text("Save and send invites")')]);
  checks.ok('after removing police the meeting is planned partial',
    await classificationOn(page, '[data-planned] [data-classification]') ===
    'partial');
  await page.goto(`${base}/meetings/${id}/cancel`);
  await submit(page, 'button:has-text("Cancel the strategy discussion")');
  checks.ok('cancel needs a reason', (await errorSummary(page))
    .includes('Enter why it is being cancelled'));
  await visit(page, 'cancel-errors');
  await page.fill('#reason', 'Family moved out of the area; case ' +
    'transferred.');
  await Promise.all([page.waitForURL(/done=cancelled$/),
    page.click('button:has-text("Cancel the strategy discussion")')]);
  checks.ok('cancelled: status shown and actions gone',
    (await page.locator('dd:has-text("Cancelled")').count()) >= 1 &&
    (await page.locator('a:has-text("Reschedule")').count()) === 0);
  checks.ok('history lists booked, changed and cancelled',
    (await page.locator('td:has-text("Changed")').count()) >= 2 &&
    (await page.locator('td:has-text("Cancelled")').count()) === 1);
  await visit(page, 'meeting-cancelled');
}

async function socialWorkerPart(page, base, pw) {
  await signIn(page, base, 'web-sam', pw);
  await visit(page, 'home-before');
  const partial = await bookPartial(page, base);
  await page.goto(base + '/');
  checks.ok('home lists the booked meeting as awaiting attendance',
    await page.locator(`table[data-table^="Attendance"] tr[data-meeting-id="${
      partial}"]`).count() === 1);
  await recordPartial(page, base, partial);
  const multi = await bookMulti(page, base);
  await changeAndCancel(page, base);
  await page.goto(base + '/');
  checks.ok('home flags the partial discussion', await page.locator(
    `table[data-table^="Flagged"] tr[data-meeting-id="${partial}"]`)
    .count() === 1);
  await visit(page, 'home-social-worker');
  await page.goto(base + '/meetings');
  await visit(page, 'meetings-list');
  await signOut(page);
  return { partial, multi };
}

async function managerPart(page, base, pw, ids) {
  await signIn(page, base, 'web-maya', pw);
  await visit(page, 'home-manager');
  await page.goto(base + '/meetings');
  const rows = page.locator('tr[data-meeting-id]');
  const seen = await rows.evaluateAll((els) =>
    els.map((e) => e.getAttribute('data-meeting-id')));
  checks.ok('manager sees both meetings', seen.includes(ids.partial) &&
    seen.includes(ids.multi), seen.join(','));
  await page.selectOption('#classification', 'partial');
  await page.selectOption('#status', 'held');
  await submit(page, 'button:has-text("Apply filters")');
  const filtered = await rows.evaluateAll((els) =>
    els.map((e) => e.getAttribute('data-meeting-id')));
  checks.ok('filters: held + partial shows only the partial one',
    filtered.length === 1 && filtered[0] === ids.partial,
    filtered.join(','));
  await visit(page, 'meetings-filtered');
  await page.goto(`${base}/meetings/${ids.multi}`);
  checks.ok('manager: the meeting page shows multi_agency as held',
    await classificationOn(page, '[data-actual] [data-classification]') ===
    'multi_agency');
  checks.ok('manager: no booking actions offered', await page.locator(
    'a:has-text("Record attendance")').count() === 0);
  await visit(page, 'meeting-manager');
  await signOut(page);
}

async function otherTeamPart(page, base, pw, ids) {
  await signIn(page, base, 'web-sky', pw);
  await page.goto(base + '/meetings');
  checks.ok('social worker of another team sees neither meeting',
    await page.locator('tr[data-meeting-id]').count() === 0 &&
    (await page.locator('[data-total]').getAttribute('data-total')) === '0');
  await visit(page, 'meetings-other-team');
  const r = await page.goto(`${base}/meetings/${ids.partial}`);
  checks.ok('another team gets "not found" for the meeting address',
    r.status() === 404);
  await visit(page, 'not-found');
  await signOut(page);
}

// The page's own scripts are refused (as a browser with JavaScript off
// would), while the test can still evaluate axe-core in the page.
async function noJavaScriptPart(base, pw) {
  const b = await launchBrowser();
  try {
    const page = await b.context.newPage();
    watch(page);
    await page.route(/\.m?js(\?|$)/, (route) => route.abort());
    await signIn(page, base, 'web-sky', pw);
    await page.goto(base + '/meetings/new');
    await submit(page, '.govuk-button-group button:has-text("Continue")');
    const summary = await errorSummary(page);
    checks.ok('without JavaScript the form is checked by the server',
      summary.includes('Enter the case reference') &&
      summary.includes('Enter the date of the meeting'), summary);
    checks.ok('without JavaScript there is no js-enabled class',
      !(await page.evaluate(() => document.body.className))
        .includes('js-enabled'));
    await visit(page, 'book-errors-no-js');
  } finally {
    await b.close();
  }
}

async function main() {
  requireEnv();
  const url = freshDatabase(DB);
  const pw = {
    admin: addUser(url, 'web-admin', 'admin'),
    sam: addUser(url, 'web-sam', 'social_worker', 'Team North'),
    maya: addUser(url, 'web-maya', 'manager', 'Team North'),
    sky: addUser(url, 'web-sky', 'social_worker', 'Team South'),
  };
  const srv = await startServer(url);
  let browser = null;
  try {
    browser = await launchBrowser();
    const page = await browser.context.newPage();
    watch(page);
    await page.goto(srv.base + '/');
    checks.ok('signed out, / leads to the sign-in page',
      page.url().endsWith('/sign-in'));
    await visit(page, 'sign-in');
    await page.fill('#username', 'web-sam');
    await page.fill('#password', 'wrong-password');
    await submit(page, 'button:has-text("Sign in")');
    checks.ok('a wrong password is refused with a message',
      (await errorSummary(page)).includes('Enter a correct username'));
    await visit(page, 'sign-in-error');
    checks.ok('the page has the GOV.UK JavaScript running',
      (await page.evaluate(() => document.body.className))
        .includes('govuk-frontend-supported'));
    await adminPart(page, srv.base, pw.admin);
    const ids = await socialWorkerPart(page, srv.base, pw.sam);
    await managerPart(page, srv.base, pw.maya, ids);
    await otherTeamPart(page, srv.base, pw.sky, ids);
    await browser.close();
    browser = null;
    await noJavaScriptPart(srv.base, pw.sky);
  } catch (e) {
    checks.ok('scenario ran to the end', false, e.stack || String(e));
  } finally {
    if (browser) await browser.close();
    const st = await stopServer(srv);
    checks.ok('server stopped cleanly (exit 0, no sanitizer report)',
      st.code === 0 && !st.sanitizer, st.sanitizer ? st.log.slice(-3000) :
        `exit ${st.code}`);
  }
  checks.ok('no request for the GOV.UK fonts (licensed for GOV.UK only)',
    fontRequests.length === 0, fontRequests.join(' '));
  checks.ok('no Content-Security-Policy violations', cspErrors.length === 0,
    cspErrors.join(' | '));
  checks.ok('no JavaScript errors on any page', pageErrors.length === 0,
    pageErrors.join(' | '));
  console.log(`screenshots: ${outDir}`);
  if (process.env.CONVENE_UPDATE_SCREENSHOTS === '1') {
    const docs = path.join(sourceDir, 'docs', 'screenshots');
    mkdirSync(docs, { recursive: true });
    for (const name of ['sign-in', 'home-social-worker', 'book-form',
      'book-missing-health', 'book-check-answers', 'book-confirmation',
      'meeting', 'attendance-form', 'attendance-result-partial',
      'attendance-result-multi', 'meetings-list', 'directory-admin',
      'admin-users']) {
      if (shots[name]) {
        copyFileSync(path.join(outDir, shots[name]),
          path.join(docs, name + '.png'));
      }
    }
  }
  dropDatabase(DB);
  process.exit(checks.summary() ? 0 : 1);
}

// A hung step must not hang the suite: fail after ten minutes.
const watchdog = setTimeout(() => {
  checks.ok('scenario finished within ten minutes', false);
  checks.summary();
  process.exit(1);
}, 600000);
watchdog.unref();

main().catch((e) => {
  console.error(e);
  checks.ok('test harness', false, String(e));
  checks.summary();
  process.exit(1);
});
