// The dashboard in a real browser against a real `sluice up`.
//
//   node tests/browser/dashboard.test.mjs --sluice build/sluice --artifacts build/browser
//
// Needs web/node_modules (npm ci in web/: playwright-core, no browser download) and
// Debian's Chromium at /usr/bin/chromium. Runs in a scratch directory (kept, and its
// path printed, when a step fails), with the binary started three times:
//
//   1. open: no login, stream.max_value_bytes 2KiB. Every page loads without a console
//      error or a failed request; Trigger on the DAGs page makes a run that reaches
//      success while the Pipeline page's counts rise; the lag chart draws; the message
//      browser finds a record by a substring; the Table page finds a row by id; the run's
//      second task (a command running `sluice produce` with a config whose mapping adds
//      3,000 characters to the address) leaves one oversize dead letter; screenshots.
//   2. open, default max_value_bytes: the progress history survived the restart; the
//      oversize letter, redriven from the Dead letters page, is now a row of the table.
//   3. login (web.user admin, SLUICE_WEB__PASSWORD): no page or API call without a
//      session; a wrong password is refused; the right one logs in.
//
// Each check prints `ok <name>` or `FAIL <name>: why`; the last line is
// `browser: N passed, M failed`; exit 0 only when nothing failed. A global timeout
// (240 s) ends everything; sluice runs in its own process group and is always stopped
// (SIGTERM, then SIGKILL).
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const GLOBAL_TIMEOUT_MS = 240_000;
const PAGES = ['pipeline', 'streaming', 'topics', 'dead-letters', 'dags', 'table'];
const DAG = 'user_automation';
const GROUP = 'user_data';
const TOPIC = 'user_created';

// ---------- arguments ----------
function parseArgs(argv) {
  const out = { sluice: null, artifacts: null };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--sluice') out.sluice = argv[++i];
    else if (argv[i] === '--artifacts') out.artifacts = argv[++i];
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!out.sluice || !out.artifacts) throw new Error('usage: dashboard.test.mjs --sluice PATH --artifacts DIR');
  out.sluice = path.resolve(out.sluice);
  out.artifacts = path.resolve(out.artifacts);
  return out;
}
const args = parseArgs(process.argv.slice(2));
fs.mkdirSync(args.artifacts, { recursive: true });

