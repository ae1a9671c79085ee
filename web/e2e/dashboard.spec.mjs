#!/usr/bin/env node
// End-to-end test of the admin dashboard (run by ctest, label e2e):
//
//   node web/e2e/dashboard.spec.mjs --bin build/offerledger --artifacts build/test-artifacts
//
// Starts the real binary on a fresh SQLite file, checks that /admin/dashboard
// does not exist without an admin token, then, with a token, makes a known mix
// of signed partner calls, opens the dashboard in headless Chromium (the
// system's /usr/bin/chromium, driven by playwright-core: no browser download)
// and checks the charts and the coverage table show that mix. Saves a
// screenshot to ARTIFACTS/dashboard.png.
//
// Then the price optimizer section, on a second server (`--pricing optimize`:
// prices vary with the multiplier there, so the first server's price bands
// stay fixed): no contexts at first ("no optimized products yet"), then
// OPTIMIZER_MIX for two partners (two contexts), and the optimizer chart and
// table must equal GET /admin/v1/optimizer. Saves ARTIFACTS/dashboard-optimizer.png.
//
// The mix, all event ticket protection in GBP, offered today:
//   PARTNER-A: 10 offers, 4 booked, 5 opted out, 1 no answer -> coverage 0.9
//   PARTNER-B: 10 offers, 2 booked, 0 opted out, 8 no answer -> coverage 0.2 (under-reports)
// spread over three price bands (ticket price -> total price -> band):
//   10 -> 1.50 -> "0-2"; 100 -> 2.01 -> "2-5"; 1000 -> 11.08 -> "10-20".
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { chromium } from 'playwright-core';

import { PartnerClient } from './partner-client.mjs';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'e2e-admin-token-Zq8v1';
const DAY_MS = 86400000;

function parseArgs(argv) {
  const args = { bin: null, artifacts: null };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    if (!(name in args) || argv[i + 1] === undefined) {
      throw new Error(`usage: dashboard.spec.mjs --bin OFFERLEDGER --artifacts DIR (got ${argv[i]})`);
    }
    args[name] = path.resolve(argv[i + 1]);
  }
  if (!args.bin || !args.artifacts) throw new Error('usage: dashboard.spec.mjs --bin OFFERLEDGER --artifacts DIR');
  return args;
}

const log = (...m) => console.log('[e2e]', ...m);
const utcDay = (ms = Date.now()) => new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
const round4 = (x) => Math.round(x * 10000) / 10000;

// ---- the server ------------------------------------------------------------------------------

class Server {
  // Starts `offerledger serve` and waits for its first stdout line,
  // "offerledger: listening on http://127.0.0.1:PORT (...)".
  static async start(bin, db, env, { windowDays = 0, args = [] } = {}) {
    const s = new Server();
    s.stdout = '';
    s.stderr = '';
    s.proc = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--db', `sqlite:${db}`,
      '--decision-window-days', String(windowDays), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    s.proc.stderr.on('data', (d) => { s.stderr += d; });
    s.exited = new Promise((resolve) => s.proc.on('exit', (code, signal) => resolve({ code, signal })));
    const lines = readline.createInterface({ input: s.proc.stdout });
    const first = await Promise.race([
      new Promise((resolve) => lines.once('line', resolve)),
      s.exited.then((e) => { throw new Error(`serve exited early (${JSON.stringify(e)}): ${s.stderr}`); }),
      new Promise((_, reject) => setTimeout(() => reject(new Error('serve did not start in 20 s')), 20000)),
    ]);
    s.stdout += `${first}\n`;
    lines.on('line', (l) => { s.stdout += `${l}\n`; });
    const m = /^offerledger: listening on (http:\/\/127\.0\.0\.1:\d+) /.exec(first);
    assert.ok(m, `unexpected first line: ${first}`);
    s.url = m[1];
    return s;
  }

  async stop() {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return this.exited;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 15000);
    const e = await this.exited;
    clearTimeout(timer);
    return e;
  }
}

function serverEnv(token) {
  const env = { ...process.env };
  delete env.OFFERLEDGER_ADMIN_TOKEN;
  if (token) env.OFFERLEDGER_ADMIN_TOKEN = token;
  return env;
}

