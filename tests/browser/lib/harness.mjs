// harness: what the browser tests share. Real parts only: a fresh
// PostgreSQL database on the cluster scripts/test.sh started, the real
// `convene` binary (serve, user add), and headless Chromium driven by
// playwright-core with axe-core checking every page.
//
// Environment (scripts/test.sh exports it; ctest adds CONVENE_BIN and
// CONVENE_SOURCE_DIR):
//   CONVENE_TEST_PG_ADMIN_URL, CONVENE_TEST_DATABASE_URL   required
//   CONVENE_BIN              the binary (default build-test/convene)
//   CONVENE_TEST_OUTPUT_DIR  screenshots go to $it/browser/
//   CONVENE_TEST_CHROMIUM    default /usr/bin/chromium
import { spawn, execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, openSync, closeSync }
  from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const sourceDir = process.env.CONVENE_SOURCE_DIR ||
  path.resolve(here, '..', '..', '..');
export const outputDir = path.join(process.env.CONVENE_TEST_OUTPUT_DIR ||
  path.join(sourceDir, 'tests', 'output'), 'browser');
const chromiumPath = process.env.CONVENE_TEST_CHROMIUM || '/usr/bin/chromium';

function conveneBin() {
  return process.env.CONVENE_BIN ||
    path.join(sourceDir, 'build-test', 'convene');
}

export function requireEnv() {
  const missing = ['CONVENE_TEST_PG_ADMIN_URL', 'CONVENE_TEST_DATABASE_URL']
    .filter((k) => !process.env[k]);
  if (missing.length) {
    throw new Error(`${missing.join(', ')} not set: run through ` +
      'scripts/test.sh (it starts the PostgreSQL this test uses)');
  }
}

function withDb(url, name) {
  const u = new URL(url);
  u.pathname = '/' + name;
  return u.toString();
}

function psql(url, sql) {
  return execFileSync('psql', ['-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1',
    url, '-c', sql], { encoding: 'utf8',
    env: { ...process.env, PGOPTIONS: '-c client_min_messages=warning' } });
}

// Drop and create database `name` owned by the test role, migrate it as
// that owner, and return the URL of the serving login (CONVENE_TEST_SERVE_USER,
// DML only: docs/security.md, "Least privilege"), as convene_test.py does.
export function freshDatabase(name) {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error('bad database name');
  const admin = process.env.CONVENE_TEST_PG_ADMIN_URL;
  const base = process.env.CONVENE_TEST_DATABASE_URL;
  const owner = new URL(base).username || 'convene';
  psql(admin, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity ` +
    `WHERE datname = '${name}' AND pid <> pg_backend_pid()`);
  psql(admin, `DROP DATABASE IF EXISTS "${name}"`);
  psql(admin, `CREATE DATABASE "${name}" OWNER "${owner}"`);
  const url = withDb(base, name);
  execFileSync(conveneBin(), ['migrate', '--database-url', url],
    { encoding: 'utf8' });
  const serve = new URL(url);
  serve.username = process.env.CONVENE_TEST_SERVE_USER || 'convene_app';
  serve.password = '';
  return serve.toString();
}

export function dropDatabase(name) {
  const admin = process.env.CONVENE_TEST_PG_ADMIN_URL;
  psql(admin, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity ` +
    `WHERE datname = '${name}' AND pid <> pg_backend_pid()`);
  psql(admin, `DROP DATABASE IF EXISTS "${name}"`);
}

export function query(url, sql) {
  return psql(url, sql).trim();
}

// `convene user add`; the generated password (its last line).
// An API token for user (convene token create), as the operator makes one.
export function apiToken(url, user) {
  const out = execFileSync(conveneBin(), ['token', 'create', user,
    '--database-url', url], { encoding: 'utf8' }).trim().split('\n');
  return out[out.length - 1].trim();
}

// One JSON API call with a bearer token: {status, body}.
export async function apiCall(base, tok, method, p, body) {
  const r = await fetch(base + p, { method, headers: {
    Authorization: 'Bearer ' + tok, 'Content-Type': 'application/json' },
  body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
}

export function addUser(url, name, role, team) {
  const args = ['user', 'add', name, '--role', role, '--database-url', url];
  if (team) args.push('--team', team);
  const out = execFileSync(conveneBin(), args, { encoding: 'utf8' });
  const lines = out.trim().split('\n');
  return lines[lines.length - 1].trim();
}

function portFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function freePort() {
  for (let i = 0; i < 200; i++) {
    const p = 20000 + Math.floor(Math.random() * 10000);
    if (await portFree(p)) return p;
  }
  throw new Error('no free port in 20000..29999');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// `convene serve` on a free loopback port; resolves when /healthz says 200.
export async function startServer(databaseUrl) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'convene-web-'));
  const logPath = path.join(dataDir, 'stderr.log');
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const log = openSync(logPath, 'a');
    const proc = spawn(conveneBin(), ['serve', '--listen', `127.0.0.1:${port}`,
      '--database-url', databaseUrl, '--data-dir', dataDir],
    { stdio: ['ignore', 'ignore', log] });
    closeSync(log);
    let exited = null;
    proc.on('exit', (code, sig) => { exited = { code, sig }; });
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 90000;
    while (Date.now() < deadline && exited === null) {
      try {
        const r = await fetch(base + '/healthz');
        if (r.status === 200) {
          return { proc, base, dataDir, logPath, exited: () => exited };
        }
      } catch { /* not up yet */ }
      await sleep(100);
    }
    const text = readFileSync(logPath, 'utf8');
    if (exited === null) proc.kill('SIGKILL');
    if (!text.includes('could not listen')) {
      throw new Error('convene serve did not start:\n' + text.slice(-3000));
    }
  }
  throw new Error('could not find a port for convene serve');
}

