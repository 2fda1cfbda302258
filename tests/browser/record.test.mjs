// record.test.mjs: the record of a strategy discussion written through the
// form in a real headless Chromium against a real `convene serve` on a
// fresh database, with axe-core on every page.
//
//  - a social worker records a phone strategy discussion that already
//    happened (two children: one named, one unborn; police and health
//    invited, someone from children's social care added);
//  - records attendance: health sent information instead of attending;
//  - opens "Write the record", sees "Other" reveal its text field, fills
//    in the whole record with one deliberate mistake (a Section 47
//    decision without the medical), sees the GOV.UK error summary link to
//    that field with everything typed kept, corrects it and saves;
//  - sees the record on the meeting page (every section, words from the
//    vocabulary), the PDF link, and the history in words;
//  - changes one decision and sees the change in words in the history.
// Screenshots go to tests/output/browser/; CONVENE_UPDATE_SCREENSHOTS=1
// also copies the form and the meeting page to docs/screenshots/
// (record-form.png, meeting-record.png). axe: no serious or critical
// violations allowed on any page. Exits 1 on any failure.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

import {
  Checks, addUser, axeViolations, dropDatabase, ensureOutputDir,
  freshDatabase, launchBrowser, requireEnv, signIn, sourceDir, startServer,
  stopServer,
} from './lib/harness.mjs';

const DB = 'convene_browser_record';
const checks = new Checks('browser: record');
const outDir = ensureOutputDir();
const shots = {};
const pageErrors = [];
const cspErrors = [];
let shot = 0;

function londonDate(days) {
  const d = new Date(Date.now() + days * 86400000);
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London',
    year: 'numeric', month: 'numeric', day: 'numeric' }).formatToParts(d);
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  return { day: String(Number(p.day)), month: String(Number(p.month)),
    year: p.year };
}

function watch(page) {
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) {
      cspErrors.push(m.text());
    }
  });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.setDefaultTimeout(30000);
}

// Screenshot (the whole page, and for the docs the part that matters:
// docPart, a selector, or the top of the page) and axe-check it.
async function visit(page, name, docPart) {
  shot += 1;
  const file = `record-${String(shot).padStart(2, '0')}-${name}.png`;
  await page.screenshot({ path: path.join(outDir, file), fullPage: true });
  const part = `record-${String(shot).padStart(2, '0')}-${name}-part.png`;
  if (docPart) {
    await page.locator(docPart).screenshot({ path: path.join(outDir, part) });
  } else {
    await page.screenshot({ path: path.join(outDir, part), fullPage: true,
      clip: { x: 0, y: 0, width: 1100, height: 2600 } });
  }
  shots[name] = part;
  const v = await axeViolations(page);
  checks.ok(`axe: no serious/critical violations on ${name}`,
    v.serious.length === 0, JSON.stringify(v.serious));
}

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

function conveneBin() {
  return process.env.CONVENE_BIN ||
    path.join(sourceDir, 'build-test', 'convene');
}

// Directory contacts through the API, as an administrator's token.
async function addContacts(base, url) {
  const out = execFileSync(conveneBin(), ['token', 'create', 'rec-admin',
    '--database-url', url], { encoding: 'utf8' }).trim().split('\n');
  const token = out[out.length - 1].trim();
  for (const [name, email, agency, org] of [
    ['DS Priya Shah', 'priya.shah@police.example.uk', 'police',
      'Northshire Police Child Abuse Investigation Unit'],
    ['Dr Tom Reed', 'tom.reed@nhs.example.net', 'health',
      'Northshire NHS Safeguarding Team']]) {
    const r = await fetch(base + '/api/v1/contacts', { method: 'POST',
      headers: { Authorization: 'Bearer ' + token,
        'Content-Type': 'application/json' },
      body: JSON.stringify({ name, email, agency, organisation: org }) });
    checks.must(`contact ${name} added`, r.status === 201, String(r.status));
  }
}