async function get(url, headers = {}) {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

function addPartner(bin, db, code) {
  const r = spawnSync(bin, ['partner', 'add', code, '--db', `sqlite:${db}`, '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `partner add ${code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

// ---- the known mix ---------------------------------------------------------------------------

// [ticket price, outcome] per offer; outcome: book | opt_out | none.
const MIX = {
  'PARTNER-A': [
    [10, 'book'], [10, 'opt_out'], [10, 'opt_out'], [10, 'opt_out'],
    [100, 'book'], [100, 'book'], [100, 'opt_out'], [100, 'none'],
    [1000, 'book'], [1000, 'opt_out'],
  ],
  'PARTNER-B': [
    [10, 'none'], [10, 'none'],
    [100, 'book'], [100, 'book'], [100, 'none'], [100, 'none'], [100, 'none'],
    [1000, 'none'], [1000, 'none'], [1000, 'none'],
  ],
};

async function seed(url, credentials) {
  for (const [code, offers] of Object.entries(MIX)) {
    const c = credentials[code];
    const client = new PartnerClient(url, c.partner, c.api_key, c.api_secret);
    for (const [price, outcome] of offers) {
      const q = await client.quote(price);
      if (outcome === 'book') await client.book(q.packageId, q.quoteId);
      if (outcome === 'opt_out') await client.optOut(q.packageId);
    }
  }
}

// The optimizer server's offers, [ticket price, outcome] as in MIX, per partner:
// each partner is its own optimizer context (partner, product, country).
const OPTIMIZER_MIX = {
  'SHOP-1': Array.from({ length: 24 }, (_, i) => [100, ['book', 'opt_out', 'book', 'none'][i % 4]]),
  'SHOP-2': [[10, 'book'], [10, 'opt_out'], [100, 'opt_out'], [100, 'none'], [1000, 'book']],
};

// What the dashboard must show for MIX.
const EXPECTED = {
  totals: { offers: 20, booked: 6, opted_out: 5, answered: 11 },
  bands: [  // [label, offers, booked]
    ['0-2', 6, 1],
    ['2-5', 9, 4],
    ['10-20', 5, 1],
  ],
  partners: {
    'PARTNER-A': { offers: 10, booked: 4, opted_out: 5, not_selected: 0, no_answer: 1, coverage: '0.9000', flagged: false },
    'PARTNER-B': { offers: 10, booked: 2, opted_out: 0, not_selected: 0, no_answer: 8, coverage: '0.2000', flagged: true },
  },
};

// ---- the browser -----------------------------------------------------------------------------

async function launchBrowser(profileDir) {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install chromium (scripts/install-deps.sh does)`);
  }
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--no-proxy-server'],
    viewport: { width: 1440, height: 1000 },
    timezoneId: 'UTC',
    locale: 'en-GB',
  });
}

// Console errors, uncaught exceptions and requests to anywhere but the server.
function watchPage(page, origin, problems) {
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  page.on('request', (r) => {
    if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) problems.push(`external request: ${r.url()}`);
  });
}

async function waitForRender(page, after) {
  await page.waitForFunction(
    (n) => window.dashboard && window.dashboard.state === 'ready' && window.dashboard.renders > n,
    after, { timeout: 20000 });
}

// What the page's charts hold and how they were laid out, read from the
// Chart.js instances themselves.
function readCharts(page) {
  return page.evaluate(() => {
    const inked = (canvas) => {  // pixels drawn on the canvas
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) n += 1;
      return n;
    };
    const read = (chart) => ({
      labels: [...chart.data.labels],
      datasets: chart.data.datasets.map((ds, i) => ({
        label: ds.label,
        type: ds.type || chart.config.type,
        data: [...ds.data],
        intervals: ds.intervals ? ds.intervals.map((iv) => [...iv]) : undefined,
        elements: chart.getDatasetMeta(i).data.length,
        heights: chart.getDatasetMeta(i).data.map((el) => (el.height === undefined ? null : el.height)),
      })),
      width: chart.width,
      height: chart.height,
      inked: inked(chart.canvas),
    });
    const d = window.dashboard;
    return {
      trend: read(d.charts.trend),
      bands: read(d.charts.bands),
      optimizer: d.charts.optimizer ? {
        ...read(d.charts.optimizer),
        colors: [...d.charts.optimizer.data.datasets.find((ds) => ds.type === 'bar').backgroundColor],
      } : null,
    };
  });
}

// Sets filters (element id -> value) at once and waits for the page to have
// drawn the report they ask for.
async function applyFilters(page, values) {
  const before = await page.evaluate(() => window.dashboard.renders);
  await page.evaluate((v) => {
    for (const [id, value] of Object.entries(v)) document.getElementById(id).value = value;
    document.getElementById(Object.keys(v)[0]).dispatchEvent(new Event('change'));
  }, values);
  await waitForRender(page, before);
  const shown = await page.evaluate(() => window.dashboard.data.filters);
  const names = { 'filter-from': 'from', 'filter-to': 'to', 'filter-by': 'by', 'filter-product': 'product' };
  for (const [id, value] of Object.entries(values)) assert.equal(shown[names[id]], value, id);
}

function readCoverageTable(page) {
  return page.$$eval('#coverage-table tbody tr', (rows) => rows.map((tr) => ({
    partner: tr.dataset.partner,
    coverage: tr.dataset.coverage,
    flagged: tr.classList.contains('under-reporting'),
    flag: tr.querySelector('.flag')?.textContent || null,
    cells: [...tr.cells].map((td) => td.textContent.trim()),
  })));
}

function expectDataset(chart, label) {
  const ds = chart.datasets.find((d) => d.label === label);
  assert.ok(ds, `no dataset "${label}" in ${JSON.stringify(chart.datasets.map((d) => d.label))}`);
  return ds;
}

// ---- the checks ------------------------------------------------------------------------------

async function checkNoDashboardWithoutToken(bin, dir) {
  const server = await Server.start(bin, path.join(dir, 'no-token.db'), serverEnv(null));
  try {
    for (const p of ['/admin/dashboard', '/admin/dashboard/app.js', '/admin/dashboard/chart.js',
      '/admin/v1/reports/conversion']) {
      const r = await get(server.url + p);
      assert.equal(r.status, 404, `${p} without an admin token configured: ${r.status} ${r.text}`);
    }
  } finally {
    const e = await server.stop();
    assert.deepEqual(e, { code: 0, signal: null }, 'serve stops cleanly on SIGTERM');
  }
  log('no admin token configured: /admin/dashboard answers 404');
}

async function checkAdminRoutes(url) {
  const page = await get(`${url}/admin/dashboard`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /^text\/html/);
  assert.match(page.headers.get('content-security-policy'), /default-src 'none'/);
  for (const [p, type] of [['app.js', /^text\/javascript/], ['chart.js', /^text\/javascript/], ['dashboard.css', /^text\/css/]]) {
    const r = await get(`${url}/admin/dashboard/${p}`);
    assert.equal(r.status, 200, p);
    assert.match(r.headers.get('content-type'), type, p);
  }
  assert.equal((await get(`${url}/admin/dashboard/package.json`)).status, 404);
  const report = `${url}/admin/v1/reports/conversion`;
  assert.equal((await get(report)).status, 401, 'report without a token');
  assert.equal((await get(report, { Authorization: 'Bearer wrong-token' })).status, 401, 'report with a wrong token');
  assert.equal((await get(report, { Authorization: `Bearer ${TOKEN}` })).status, 200, 'report with the token');
  log('admin token configured: the page is served, the report API refuses a wrong token');
}

// The report API itself, so that a dashboard failure is not mistaken for a data one.
async function checkReportApi(url) {
  const r = await get(`${url}/admin/v1/reports/conversion?group=price_band`, { Authorization: `Bearer ${TOKEN}` });
  assert.equal(r.status, 200, r.text);
  const rows = JSON.parse(r.text);
  assert.deepEqual(rows.map((x) => [x.price_band, x.quotes_offered, x.booked]), EXPECTED.bands,
    'the report API sees the seeded mix');
  return rows;
}

async function checkDashboard(page, apiBands, cohortDays) {
  const charts = await readCharts(page);

  // (a) rates over time: one point per day of the default range (the last 30 days).
  const { trend } = charts;
  assert.equal(trend.labels.length, 30, `30 days: ${trend.labels}`);
  assert.ok(cohortDays.includes(trend.labels.at(-1)), `the range ends today: ${trend.labels.at(-1)}`);
  const offers = expectDataset(trend, 'Offers');
  const takeUp = expectDataset(trend, 'Take-up rate');
  const optOut = expectDataset(trend, 'Opt-out rate');
  const coverage = expectDataset(trend, 'Coverage');
  assert.equal(offers.data.reduce((a, b) => a + b, 0), EXPECTED.totals.offers, 'offers over time');
  const busy = offers.data.flatMap((n, i) => (n > 0 ? [i] : []));
  if (busy.length === 1) {  // not seeded across midnight (UTC)
    const i = busy[0];
    assert.ok(cohortDays.includes(trend.labels[i]), `offers on ${trend.labels[i]}`);
    assert.equal(takeUp.data[i], round4(EXPECTED.totals.booked / EXPECTED.totals.offers));      // 0.3
    assert.equal(optOut.data[i], round4(EXPECTED.totals.opted_out / EXPECTED.totals.offers));   // 0.25
    assert.equal(coverage.data[i], round4(EXPECTED.totals.answered / EXPECTED.totals.offers));  // 0.55
    for (const ds of [takeUp, optOut, coverage]) {
      assert.deepEqual(ds.data.filter((v, j) => j !== i), Array(29).fill(null), `${ds.label}: no rate without offers`);
    }
  }
  for (const ds of trend.datasets) assert.equal(ds.elements, 30, `${ds.label}: 30 elements drawn`);
  assert.ok(trend.width > 300 && trend.height > 200, `trend chart laid out: ${trend.width}x${trend.height}`);
  assert.ok(trend.inked > 5000, `trend chart drawn (${trend.inked} pixels)`);

  // (b) take-up by price band, with the Wilson interval of the report API.
  const { bands } = charts;
  assert.deepEqual(bands.labels, EXPECTED.bands.map(([label]) => label));
  const bar = expectDataset(bands, 'Take-up rate');
  assert.deepEqual(bar.data, EXPECTED.bands.map(([, n, k]) => round4(k / n)));  // 0.1667, 0.4444, 0.2
  // The page computes the interval itself (rows of several currencies or
  // products are added first); for one product and currency it is the report's.
  const close = (a, b) => Math.abs(a - b) <= 0.00011;
  bar.intervals.forEach(([low, high], i) => {
    const r = apiBands[i];
    assert.ok(close(low, r.take_up_rate_low) && close(high, r.take_up_rate_high),
      `whisker of ${r.price_band}: [${low}, ${high}], the report says [${r.take_up_rate_low}, ${r.take_up_rate_high}]`);
  });
  assert.equal(bar.elements, 3);
  assert.ok(bar.heights.every((h) => h > 10), `bars drawn: ${bar.heights}`);
  assert.ok(bands.inked > 5000, `bands chart drawn (${bands.inked} pixels)`);
  const bandRows = await page.$$eval('#bands-table tbody tr', (rows) => rows.map((tr) => [...tr.cells].map((td) => td.textContent.trim())));
  assert.deepEqual(bandRows.map((r) => r.slice(0, 3)), EXPECTED.bands.map(([l, n, k]) => [l, String(n), String(k)]));

  // (c) coverage per partner, the under-reporting partner highlighted.
  const table = await readCoverageTable(page);
  assert.deepEqual(table.map((r) => r.partner), Object.keys(EXPECTED.partners));
  for (const row of table) {
    const e = EXPECTED.partners[row.partner];
    assert.equal(row.coverage, e.coverage, `${row.partner} coverage`);
    assert.equal(row.flagged, e.flagged, `${row.partner} highlighted`);
    assert.deepEqual(row.cells.slice(1, 6), [e.offers, e.booked, e.opted_out, e.not_selected, e.no_answer].map(String),
      `${row.partner} counts`);
    assert.ok(row.cells[8].startsWith(`${(Number(e.coverage) * 100).toFixed(1)}%`), `${row.partner} coverage cell: ${row.cells[8]}`);
    if (e.flagged) assert.equal(row.flag, 'under-reports opt-outs');
  }
  const highlighted = await page.$eval('tr.under-reporting td', (td) => getComputedStyle(td).backgroundColor);
  assert.notEqual(highlighted, 'rgba(0, 0, 0, 0)', 'the highlighted row has a background');

  // Totals.
  assert.equal(await page.textContent('#kpi-offers'), '20');
  assert.equal(await page.textContent('#kpi-booked'), '6');
  assert.equal(await page.textContent('#kpi-take-up'), '30.0%');
  assert.equal(await page.textContent('#kpi-opt-out'), '25.0%');
  assert.equal(await page.textContent('#kpi-coverage'), '55.0%');
  // No renewal yet: no offers, no rate.
  assert.equal(await page.textContent('#kpi-renewal-offers'), '0');
  assert.equal(await page.textContent('#kpi-renewal-detail'), '0 renewed, 0 declined');
  assert.equal(await page.textContent('#kpi-renewal-take-up'), '–');
  log('charts and table show the seeded mix');
}

async function checkFilters(page) {
  // The threshold is the page's: at 0.95 PARTNER-A (0.9) is highlighted too.
  await page.fill('#filter-threshold', '0.95');
  let table = await readCoverageTable(page);
  assert.deepEqual(table.map((r) => r.flagged), [true, true], 'threshold 0.95');
  await page.fill('#filter-threshold', '0.8');
  table = await readCoverageTable(page);
  assert.deepEqual(table.map((r) => r.flagged), [false, true], 'threshold 0.8');

  // Product: the catalog's products that have offers.
  const products = await page.$$eval('#filter-product option', (os) => os.map((o) => o.value));
  assert.deepEqual(products, ['', 'event_ticket_protection']);
  await applyFilters(page, { 'filter-product': 'event_ticket_protection' });
  let charts = await readCharts(page);
  assert.deepEqual(charts.bands.datasets[0].data, EXPECTED.bands.map(([, n, k]) => round4(k / n)));
  assert.match(page.url(), /product=event_ticket_protection/);
  assert.doesNotMatch(page.url(), /token/, 'the token is not put back in the address bar');

  // Period: a month without offers, per week.
  await applyFilters(page, { 'filter-from': '2020-01-01', 'filter-to': '2020-01-31', 'filter-by': 'week' });
  charts = await readCharts(page);
  assert.deepEqual(charts.trend.labels, ['2019-12-30', '2020-01-06', '2020-01-13', '2020-01-20', '2020-01-27'],
    'ISO weeks of January 2020');
  assert.deepEqual(expectDataset(charts.trend, 'Offers').data, [0, 0, 0, 0, 0]);
  assert.deepEqual(charts.bands.labels, []);
  assert.equal(await page.textContent('#coverage-table tbody'), 'No offers in this period.');
  assert.equal(await page.textContent('#kpi-offers'), '0');
  log('filters: threshold, product, period and granularity');
}

// Renewals (issue 9): two renewable bookings offered a next period, one
// renewed and one declined (the renewal opt-out); the page, reloaded with its
// default filters, shows 2 renewal offers and a take-up of 50%.
async function checkRenewals(page, url, credentials) {
  const c = credentials['PARTNER-A'];
  const client = new PartnerClient(url, c.partner, c.api_key, c.api_secret);
  const renewed = await client.bookGadget();
  await client.confirmRenewal(renewed, await client.quoteForRenewal(renewed));
  const declined = await client.bookGadget();
  await client.quoteForRenewal(declined);
  await client.renewalOptOut(declined);

  // A fresh load with the default filters (the last 30 days, every product);
  // the token is in sessionStorage.
  await page.goto('about:blank');
  await page.goto(`${url}/admin/dashboard`);
  await waitForRender(page, 0);
  assert.equal(await page.textContent('#kpi-renewal-offers'), '2');
  assert.equal(await page.textContent('#kpi-renewal-detail'), '1 renewed, 1 declined');
  assert.equal(await page.textContent('#kpi-renewal-take-up'), '50.0%');
  assert.match(await page.textContent('#kpi-renewal-take-up-ci'), /^95% CI /);
  log('renewal offers and take-up');
}

// ---- the price optimizer ---------------------------------------------------------------------

async function optimizerView(url) {
  const r = await get(`${url}/admin/v1/optimizer`, { Authorization: `Bearer ${TOKEN}` });
  assert.equal(r.status, 200, r.text);
  return JSON.parse(r.text);
}

function readOptimizerSection(page) {
  return page.evaluate(() => {
    const $ = (id) => document.getElementById(id);
    return {
      empty: $('optimizer-empty').hidden ? null : $('optimizer-empty').textContent,
      bodyHidden: $('optimizer-body').hidden,
      selectHidden: $('optimizer-context-label').hidden,
      options: [...$('optimizer-context').options].map((o) => o.value),
      selected: $('optimizer-context').value,
      rows: [...$('optimizer-table').tBodies[0].rows].map((tr) => ({
        best: tr.classList.contains('best'),
        cells: [...tr.cells].map((td) => td.textContent.trim()),
      })),
    };
  });
}

// The optimizer chart and table show context `ctx` of the view exactly.
async function checkOptimizerShows(page, ctx) {
  const { optimizer: chart } = await readCharts(page);
  const section = await readOptimizerSection(page);
  assert.ok(chart, 'window.dashboard.charts.optimizer');
  assert.equal(section.selected, ctx.context);
  assert.equal(section.bodyHidden, false);
  const arms = ctx.arms;
  assert.deepEqual(chart.labels, arms.map((a) => `×${a.multiplier.toFixed(2)}`), 'one bar per multiplier');
  const revenue = expectDataset(chart, 'Expected revenue');
  const takeUp = expectDataset(chart, 'Estimated take-up');
  assert.equal(revenue.type, 'bar');
  assert.equal(takeUp.type, 'line');
  assert.deepEqual(revenue.data, arms.map((a) => a.expected_revenue), 'bars: expected revenue of the view');
  assert.deepEqual(takeUp.data, arms.map((a) => a.take_up), 'line: estimated take-up of the view');
  for (const a of arms) {
    assert.ok(Math.abs(a.expected_revenue - a.multiplier * a.take_up) < 1e-5, `revenue = multiplier × take-up at ${a.multiplier}`);
  }
  // Whiskers: the multiplier × the 95% interval of Beta(alpha, beta); closed
  // forms where one parameter is 1: Beta(1, b): 1 − (1 − q)^(1/b); Beta(a, 1): q^(1/a).
  revenue.intervals.forEach(([low, high], i) => {
    const { multiplier: m, posterior: { alpha, beta } } = arms[i];
    assert.ok(low >= 0 && low < high && high <= m + 1e-4, `interval at ${m}: [${low}, ${high}]`);
    const q = (p) => (alpha === 1 ? 1 - (1 - p) ** (1 / beta) : beta === 1 ? p ** (1 / alpha) : null);
    if (q(0.5) !== null) {
      assert.ok(Math.abs(low - m * q(0.025)) < 2e-4 && Math.abs(high - m * q(0.975)) < 2e-4,
        `Beta(${alpha}, ${beta}) × ${m}: [${low}, ${high}], expected [${m * q(0.025)}, ${m * q(0.975)}]`);
    }
  });
  // The best multiplier is highlighted, in the chart and in the table.
  const best = arms.findIndex((a) => a.multiplier === ctx.best_multiplier);
  assert.ok(best >= 0, `best multiplier ${ctx.best_multiplier} is an arm`);
  assert.equal(new Set(chart.colors.filter((_, i) => i !== best)).size, 1, 'the other bars share one colour');
  assert.ok(chart.colors.every((c, i) => (i === best) === (c === chart.colors[best])), `only bar ${best} is highlighted`);
  assert.equal(revenue.elements, arms.length);
  assert.ok(chart.width > 300 && chart.height > 200, `optimizer chart laid out: ${chart.width}x${chart.height}`);
  assert.ok(chart.inked > 5000, `optimizer chart drawn (${chart.inked} pixels)`);
  assert.deepEqual(section.rows.map((r) => r.cells), arms.map((a) => [
    `×${a.multiplier.toFixed(2)}`, String(a.successes + a.failures + a.pending), String(a.successes),
    String(a.failures), String(a.pending), `${(a.take_up * 100).toFixed(1)}%`]), 'optimizer table');
  assert.deepEqual(section.rows.map((r) => r.best), arms.map((_, i) => i === best), 'best row highlighted');
  const summary = await page.textContent('#optimizer-summary');
  assert.ok(summary.includes(`Best multiplier ×${ctx.best_multiplier.toFixed(2)}`), summary);
  assert.ok(summary.includes(`expected take-up ${(ctx.best_take_up * 100).toFixed(1)}%`), summary);
}

async function seedOptimizer(url, credentials) {
  for (const [code, offers] of Object.entries(OPTIMIZER_MIX)) {
    const c = credentials[code];
    const client = new PartnerClient(url, c.partner, c.api_key, c.api_secret);
    for (const [price, outcome] of offers) {
      const q = await client.quote(price);
      if (outcome === 'book') await client.book(q.packageId, q.quoteId);
      if (outcome === 'opt_out') await client.optOut(q.packageId);
    }
  }
}

async function checkOptimizer(bin, dir, context, artifacts) {
  const db = path.join(dir, 'optimizer.db');
  const credentials = {};
  for (const code of Object.keys(OPTIMIZER_MIX)) credentials[code] = addPartner(bin, db, code);
  // A decision window of 7 days: today's unanswered offers stay pending.
  const server = await Server.start(bin, db, serverEnv(TOKEN),
    { windowDays: 7, args: ['--pricing', 'optimize', '--optimizer-refresh-ms', '20'] });
  const page = await context.newPage();
  const problems = [];
  watchPage(page, server.url, problems);
  let ok = false;
  try {
    log(`optimizer server on ${server.url}`);
    // No offers yet: no contexts, and the section says so.
    assert.deepEqual((await optimizerView(server.url)).contexts, []);
    await page.goto(`${server.url}/admin/dashboard#token=${encodeURIComponent(TOKEN)}`);
    await waitForRender(page, 0);
    let section = await readOptimizerSection(page);
    assert.match(section.empty || '', /^No optimized products yet/, 'the empty note');
    assert.equal(section.bodyHidden, true, 'no chart without contexts');

    await seedOptimizer(server.url, credentials);
    const view = await optimizerView(server.url);
    assert.equal(view.pricing, 'optimize');
    assert.equal(view.contexts.length, 2, 'one context per partner');
    for (const [code, offers] of Object.entries(OPTIMIZER_MIX)) {
      const ctx = view.contexts.find((c) => c.partner === code);
      assert.ok(ctx && ctx.optimized, `${code}: an optimized context`);
      const sum = (f) => ctx.arms.reduce((n, a) => n + a[f], 0);
      const count = (o) => offers.filter(([, x]) => x === o).length;
      assert.equal(ctx.offers, offers.length, `${code} offers`);
      assert.deepEqual([sum('successes'), sum('failures'), sum('pending')],
        [count('book'), count('opt_out'), count('none')], `${code}: bookings, failures, pending`);
    }

    const before = await page.evaluate(() => window.dashboard.renders);
    await page.click('#refresh');
    await waitForRender(page, before);
    section = await readOptimizerSection(page);
    assert.equal(section.empty, null, 'no empty note once a product is optimized');
    assert.equal(section.selectHidden, false, 'a context select for two contexts');
    assert.deepEqual(section.options, view.contexts.map((c) => c.context));
    await checkOptimizerShows(page, view.contexts[0]);
    await page.selectOption('#optimizer-context', view.contexts[1].context);
    await checkOptimizerShows(page, view.contexts[1]);
    assert.match(page.url(), /context=/, 'the context is kept in the fragment');
    await page.selectOption('#optimizer-context', view.contexts.find((c) => c.partner === 'SHOP-1').context);
    await checkOptimizerShows(page, view.contexts.find((c) => c.partner === 'SHOP-1'));

    const shot = path.join(artifacts, 'dashboard-optimizer.png');
    await page.screenshot({ path: shot, fullPage: true });
    log(`screenshot: ${shot}`);
    assert.deepEqual(problems, [], 'no console errors, page errors or external requests (optimizer)');
    ok = true;
  } finally {
    if (!ok) await page.screenshot({ path: path.join(artifacts, 'dashboard-optimizer-failure.png'), fullPage: true }).catch(() => {});
    await page.close().catch(() => {});
    const e = await server.stop();
    if (ok) assert.deepEqual(e, { code: 0, signal: null }, `optimizer serve stops cleanly: ${server.stderr}`);
  }
  log('optimizer: empty note, two contexts, chart and table equal GET /admin/v1/optimizer');
}

async function checkLogin(context, url) {
  // A new tab has no token: the page asks for it, and asks again when refused.
  const page = await context.newPage();
  const problems = [];
  watchPage(page, url, problems);
  await page.goto(`${url}/admin/dashboard`);
  await page.waitForFunction(() => window.dashboard && window.dashboard.state === 'login');
  assert.ok(await page.isVisible('#login'));
  assert.ok(await page.isHidden('#dashboard'));
  await page.fill('#token-input', 'wrong-token');
  await page.click('#login-form button[type=submit]');
  await page.waitForFunction(() => window.dashboard.state === 'login' && !document.getElementById('login-error').hidden);
  assert.equal(await page.textContent('#login-error'), 'The server refused this token.');
  await page.fill('#token-input', TOKEN);
  await page.click('#login-form button[type=submit]');
  await waitForRender(page, 0);
  assert.equal(await page.textContent('#kpi-offers'), '20');
  // The refused token made a 401 that Chromium logs as a console error; nothing else may fail.
  const unexpected = problems.filter((p) => !/401/.test(p));
  assert.deepEqual(unexpected, [], 'no errors in the login page');
  await page.close();
  log('login: asks for the token, refuses a wrong one');
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  fs.mkdirSync(args.artifacts, { recursive: true });
  const failureShot = path.join(args.artifacts, 'dashboard-failure.png');
  fs.rmSync(failureShot, { force: true });  // from an earlier failed run
  fs.rmSync(path.join(args.artifacts, 'dashboard-optimizer-failure.png'), { force: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'offerledger-e2e-'));
  let server = null;
  let context = null;
  let page = null;
  let ok = false;
  try {
    await checkNoDashboardWithoutToken(args.bin, dir);

    const db = path.join(dir, 'ledger.db');
    const credentials = {};
    for (const code of Object.keys(MIX)) credentials[code] = addPartner(args.bin, db, code);
    server = await Server.start(args.bin, db, serverEnv(TOKEN));
    log(`serving on ${server.url}`);
    await checkAdminRoutes(server.url);

    const cohortDays = [utcDay()];
    await seed(server.url, credentials);
    const apiBands = await checkReportApi(server.url);

    context = await launchBrowser(path.join(dir, 'chromium-profile'));
    page = context.pages()[0] || await context.newPage();
    const problems = [];
    watchPage(page, server.url, problems);
    await page.goto(`${server.url}/admin/dashboard#token=${encodeURIComponent(TOKEN)}`);
    await waitForRender(page, 0);
    cohortDays.push(utcDay());
    assert.doesNotMatch(page.url(), /token/, 'the token is removed from the address bar');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('offerledger.adminToken')), TOKEN);

    await checkDashboard(page, apiBands, cohortDays);
    // pricing catalog: event ticket protection is at its catalog price, so
    // its one context is not optimized, and the section says so.
    const view = await optimizerView(server.url);
    assert.deepEqual(view.contexts.map((c) => c.optimized), [false, false], 'one context per partner, none optimized');
    const section = await readOptimizerSection(page);
    assert.match(section.empty || '', /^No optimized products yet/);
    await checkOptimizerShows(page, view.contexts[0]);
    const shot = path.join(args.artifacts, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    log(`screenshot: ${shot}`);
    await checkFilters(page);
    await checkLogin(context, server.url);
    await checkRenewals(page, server.url, credentials);  // after the checks of the 20 offers
    assert.deepEqual(problems, [], 'no console errors, page errors or external requests');
    await checkOptimizer(args.bin, dir, context, args.artifacts);
    ok = true;
  } finally {
    if (!ok && page) {
      await page.screenshot({ path: failureShot, fullPage: true }).catch(() => {});
    }
    if (context) await context.close().catch(() => {});
    if (server) {
      const e = await server.stop();
      if (ok) {
        assert.deepEqual(e, { code: 0, signal: null }, `serve stops cleanly on SIGTERM: ${server.stderr}`);
        assert.match(server.stdout, /offerledger: stopped/);
        assert.ok(!server.stdout.includes(TOKEN) && !server.stderr.includes(TOKEN), 'the token is never printed');
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  log('PASS');
}

main().catch((e) => {
  console.error('[e2e] FAIL:', e && e.stack ? e.stack : e);
  process.exitCode = 1;
});