// SIGTERM; the exit status and anything a sanitizer said.
export async function stopServer(srv) {
  if (srv.exited() === null) {
    srv.proc.kill('SIGTERM');
    const deadline = Date.now() + 60000;
    while (srv.exited() === null && Date.now() < deadline) await sleep(50);
    if (srv.exited() === null) srv.proc.kill('SIGKILL');
  }
  const log = readFileSync(srv.logPath, 'utf8');
  const e = srv.exited() || { code: null };
  rmSync(srv.dataDir, { recursive: true, force: true });
  return { code: e.code, log,
    sanitizer: /AddressSanitizer|LeakSanitizer|runtime error:/.test(log) };
}

// A fresh Chromium profile and the flags the project runs it with.
export async function launchBrowser(options = {}) {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(path.join(os.tmpdir(), 'convene-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu',
      '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
    viewport: { width: 1100, height: 900 },
    ...options,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

const axeSource = readFileSync(path.join(sourceDir, 'node_modules',
  'axe-core', 'axe.min.js'), 'utf8');

// axe-core on the current page: violations of serious or critical impact.
// (page.evaluate runs through the DevTools protocol, so the page's CSP,
// which forbids inline script, does not have to be relaxed for it.)
export async function axeViolations(page) {
  await page.evaluate(axeSource + '\n;0');
  const res = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact,
      help: v.help, targets: v.nodes.slice(0, 5).map((n) =>
        n.target.join(' ')) }));
  });
  return {
    serious: res.filter((v) => v.impact === 'serious' ||
      v.impact === 'critical'),
    other: res.filter((v) => v.impact !== 'serious' &&
      v.impact !== 'critical'),
  };
}

// Pass/fail bookkeeping with a summary at the end.
export class Checks {
  constructor(title) {
    this.title = title;
    this.results = [];
  }

  ok(name, cond, detail = '') {
    this.results.push({ name, pass: !!cond, detail });
    const mark = cond ? 'PASS' : 'FAIL';
    console.log(`${mark}  ${name}${!cond && detail ? ' -- ' + detail : ''}`);
    return !!cond;
  }

  // Like ok, but stops the scenario: later steps depend on this one.
  must(name, cond, detail = '') {
    if (!this.ok(name, cond, detail)) {
      throw new Error(`stopped: ${name}`);
    }
  }

  summary() {
    const failed = this.results.filter((r) => !r.pass);
    console.log('');
    console.log(`${this.title}: ${this.results.length - failed.length} ` +
      `passed, ${failed.length} failed`);
    for (const f of failed) console.log(`  FAILED: ${f.name} ${f.detail}`);
    return failed.length === 0 && this.results.length > 0;
  }
}

export function ensureOutputDir() {
  mkdirSync(outputDir, { recursive: true });
  return outputDir;
}

// ---- signing in, with the second step (docs/security.md) -----------------
//
// Managers and admins must have two-step sign-in: the first sign-in sets it
// up from /account/mfa (the secret read off the page, as a person would type
// it into an app), later ones enter a code. Codes come from Node's crypto
// (RFC 6238 by hand), independently of the server's liboath. The server
// takes each time step once, so the last one used per user is remembered
// and the next sign-in takes a later one within the +-1 window.

const mfaSecrets = new Map();	// username -> base32 secret
const mfaLastStep = new Map();	// username -> last time step used

function base32Decode(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of s.replace(/=+$/, '')) {
    value = (value << 5) | alphabet.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

export function totpAt(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const h = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const o = h[h.length - 1] & 15;
  const n = ((h[o] & 127) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) |
    h[o + 3];
  return String(n % 1000000).padStart(6, '0');
}

// A code for user at a time step not used yet (waits when all are spent).
export async function mfaCode(user, secret = mfaSecrets.get(user)) {
  for (;;) {
    const now = Math.floor(Date.now() / 30000);
    // The step before now only while this one has 8 s or more to run: the
    // code must still be good when the server checks it (±1 step).
    const oldest = Date.now() - now * 30000 < 22000 ? now - 1 : now;
    const step = Math.max(oldest, (mfaLastStep.get(user) || 0) + 1);
    if (step <= now + 1) {
      mfaLastStep.set(user, step);
      return totpAt(secret, step);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

// Sign in through the form and end on the home page, doing the second step
// or setting it up when the account needs it. onPage(name), when given, is
// awaited on each page of that ('mfa-setup', 'mfa-recovery-codes',
// 'mfa-code'), e.g. to check it with axe.
export async function signIn(page, base, user, password, onPage = null) {
  const seen = async (name) => { if (onPage) await onPage(name); };
  await page.goto(base + '/sign-in');
  await page.fill('#username', user);
  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation(),
    page.click('button:has-text("Sign in")')]);
  const where = new URL(page.url()).pathname;
  if (where === '/sign-in/code') {
    await seen('mfa-code');
    await page.fill('#code', await mfaCode(user));
    await Promise.all([page.waitForURL(base + '/'),
      page.click('button:has-text("Continue")')]);
  } else if (where === '/account/mfa') {
    await seen('mfa-setup');
    const secret = (await page.locator('#mfa-secret').innerText()).trim();
    mfaLastStep.delete(user);
    await page.fill('#code', await mfaCode(user, secret));
    await Promise.all([page.waitForNavigation(),
      page.click('button:has-text("Turn on two-step sign-in")')]);
    if (await page.locator('#recovery-codes li').count() !== 10) {
      throw new Error(`setting up two-step sign-in for ${user} failed`);
    }
    mfaSecrets.set(user, secret);
    await seen('mfa-recovery-codes');
    await page.goto(base + '/');
  } else if (where !== '/') {
    throw new Error(`sign-in as ${user} ended on ${page.url()}`);
  }
}