// A phone discussion that already happened, two children, one unborn.
async function book(page, base) {
  await page.goto(base + '/meetings/new');
  await page.check('#case_type-new');
  await page.fill('#case_ref', 'SC-200001');
  await page.fill('#child-0-name', 'Alex Example');
  await fillDate(page, 'child-0-dob', { day: '4', month: '6', year: '2019' });
  await submit(page, 'button:has-text("Add another child")');
  await page.check('#child-1-unborn');
  await fillDate(page, 'child-1-expected', londonDate(80));
  await page.check('#kind-discussion');
  await page.fill('#reason', 'Bruising to the face seen at nursery; the ' +
    'mother is expecting another baby.');
  await fillDate(page, 'concern', londonDate(-2), '09:30');
  await fillDate(page, 'when', londonDate(-1), '11:00');
  await page.fill('#duration', '45');
  await page.check('#format-phone');
  await page.getByLabel('DS Priya Shah').check();
  await page.getByLabel('Dr Tom Reed').check();
  await page.fill('#extra-0-name', 'Sam Social');
  await page.selectOption('#extra-0-agency', 'social_care');
  await page.fill('#extra-0-organisation', 'Northshire Children\'s Services');
  await page.fill('#extra-0-email', 'sam.social@council.example.gov.uk');
  await submit(page, '.govuk-button-group button:has-text("Continue")');
  if (!(await page.locator('h1').innerText()).includes('Check your answers')) {
    await page.fill('#missing_agency_reason', 'The team manager joins by ' +
      'phone.');
    await submit(page, '.govuk-button-group button:has-text("Continue")');
  }
  checks.must('booking reaches check-your-answers',
    (await page.locator('h1').innerText()).includes('Check your answers'),
    await errorSummary(page));
  checks.ok('check-your-answers names the unborn baby',
    (await page.locator('main').innerText()).includes('Unborn baby (expected'));
  await Promise.all([page.waitForURL(/\/meetings\/\d+\/booked$/),
    page.click('button:has-text("Book strategy meeting")')]);
  return page.url().match(/\/meetings\/(\d+)\/booked$/)[1];
}

async function attendance(page, base, id) {
  await page.goto(`${base}/meetings/${id}`);
  checks.ok('before attendance, no "Write the record" button',
    await page.locator('a:has-text("Write the record")').count() === 0);
  await page.goto(`${base}/meetings/${id}/attendance`);
  const groups = await page.locator('input[type=radio][name^="att-"]')
    .evaluateAll((els) => [...new Set(els.map((e) => e.name))]);
  for (const g of groups) {
    const label = await page.locator(`fieldset:has(input[name="${g}"]) legend`)
      .innerText();
    await page.check(`input[name="${g}"][value="${
      label.includes('Tom Reed') ? 'contributed' : 'attended'}"]`);
  }
  const outcomes = await page.locator('input[type=radio][name^="outcome-"]')
    .evaluateAll((els) => [...new Set(els.map((e) => e.name))]);
  for (const o of outcomes) {
    await page.check(`input[name="${o}"][value="s47_joint"]`);
  }
  await page.check('#views-no');
  await page.fill('#absence_reason', 'Dr Reed was in clinic; he sent the ' +
    'health chronology by secure email.');
  await Promise.all([page.waitForURL(/\/recorded$/),
    page.click('button:has-text("Save attendance and outcome")')]);
}