// ---------- steps ----------
const results = [];  // {name, ok}
async function step(name, fn) {
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok ${name}`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}: ${oneLine(e)}`);
  }
}
const oneLine = (e) => String(e && e.message ? e.message : e).split('\n').slice(0, 6).join(' | ');
function check(cond, why) {
  if (!cond) throw new Error(why);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls fn until it returns a truthy value; throws `why` (a string, or a function making
// it then) with the last error on timeout.
async function until(fn, timeoutMs, why) {
  const end = Date.now() + timeoutMs;
  let last = null;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(250);
  }
  throw new Error(`${typeof why === 'function' ? why() : why} (after ${timeoutMs / 1000} s${last ? `; last error: ${oneLine(last)}` : ''})`);
}

// ---------- the sluice process ----------
let sluice = null;  // {child, exited, logPath, port, base}

function freePort() {
  return new Promise((ok, fail) => {
    const srv = net.createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

async function startSluice(scratch, phase, port, env = {}) {
  const logPath = path.join(args.artifacts, `sluice-${phase}.log`);
  const log = fs.openSync(logPath, 'w');
  const child = spawn(args.sluice, ['--config', 'sluice.yaml', 'up'], {
    cwd: scratch,
    detached: true,  // its own process group: every child (tasks, supervisors) is stopped with it
    stdio: ['ignore', log, log],
    env: { ...process.env, ...env },
  });
  fs.closeSync(log);
  const s = { child, exited: null, logPath, port, base: `http://127.0.0.1:${port}` };
  child.on('exit', (code, sig) => (s.exited = { code, sig }));
  child.on('error', (e) => (s.exited = { code: null, sig: null, error: e.message }));
  sluice = s;
  const end = Date.now() + 30_000;
  for (;;) {
    if (s.exited) throw new Error(`sluice exited (${JSON.stringify(s.exited)}) before /healthz answered; log: ${tail(logPath)}`);
    const r = await fetch(`${s.base}/healthz`).catch(() => null);
    if (r && r.ok) break;
    if (Date.now() > end) throw new Error(`GET /healthz never answered 200 on port ${port} in 30 s; log: ${tail(logPath)}`);
    await sleep(200);
  }
  return s;
}

const tail = (p) => {
  try {
    return fs.readFileSync(p, 'utf8').trim().split('\n').slice(-8).join(' | ');
  } catch {
    return '(no log)';
  }
};

// SIGTERM to the group, SIGKILL after 10 s; never throws.
async function stopSluice() {
  const s = sluice;
  if (!s || s.exited) return;
  const pid = s.child.pid;
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {}
  const end = Date.now() + 10_000;
  while (!s.exited && Date.now() < end) await sleep(100);
  try {
    process.kill(-pid, 'SIGKILL');  // the group: leftover task processes too
  } catch {}
  const end2 = Date.now() + 5000;
  while (!s.exited && Date.now() < end2) await sleep(100);
  sluice = null;
}

// Last resort when the test itself dies: no sluice is left behind.
process.on('exit', () => {
  if (sluice && !sluice.exited) {
    try {
      process.kill(-sluice.child.pid, 'SIGKILL');
    } catch {}
  }
});

// ---------- configs ----------
const MAPPING = {
  id: '{uuid4()}',
  first_name: '{name.first}',
  last_name: '{name.last}',
  gender: '{gender}',
  address: '{location.street.number} {location.street.name}, {location.city}, {location.state}, {location.country}',
  post_code: '{location.postcode}',
  email: '{email}',
  username: '{login.username}',
  dob: '{dob.date}',
  registered_date: '{registered.date}',
  phone: '{phone}',
  picture: '{picture.medium}',
};
const COLUMNS = ['id: uuid primary key', ...Object.keys(MAPPING).slice(1).map((c) => `${c}: text`)];
const q = (s) => JSON.stringify(s);  // a YAML double-quoted scalar (JSON's escapes are YAML's)

function baseConfig({ log, sink, mapping }) {
  return [
    'pipeline: user_automation',
    'source: builtin',
    `log: ${q(log)}`,
    `sink: ${q(sink)}`,
    `topic: ${TOPIC}`,
    `dead_letter_topic: ${TOPIC}.dlq`,
    'topics:',
    '  partitions: 3',
    '  replication_factor: 1',
    'produce:',
    '  for: 3s',
    '  rate: 2000',
    '  key: id',
    'mapping:',
    '  fields:',
    ...Object.entries(mapping).map(([k, v]) => `    ${k}: ${q(v)}`),
    'schema:',
    '  table: users',
    '  columns:',
    ...COLUMNS.map((c) => `    ${c}`),
  ];
}

// The config `sluice up` runs with in each phase (cwd = scratch, so ./data is there).
function sluiceYaml(scratch, { port, maxValueBytes, user }) {
  const oversize = path.join(scratch, 'oversize.yaml');
  return [
    `# Written by tests/browser/dashboard.test.mjs`,
    ...baseConfig({ log: 'file:./data/log', sink: 'sqlite:./data/user_data.db', mapping: MAPPING }),
    'stream:',
    `  group: ${GROUP}`,
    '  trigger: 1s',
    '  starting_offsets: earliest',
    '  on_error: dlq',
    ...(maxValueBytes ? [`  max_value_bytes: ${maxValueBytes}`] : []),
    'scheduler:',
    '  metadata: ./data/meta.db',
    '  logs: ./data/logs',
    'web:',
    `  listen: ${q(`127.0.0.1:${port}`)}`,
    '  history: ./data/history.db',
    ...(user ? [`  user: ${user}`] : []),
    'dags:',
    `  ${DAG}:`,
    '    description: Produce for 3 s at 2000 records/s, then one oversize record',
    '    schedule: none',
    '    timezone: UTC',
    '    catchup: false',
    '    max_active_runs: 1',
    '    tasks:',
    '      stream_data:',
    '        kind: produce',
    '        for: 3s',
    '        rate: 2000',
    '      oversize:',
    '        kind: command',
    '        after: [stream_data]',
    `        command: [${[args.sluice, 'produce', '--config', oversize, '--records', '1', '--rate', '0', '--log-level', 'warn'].map(q).join(', ')}]`,
    '  nightly:',
    '    description: A paused cron DAG (fire times, the pause toggle)',
    '    schedule: "30 2 * * MON-FRI"',
    '    timezone: Europe/Berlin',
    '    start_date: 2026-01-01',
    '    catchup: false',
    '    paused: true',
    '    tasks:',
    '      report:',
    '        kind: command',
    '        command: [sh, -c, "echo nightly {logical_date}"]',
    '',
  ].join('\n');
}

// The oversize task's config: the same log (absolute path: the task's cwd is not ours to
// assume), a mapping whose address carries 3,000 more characters (> 2 KiB in all).
function oversizeYaml(scratch) {
  const mapping = { ...MAPPING, address: `${MAPPING.address} ${'x'.repeat(3000)}` };
  return [
    '# Written by tests/browser/dashboard.test.mjs: one record above stream.max_value_bytes',
    ...baseConfig({ log: `file:${path.join(scratch, 'data/log')}`, sink: `sqlite:${path.join(scratch, 'data/user_data.db')}`, mapping }),
    '',
  ].join('\n');
}

// ---------- the browser ----------
let browser = null;

// Collects what must never happen on a page: console errors, uncaught exceptions,
// failed requests, responses >= 400.
function watch(page) {
  const problems = [];
  let on = true;
  page.on('console', (m) => on && m.type() === 'error' && problems.push(`console error: ${m.text()}`));
  page.on('pageerror', (e) => on && problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => on && problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure() ? r.failure().errorText : ''}`));
  page.on('response', (r) => on && r.status() >= 400 && problems.push(`HTTP ${r.status()} ${r.request().method()} ${r.url()}`));
  return {
    problems,
    assertClean(where) {
      check(!problems.length, `${where}: ${problems.slice(0, 5).join('; ')}`);
    },
    stop() {
      on = false;
    },
  };
}

async function openPage(context, base, route) {
  const page = await context.newPage();
  const w = watch(page);
  await page.goto(`${base}/#/${route}`);
  await page.waitForSelector(`#page[data-page="${route}"][data-ready="1"]`, { timeout: 15_000 });
  return { page, w };
}

async function closePage(p) {
  p.w.stop();  // the SSE stream's abort on close is not a failure
  await p.page.close();
}

const tid = (id) => `[data-testid="${id}"]`;
const numOf = async (page, id) => {
  const v = await page.locator(tid(id)).first().getAttribute('data-value');
  return v === null || v === '' ? NaN : Number(v);
};

// ---------- phases ----------
async function phaseOpen(scratch) {
  const port = await freePort();
  fs.writeFileSync(path.join(scratch, 'oversize.yaml'), oversizeYaml(scratch));
  fs.writeFileSync(path.join(scratch, 'sluice.yaml'), sluiceYaml(scratch, { port, maxValueBytes: '2KiB' }));
  let s;
  await step('phase 1: sluice up answers /healthz', async () => {
    s = await startSluice(scratch, 'open', port);
  });
  if (!s) return {};
  const base = s.base;
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const api = async (p) => {
    const r = await context.request.get(`${base}${p}`);
    check(r.ok(), `GET ${p}: HTTP ${r.status()}`);
    return r.json();
  };
  const out = {};

  for (const route of PAGES) {
    await step(`page ${route} loads (before any run)`, async () => {
      const p = await openPage(context, base, route);
      await sleep(1500);  // a few SSE updates
      p.w.assertClean(route);
      await closePage(p);
    });
  }

  // Trigger on the DAGs page; watch the Pipeline page's counts meanwhile.
  let runId = null;
  const P = await openPage(context, base, 'pipeline');
  const D = await openPage(context, base, 'dags');
  // Samples the Pipeline page's topic count from before the click on (every 200 ms).
  const seen = [];
  let sampling = true;
  const rowsBefore = await numOf(P.page, 'table-rows');
  const sampler = (async () => {
    while (sampling) {
      const v = await numOf(P.page, 'topic-records').catch(() => NaN);
      if (Number.isFinite(v) && v !== seen[seen.length - 1]) seen.push(v);
      await sleep(200);
    }
  })();
  const rises = () => seen.filter((x, i) => i > 0 && x > seen[i - 1]).length;
  await step('Trigger on the DAGs page creates a run', async () => {
    await D.page.click(tid(`trigger-${DAG}`));
    runId = await until(() => D.page.locator(tid(`trigger-result-${DAG}`)).getAttribute('data-run-id'), 10_000, 'no run id after Trigger');
    await D.page.waitForSelector(`${tid(`grid-${DAG}`)} ${tid('run-head')}[data-run-id="${runId}"]`, { timeout: 10_000 });
  });
  await step('Pipeline page counts rise while the produce task runs', async () => {
    check(runId, 'no run was triggered');
    await until(() => rises() >= 2, 25_000, () => `topic records did not rise twice: ${seen.join(' -> ')}`).finally(() => (sampling = false));
    await until(async () => (await numOf(P.page, 'table-rows')) > (Number.isFinite(rowsBefore) ? rowsBefore : 0), 20_000, 'table rows did not rise');
    console.log(`   topic records seen: ${seen.join(' -> ')}`);
    P.w.assertClean('pipeline page');
  });
  sampling = false;
  await sampler;
  await step('the triggered run reaches success in the grid', async () => {
    check(runId, 'no run was triggered');
    const head = `${tid(`grid-${DAG}`)} ${tid('run-head')}[data-run-id="${runId}"]`;
    await until(async () => (await D.page.locator(head).getAttribute('data-state')) === 'success', 60_000, 'run not success in the grid');
    const states = await D.page.locator(`${tid('grid-cell')}[data-run-id="${runId}"]`).evaluateAll((els) => els.map((e) => `${e.dataset.taskId}=${e.dataset.state}`));
    check(states.length === 2 && states.every((s) => s.endsWith('=success')), `task cells: ${states.join(', ')}`);
    D.w.assertClean('dags page');
  });
  await step('a grid cell opens its task log', async () => {
    check(runId, 'no run was triggered');
    await D.page.click(`${tid('grid-cell')}[data-run-id="${runId}"][data-task-id="stream_data"]`);
    await D.page.waitForSelector(`${tid('task-log-panel')}:not([hidden])`, { timeout: 5000 });
    await until(async () => (await D.page.locator(tid('task-log')).getAttribute('data-running')) === 'false', 15_000, 'log still following');
    const text = await D.page.locator(tid('task-log')).textContent();
    check(text.trim().length > 0, 'empty task log');
    D.w.assertClean('dags page');
  });
  await step("the Pipeline page lists the run's reconciliation", async () => {
    check(runId, 'no run was triggered');
    const row = P.page.locator(`${tid('run-row')}[data-run-id="${runId}"]`);
    await row.waitFor({ timeout: 20_000 });
    // The server counts the run's books once the query has read all of its records: each
    // record is in the table or the dead-letter topic.
    await until(async () => (await row.getAttribute('data-reconciled')) === 'true', 60_000, 'the run is not reconciled');
    console.log(`   run ${runId}: reconciled=${await row.getAttribute('data-reconciled')}, ${(await row.textContent()).replace(/\s+/g, ' ').trim()}`);
    P.w.assertClean('pipeline page');
  });
  await step('pause toggle of a paused DAG (nightly)', async () => {
    const btn = D.page.locator(tid('pause-nightly'));
    check((await btn.getAttribute('data-paused')) === 'true', 'nightly is not shown paused');
    await btn.click();
    await until(async () => (await btn.getAttribute('data-paused')) === 'false', 10_000, 'not unpaused');
    await btn.click();
    await until(async () => (await btn.getAttribute('data-paused')) === 'true', 10_000, 'not paused again');
    const dags = await api('/api/dags');
    check(dags.find((d) => d.dag_id === 'nightly').paused === true, '/api/dags: nightly not paused');
    D.w.assertClean('dags page');
  });
  await closePage(P);
  await closePage(D);

  await step('the lag chart draws points', async () => {
    const p = await openPage(context, base, 'topics');
    const chart = p.page.locator(tid(`lag-chart-${GROUP}`));
    await chart.waitFor({ timeout: 15_000 });
    await until(async () => Number(await chart.getAttribute('data-points')) >= 2, 20_000, 'fewer than 2 lag samples drawn');
    check((await chart.locator('canvas').count()) > 0, 'no uPlot canvas');
    p.w.assertClean('topics page');
    await closePage(p);
  });

  await step('the message browser finds a record by a substring of its value', async () => {
    const newest = await api(`/api/topics/${TOPIC}/messages?newest=1`);
    const m = newest.messages && newest.messages[0];
    check(m, 'the topic has no message');
    // The value's first 40 bytes after its brace: raw bytes (no JSON decoding), within
    // what a row shows, and for this mapping holding the record's fresh UUID.
    const needle = m.value.slice(1, 41);
    check(needle.length >= 20, `value too short: ${m.value}`);
    const p = await openPage(context, base, 'topics');
    await p.page.selectOption('#msg-topic', TOPIC);
    await p.page.selectOption('#msg-mode', 'newest');
    await p.page.fill('#msg-limit', '50');
    await p.page.fill('#msg-q', needle);
    await p.page.click('#msg-load');
    await until(async () => (await p.page.locator('#msg-results').getAttribute('data-q')) === needle, 15_000, 'the search never answered');
    await p.page.waitForSelector(`${tid('msg-row')}[data-partition="${m.partition}"][data-offset="${m.offset}"]`, { timeout: 15_000 });
    const texts = await p.page.locator(tid('msg-row')).allTextContents();
    check(texts.every((t) => t.includes(needle)), 'a shown row does not contain the substring');
    const href = await p.page.locator('#msg-download').getAttribute('href');
    check(href && href.includes('format=jsonl') && href.includes(`q=${encodeURIComponent(needle)}`), `download link: ${href}`);
    const dl = await context.request.get(new URL(href, base).href);
    check(dl.ok(), `download: HTTP ${dl.status()}`);
    const lines = (await dl.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l));
    check(lines.some((x) => x.partition === m.partition && x.offset === m.offset), 'the download lacks the record');
    p.w.assertClean('topics page');
    await closePage(p);
  });

  await step('the Table page finds a row by id', async () => {
    const res = await api('/api/table/rows?limit=1');
    const idx = res.columns.indexOf('id');
    check(idx >= 0 && res.rows.length, 'the table has no row');
    const id = String(res.rows[0][idx]);
    const p = await openPage(context, base, 'table');
    await p.page.fill('#table-key', id);
    await p.page.click('#table-lookup');
    await p.page.waitForSelector(`${tid('table-lookup-result')}[data-found="true"]`, { timeout: 10_000 });
    check((await p.page.locator(tid('table-lookup-result')).textContent()).includes(id), 'the row shown is not the id looked up');
    const missing = crypto.randomUUID();
    await p.page.fill('#table-key', missing);
    await p.page.click('#table-lookup');
    await p.page.waitForSelector(`${tid('table-lookup-result')}[data-found="false"]`, { timeout: 10_000 });
    check((await p.page.locator(tid('table-lookup-result')).textContent()).includes(`no row with id ${missing}`), 'no "no row with id" line');
    p.w.assertClean('table page');
    await closePage(p);
  });

  await step('the oversize record is a dead letter with its origin', async () => {
    const res = await until(
      async () => {
        const r = await api('/api/dead-letters?kind=oversize');
        return r.letters && r.letters.length ? r : null;
      },
      30_000,
      'no oversize dead letter (the oversize task or the query)',
    );
    const l = res.letters[0];
    check(l.origin && l.origin.topic === TOPIC, `origin: ${JSON.stringify(l.origin)}`);
    out.letter = { partition: l.partition, offset: l.offset, id: JSON.parse(l.value).id };
    check(out.letter.id, 'the letter has no id');
    const p = await openPage(context, base, 'dead-letters');
    await p.page.selectOption('#dl-kind', 'oversize');
    await p.page.waitForSelector(`${tid('dl-row')}[data-kind="oversize"][data-partition="${l.partition}"][data-offset="${l.offset}"]`, { timeout: 10_000 });
    p.w.assertClean('dead-letters page');
    await closePage(p);
  });

  for (const route of PAGES) {
    await step(`page ${route} with data: no error, screenshot`, async () => {
      const p = await openPage(context, base, route);
      await sleep(1500);
      await p.page.screenshot({ path: path.join(args.artifacts, `${route}.png`), fullPage: true });
      p.w.assertClean(route);
      await closePage(p);
    });
  }
  await context.close();
  await stopSluice();
  return out;
}

async function phaseRedrive(scratch, letter) {
  const port = await freePort();
  fs.writeFileSync(path.join(scratch, 'sluice.yaml'), sluiceYaml(scratch, { port }));
  let s;
  await step('phase 2: sluice up again, default max_value_bytes', async () => {
    s = await startSluice(scratch, 'redrive', port);
  });
  if (!s) return;
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  await step('the micro-batch history survives the restart', async () => {
    const r = await context.request.get(`${s.base}/api/query/progress?limit=10`);
    check(r.ok(), `HTTP ${r.status()}`);
    check(((await r.json()).batches || []).length > 0, 'no batch after the restart');
  });
  await step('a redriven dead letter appears in the table', async () => {
    check(letter, 'no dead letter from phase 1');
    const p = await openPage(context, s.base, 'dead-letters');
    await p.page.selectOption('#dl-kind', 'oversize');
    const row = `${tid('dl-row')}[data-partition="${letter.partition}"][data-offset="${letter.offset}"]`;
    await p.page.waitForSelector(row, { timeout: 10_000 });
    await p.page.click(`${row} ${tid('dl-redrive-one')}`);
    await until(async () => Number(await p.page.locator(tid('dl-result')).getAttribute('data-redriven')) >= 1, 10_000, 'the page shows no redrive');
    await until(async () => (await p.page.locator(row).getAttribute('data-redriven')) === 'true', 10_000, 'the letter is not shown redriven');
    p.w.assertClean('dead-letters page');
    await closePage(p);
    await until(
      async () => {
        const r = await context.request.get(`${s.base}/api/table/rows?key=${letter.id}`);
        return r.ok() && ((await r.json()).rows || []).length === 1;
      },
      30_000,
      `no row ${letter.id} in the table after the redrive`,
    );
    const t = await openPage(context, s.base, 'table');
    await t.page.fill('#table-key', letter.id);
    await t.page.click('#table-lookup');
    await t.page.waitForSelector(`${tid('table-lookup-result')}[data-found="true"]`, { timeout: 10_000 });
    t.w.assertClean('table page');
    await closePage(t);
  });
  await context.close();
  await stopSluice();
}

async function phaseLogin(scratch) {
  const port = await freePort();
  const password = crypto.randomBytes(12).toString('hex');
  fs.writeFileSync(path.join(scratch, 'sluice.yaml'), sluiceYaml(scratch, { port, user: 'admin' }));
  let s;
  await step('phase 3: sluice up with a login', async () => {
    s = await startSluice(scratch, 'login', port, { SLUICE_WEB__PASSWORD: password });
  });
  if (!s) return;
  const base = s.base;
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });

  await step('without a session: pages go to the login page, the API answers 401', async () => {
    for (const p of ['/', '/index.html']) {
      const r = await fetch(`${base}${p}`, { redirect: 'manual' });
      const loc = r.headers.get('location') || '';
      check(r.status === 401 || ([302, 303, 307].includes(r.status) && loc.includes('/login')), `GET ${p}: ${r.status} ${loc}`);
    }
    for (const p of ['/api/overview', '/api/dags', '/api/topics', '/api/table/rows?limit=1', '/api/dead-letters', '/api/events']) {
      const r = await fetch(`${base}${p}`, { redirect: 'manual' });
      check(r.status === 401, `GET ${p}: ${r.status}`);
      await r.body?.cancel();
    }
    const post = await fetch(`${base}/api/dags/${DAG}/trigger`, { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } });
    check(post.status === 401 || post.status === 403, `POST trigger: ${post.status}`);
    const page = await context.newPage();
    for (const route of PAGES) {
      await page.goto(`${base}/#/${route}`);
      check(new URL(page.url()).pathname === '/login', `#/${route} ended at ${page.url()}`);
      await page.waitForSelector(tid('login-form'), { timeout: 5000 });
    }
    await page.close();
  });

  const page = await context.newPage();
  await step('a wrong password is refused', async () => {
    await page.goto(`${base}/login`);
    await page.fill('#login-user', 'admin');
    await page.fill('#login-password', `${password}x`);
    await Promise.all([page.waitForNavigation({ timeout: 10_000 }), page.click('#login-submit')]);
    await page.waitForSelector(`${tid('login-error')}:not([hidden])`, { timeout: 5000 });
    const r = await context.request.get(`${base}/api/overview`);
    check(r.status() === 401, `/api/overview after a wrong password: ${r.status()}`);
  });
  await step('the right password logs in and the pipeline page loads', async () => {
    if (new URL(page.url()).pathname !== '/login') await page.goto(`${base}/login`);
    const w = watch(page);
    await page.fill('#login-user', 'admin');
    await page.fill('#login-password', password);
    await Promise.all([page.waitForNavigation({ timeout: 10_000 }), page.click('#login-submit')]);
    await page.waitForSelector('#page[data-page="pipeline"][data-ready="1"]', { timeout: 15_000 });
    await sleep(1500);
    await page.screenshot({ path: path.join(args.artifacts, 'login-pipeline.png'), fullPage: true });
    w.assertClean('pipeline page after login');
    w.stop();
    const r = await context.request.get(`${base}/api/overview`);
    check(r.status() === 200, `/api/overview with the session: ${r.status()}`);
  });
  await page.close();
  await context.close();
  await stopSluice();
}

