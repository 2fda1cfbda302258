// stats.test.mjs: the statistics issue's scenario in a real headless
// Chromium against a real `convene serve` on a fresh database, with
// axe-core on every page: a manager opens the dashboard and sees the charts
// (screenshot saved), filters by team, downloads the CSV (its figures match
// the page), drills into the single-agency and partial discussions awaiting
// review, reviews one, and the count of unreviewed flags goes down by one.
// The data (two teams, six discussions in November 2025) are inserted with
// SQL, as in tests/integration/test_stats.py. Prints a PASS/FAIL line per
// check and a summary; exits 1 on any failure.
import { readFileSync } from 'node:fs';
import path from 'node:path';

import {
  Checks, addUser, axeViolations, dropDatabase, ensureOutputDir,
  freshDatabase, launchBrowser, query, requireEnv, signIn, startServer,
  stopServer,
} from './lib/harness.mjs';

const DB = 'convene_browser_stats';
const checks = new Checks('browser: stats');
const outDir = ensureOutputDir();
const RANGE = 'from=2025-11-01&to=2025-11-30';
const cspErrors = [];
let shot = 0;

async function visit(page, name) {
  shot += 1;
  await page.screenshot({ path: path.join(outDir,
    `stats-${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
  const v = await axeViolations(page);
  checks.ok(`axe: no serious/critical violations on ${name}`,
    v.serious.length === 0, JSON.stringify(v.serious));
}

async function submit(page, selector) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
    page.click(selector)]);
}

async function figure(page, name) {
  return Number(await page.locator(`[data-figure="${name}"]`).first()
    .textContent());
}

// Six discussions: North has a multi-agency one, a partial one (health
// absent) and a single-agency one; South a multi-agency, a partial one and
// a cancelled one. Flagged and not reviewed: three.
function seed(url) {
  const id = (sql) => Number(query(url, sql).split('\n')[0]);
  const auth = id("SELECT id FROM authorities WHERE code = 'default'");
  const team = {
    N: id("SELECT id FROM teams WHERE name = 'Team North'"),
    S: id("SELECT id FROM teams WHERE name = 'Team South'"),
  };
  const rows = [
    ['N', 'held', 'multi_agency', '{}', '2025-11-03'],
    ['N', 'held', 'partial', '{health}', '2025-11-05'],
    ['N', 'held', 'single_agency', '{police,health}', '2025-11-10'],
    ['S', 'held', 'multi_agency', '{}', '2025-11-12'],
    ['S', 'held', 'partial', '{health}', '2025-11-18'],
    ['S', 'cancelled', null, null, '2025-11-20'],
  ];
  rows.forEach(([t, status, cls, missing, day], i) => {
    const c = id(`INSERT INTO cases (authority_id, case_ref, team_id) ` +
      `VALUES (${auth}, 'BR-${i}', ${team[t]}) RETURNING id`);
    const d = id(`INSERT INTO discussions (authority_id, case_id, team_id, ` +
      `kind, reason, concern_received_at, starts_at, ends_at, format, ` +
      `status, uid, planned_classification, actual_classification, ` +
      `actual_missing, child_views_recorded, absence_reason) VALUES ` +
      `(${auth}, ${c}, ${team[t]}, 'meeting', 'Concern', ` +
      `'${day} 09:00Z', '${day} 10:00Z', '${day} 11:00Z', 'video', ` +
      `'${status}', 'br-${i}@test', 'multi_agency', ` +
      `${cls ? `'${cls}'` : 'NULL'}, ${missing ? `'${missing}'` : 'NULL'}, ` +
      `${status === 'held' ? 'true' : 'NULL'}, ` +
      `${cls && cls !== 'multi_agency' ? "'Health could not come'" :
        'NULL'}) RETURNING id`);
    for (const [agency, org] of [['social_care', 'Children\'\'s Services'],
      ['police', 'Northshire Police'], ['health', 'NHS Trust A']]) {
      const absent = missing && missing.includes(agency);
      query(url, `INSERT INTO participants (discussion_id, name, email, ` +
        `agency, organisation, attendance) VALUES (${d}, 'P', ` +
        `'p${d}-${agency}@example.org', '${agency}', '${org}', ` +
        `${status !== 'held' ? 'NULL' : absent ? "'absent'" :
          "'attended'"})`);
    }
  });
}

async function main() {
  requireEnv();
  const url = freshDatabase(DB);
  const srv = await startServer(url);
  let browser;
  try {
    const pw = addUser(url, 'stats-mgr', 'manager', 'Team North');
    addUser(url, 'stats-sw', 'social_worker', 'Team South');
    seed(url);
    browser = await launchBrowser({ acceptDownloads: true });
    const page = await browser.context.newPage();
    page.setDefaultTimeout(30000);
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) {
        cspErrors.push(m.text());
      }
    });
    await signIn(page, srv.base, 'stats-mgr', pw);

    // The dashboard, from the navigation.
    await submit(page, 'a.govuk-service-navigation__link:has-text("Statistics")');
    checks.ok('the navigation leads to the dashboard',
      page.url().endsWith('/stats'));
    await page.goto(`${srv.base}/stats?${RANGE}`);
    await visit(page, 'dashboard');
    checks.ok('headline figures: 5 held, 2 multi-agency, 2 partial, 1 single',
      await figure(page, 'held') === 5 &&
      await figure(page, 'multi_agency') === 2 &&
      await figure(page, 'partial') === 2 &&
      await figure(page, 'single_agency') === 1);
    const charts = page.locator('svg.convene-chart[role="img"]');
    checks.ok('four charts drawn as inline SVG', await charts.count() === 4);
    const box = await charts.first().boundingBox();
    checks.ok('the first chart is visible and has a size',
      box !== null && box.width > 300 && box.height > 100);
    checks.ok('each chart has a text alternative and a data table',
      await page.locator('svg.convene-chart desc').count() === 4 &&
      await page.locator('table[data-table="classes"]').count() === 1);
    await charts.first().screenshot({ path: path.join(outDir,
      'stats-chart-classes.png') });
    const before = await figure(page, 'unreviewed_flags');
    checks.ok('three flags await review', before === 3, String(before));

    // Filter by team.
    await page.selectOption('#team', 'Team South');
    await submit(page, 'button:has-text("Show figures")');
    await visit(page, 'dashboard-team');
    checks.ok('filtered by team: South held 2',
      page.url().includes('team=Team+South') &&
      await figure(page, 'held') === 2);
    await page.goto(`${srv.base}/stats?${RANGE}`);

    // The CSV download matches the page.
    const [dl] = await Promise.all([page.waitForEvent('download'),
      page.click('a[data-export="stats"]')]);
    const csv = readFileSync(await dl.path(), 'utf8');
    const lines = csv.replace(/^\ufeff/, '').split('\r\n');
    const head = lines[0].split(',');
    const total = lines[1].split(',');
    const col = (name) => Number(total[head.indexOf(name)]);
    checks.ok('the CSV has a byte order mark and CRLF lines',
      csv.startsWith('\ufeff') && lines.length >= 3);
    checks.ok('the CSV total matches the page',
      col('held') === 5 && col('unreviewed_flags') === before &&
      col('missing_health') === await figure(page, 'missing.health'));

    // Drill into the flagged discussions and review one.
    await submit(page, 'a:has-text("Review them")');
    await visit(page, 'flagged-list');
    const rows = page.locator('table[data-table="discussions"] tbody tr');
    checks.ok('the list shows the three flagged discussions',
      await rows.count() === 3);
    await submit(page, 'a[data-action="review"] >> nth=0');
    await visit(page, 'review-form');
    await page.check('#decision');
    await page.fill('#note', 'Health were offered a later time');
    await submit(page, 'button:has-text("Save review")');
    checks.ok('back on the list with a confirmation',
      await page.locator('text=Review recorded.').isVisible());
    checks.ok('two left on the list', await rows.count() === 2);
    await page.goto(`${srv.base}/stats?${RANGE}`);
    const after = await figure(page, 'unreviewed_flags');
    checks.ok('the count of unreviewed flags went down by one',
      after === before - 1, `${before} -> ${after}`);
    await visit(page, 'dashboard-after-review');
    checks.ok('no Content-Security-Policy violations', cspErrors.length === 0,
      cspErrors.join(' | '));
  } finally {
    if (browser) await browser.close();
    const st = await stopServer(srv);
    checks.ok('convene serve stopped cleanly, no sanitizer report',
      st.code === 0 && !st.sanitizer, st.log.slice(-2000));
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