// Everything on the record form except child 0's medical.
async function fillRecord(page, kids) {
  await page.check('#chair');
  await page.check('#concerns'); // physical abuse (first)
  await page.check('#concerns-unborn_baby');
  checks.ok('"Other" text field hidden until "Other" is ticked',
    !(await page.locator('#concerns_other').isVisible()));
  await page.check('#concerns-other');
  checks.ok('ticking "Other" reveals its text field (conditional reveal)',
    await page.locator('#concerns_other').isVisible());
  await page.fill('#concerns_other', 'Mother\'s new partner has a ' +
    'conviction for assault (known to police).');
  const info = {
    social_care: ['Open as a child in need since March; two missed ' +
      'health visitor appointments.', 'at_meeting', 'Sam Social, ' +
      'social worker'],
    police: ['PNC: partner convicted of assault 2021; two domestic ' +
      'callouts this year.', 'at_meeting', 'DS Priya Shah'],
    health: ['GP: bruising to the cheek seen 3 weeks ago, explained as a ' +
      'fall. Midwife: booked at 20 weeks, missed one appointment.',
    'in_writing', 'Dr Tom Reed, named doctor, by secure email'],
  };
  for (const [agency, [text, received, from]] of Object.entries(info)) {
    await page.fill(`#i-${agency}-information`, text);
    await page.check(`#i-${agency}-checks`);
    await page.check(received === 'at_meeting' ? `#i-${agency}-received` :
      `#i-${agency}-received-${received}`);
    await page.fill(`#i-${agency}-from`, from);
  }
  await page.fill('#worries', 'Facial bruising to a 5-year-old with an ' +
    'inconsistent account; a partner with a violence conviction.');
  await page.fill('#strengths', 'Grandmother nearby and protective; ' +
    'Alex attends nursery every day.');
  await page.fill('#gaps', 'Who lives at the address; the father\'s view.');
  const [alex, baby] = kids;
  await page.check(`#c${alex}-decision`); // s47_joint (first)
  await page.fill(`#c${alex}-rationale`, 'Reasonable cause to suspect ' +
    'significant harm: unexplained facial bruising.');
  await page.check(`#c${alex}-police_investigation`);
  await page.fill(`#c${alex}-plan_to_see`, 'Joint visit at nursery ' +
    'tomorrow 10:00, social worker and DS Shah.');
  await page.check(`#c${alex}-seen_alone`);
  await page.fill(`#c${alex}-views`, 'Alex said "I like nana\'s house".');
  await page.fill(`#c${alex}-communication_needs`, 'None known.');
  await page.check(`#c${alex}-parents-delay`);
  await page.fill(`#c${alex}-parents_by`, 'Sam Social with DS Shah');
  await fillDate(page, `c${alex}-parents_when`, londonDate(1));
  await page.fill(`#c${alex}-parents_delay_reason`, 'Telling the partner ' +
    'before the police interview could prejudice it.');
  await page.check(`#c${alex}-consent_for_checks-not_sought`);
  await page.fill(`#c${alex}-consent_reason`, 'Seeking consent could put ' +
    'Alex at risk of harm.');
  await page.check(`#c${alex}-next_step`); // icpc
  await page.check(`#c${baby}-decision-no_s47_further_assessment`);
  await page.fill(`#c${baby}-rationale`, 'Pre-birth assessment under ' +
    'section 17; midwifery to share concerns at once.');
  await page.check(`#c${baby}-medical-not_needed`);
  await page.check(`#c${baby}-next_step-child_in_need`);
  await page.fill('#safety_plan', 'Alex stays with the grandmother ' +
    'tonight; the partner agrees not to visit; police check at 20:00.');
  await page.selectOption('#d0-agency', 'health');
  await page.fill('#d0-about', 'Health thought a paediatric medical ' +
    'should be urgent, not planned.');
}