// ---------- main ----------
let finished = false;
function summary() {
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  console.log(`browser: ${passed} passed, ${failed} failed`);
  return failed;
}

async function main() {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-browser-'));
  console.log(`# scratch ${scratch}, artifacts ${args.artifacts}`);
  const timer = setTimeout(async () => {
    if (finished) return;
    results.push({ name: 'global timeout', ok: false });
    console.log(`FAIL global timeout: not done after ${GLOBAL_TIMEOUT_MS / 1000} s`);
    await stopSluice();
    if (browser) await browser.close().catch(() => {});
    summary();
    console.log(`# scratch kept: ${scratch}`);
    process.exit(1);
  }, GLOBAL_TIMEOUT_MS);
  try {
    await step('chromium starts', async () => {
      browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
    });
    if (browser) {
      const { letter } = await phaseOpen(scratch);
      await stopSluice();
      await phaseRedrive(scratch, letter);
      await stopSluice();
      await phaseLogin(scratch);
    }
  } catch (e) {
    results.push({ name: 'test driver', ok: false });
    console.log(`FAIL test driver: ${oneLine(e)}`);
  } finally {
    await stopSluice();
    if (browser) await browser.close().catch(() => {});
    clearTimeout(timer);
  }
  finished = true;
  const failed = summary();
  if (failed) console.log(`# scratch kept: ${scratch}`);
  else fs.rmSync(scratch, { recursive: true, force: true });
  process.exit(failed ? 1 : 0);
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    await stopSluice();
    process.exit(1);
  });
}
main();