async function writeRecord(page, base, id) {
  await page.goto(`${base}/meetings/${id}`);
  await submit(page, 'a:has-text("Write the record")');
  checks.must('the record form opens',
    (await page.locator('h1').innerText()).includes(
      'Record of the strategy discussion'));
  const kids = await page.locator('[data-child]').evaluateAll(
    (els) => els.map((e) => e.dataset.child));
  checks.ok('one section per child (named and unborn)', kids.length === 2 &&
    (await page.locator('[data-child] h3').allInnerTexts()).some(
      (t) => t.startsWith('Unborn baby (expected')));
  const words = await page.locator('main').innerText();
  checks.ok('decision wording from the vocabulary',
    words.includes('Section 47 threshold not met: continue assessment ' +
      '(section 17)') &&
    words.includes('No further action by children\'s social care'));
  checks.ok('the agency that sent information is marked',
    await page.locator('[data-agency="health"] .govuk-tag').count() === 1);
  await fillRecord(page, kids);
  await submit(page, 'button:has-text("Save the record")');
  const summary = await errorSummary(page);
  checks.ok('a Section 47 decision without the medical: the error summary ' +
    'says so', summary.includes('Child protection medical for Alex ' +
      'Example: required with a Section 47 decision'), summary);
  checks.ok('the summary links to that child\'s medical field',
    await page.locator(`.govuk-error-summary a[href="#c${kids[0]}-medical"]`)
      .count() === 1);
  checks.ok('the field shows its inline error',
    await page.locator(`#c${kids[0]}-medical-error`).count() === 1);
  checks.ok('what was typed is kept',
    (await page.inputValue('#worries')).startsWith('Facial bruising') &&
    await page.isChecked('#concerns-other') &&
    await page.locator('#concerns_other').isVisible() &&
    await page.inputValue(`#c${kids[0]}-parents_by`) ===
      'Sam Social with DS Shah');
  await visit(page, 'record-form-error');
  await page.click(`.govuk-error-summary a[href="#c${kids[0]}-medical"]`);
  await page.check(`#c${kids[0]}-medical-planned`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await visit(page, 'record-form');
  await Promise.all([page.waitForURL(/\/meetings\/\d+\?done=record$/),
    page.click('button:has-text("Save the record")')]);
  return kids;
}

async function checkMeetingPage(page) {
  const banner = page.locator('.govuk-notification-banner');
  checks.ok('"Record saved" banner', (await banner.count()) === 1 &&
    (await banner.innerText()).includes('Record saved'));
  const rec = await page.locator('section.convene-record').innerText();
  for (const words of ['Sam Social', 'Physical abuse', 'Unborn baby',
    'Other: Mother\'s new partner', 'PNC: partner convicted',
    'Sent in writing', 'Dr Tom Reed, named doctor', 'Facial bruising',
    'Grandmother nearby', 'the father\'s view',
    'Section 47 enquiry, joint with police',
    'Section 47 threshold not met: continue assessment (section 17)',
    'Police criminal investigation', 'Child protection medical: planned',
    'Joint visit at nursery', 'Telling parents delayed',
    'Sam Social with DS Shah', 'Initial child protection conference',
    'Alex stays with the grandmother', 'Health thought a paediatric',
    'Not escalated', 'Download the record (PDF)', 'Change the record']) {
    checks.ok(`meeting page shows "${words}"`, rec.includes(words));
  }
  checks.ok('PDF link to /meetings/{id}/record.pdf', await page.locator(
    'a[href$="/record.pdf"]').count() === 1);
  const hist = await page.locator('[data-history]').innerText();
  checks.ok('history in words: "Record written", "Attendance recorded", ' +
    '"Booked"', hist.includes('Record written') &&
    hist.includes('Attendance recorded') && hist.includes('Booked'), hist);
  checks.ok('history has no raw codes', !/record\.write|meeting\.|s47_joint|_/
    .test(hist.replace(/[^\n]*@[^\n]*/g, '')), hist);
}

async function changeDecision(page, kids) {
  await submit(page, 'a:has-text("Change the record")');
  checks.ok('the form is filled in from the stored record',
    (await page.inputValue('#worries')).startsWith('Facial bruising') &&
    await page.isChecked(`#c${kids[0]}-decision`));
  await page.check(`#c${kids[0]}-decision-no_further_action`);
  await page.check(`#c${kids[0]}-medical-not_needed`);
  await page.check(`#c${kids[0]}-next_step-no_further_action`);
  await Promise.all([page.waitForURL(/\?done=record$/),
    page.click('button:has-text("Save the record")')]);
  const hist = await page.locator('[data-history]').innerText();
  checks.ok('history: the decision change in words',
    hist.includes('Decision for Alex Example: Section 47 enquiry, joint ' +
      'with police \u2192 No further action by children\'s social care'),
    hist);
}

async function main() {
  requireEnv();
  const url = freshDatabase(DB);
  addUser(url, 'rec-admin', 'admin');
  const pw = addUser(url, 'rec-sam', 'social_worker', 'Team North');
  const srv = await startServer(url);
  let browser = null;
  try {
    await addContacts(srv.base, url);
    browser = await launchBrowser();
    const page = await browser.context.newPage();
    watch(page);
    await signIn(page, srv.base, 'rec-sam', pw);
    const id = await book(page, srv.base);
    await attendance(page, srv.base, id);
    const kids = await writeRecord(page, srv.base, id);
    await checkMeetingPage(page);
    await visit(page, 'meeting-record', 'section.convene-record');
    await changeDecision(page, kids);
  } catch (e) {
    checks.ok('scenario ran to the end', false, e.stack || String(e));
  } finally {
    if (browser) await browser.close();
    const st = await stopServer(srv);
    checks.ok('server stopped cleanly (exit 0, no sanitizer report)',
      st.code === 0 && !st.sanitizer, st.sanitizer ? st.log.slice(-3000) :
        `exit ${st.code}`);
  }
  checks.ok('no Content-Security-Policy violations', cspErrors.length === 0,
    cspErrors.join(' | '));
  checks.ok('no JavaScript errors on any page', pageErrors.length === 0,
    pageErrors.join(' | '));
  console.log(`screenshots: ${outDir}`);
  if (process.env.CONVENE_UPDATE_SCREENSHOTS === '1') {
    const docs = path.join(sourceDir, 'docs', 'screenshots');
    mkdirSync(docs, { recursive: true });
    for (const name of ['record-form', 'meeting-record']) {
      if (shots[name]) {
        copyFileSync(path.join(outDir, shots[name]),
          path.join(docs, name + '.png'));
      }
    }
  }
  dropDatabase(DB);
  process.exit(checks.summary() ? 0 : 1);
}

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
