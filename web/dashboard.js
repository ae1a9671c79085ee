// The offerledger compliance dashboard. Reads the admin conversion report
// (GET /admin/v1/reports/conversion, docs/metrics.md) with the admin token and
// draws it with Chart.js (served by offerledger at /admin/dashboard/chart.js).
//
// The token is asked for once and kept in sessionStorage (this tab only). An
// operator link may carry it in the URL fragment, #token=..., which never
// reaches the server; the page removes it from the address bar at once.
// The filters live in the fragment as well (#from=&to=&by=&product=&threshold=),
// so a view can be bookmarked or shared without the token.
//
// window.dashboard exposes the charts and the data they were drawn from, for
// the end-to-end test (web/e2e/dashboard.spec.mjs) and for the curious.
'use strict';

(() => {
  const TOKEN_KEY = 'offerledger.adminToken';
  const REPORT_PATH = '/admin/v1/reports/conversion';
  const Z = 1.959964;  // the 97.5% quantile of the standard normal, as in docs/metrics.md
  const DAY_MS = 86400000;
  const COUNT_FIELDS = ['packages_offered', 'quotes_offered', 'booked', 'opted_out', 'not_selected',
    'opt_out_events', 'no_answer', 'pending', 'cancelled'];
  const COLORS = {
    takeUp: '#1f6feb', optOut: '#d9480f', coverage: '#2f9e44', offers: 'rgba(97, 110, 124, 0.18)',
    bar: 'rgba(31, 111, 235, 0.75)', whisker: '#1f2933',
  };

  const $ = (id) => document.getElementById(id);

  const dashboard = {
    state: 'starting',  // login | loading | ready | error
    renders: 0,         // completed renders, for anyone waiting on a reload
    charts: {},         // trend, bands: the Chart instances
    data: null,         // what the charts and the table show
    filters: null,
    error: null,
    reload: () => load(),
  };
  window.dashboard = dashboard;

  // ---- dates: UTC days, as the report counts them ----------------------------------------

  function parseDay(text) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(text || '')) return null;
    const [y, m, d] = text.split('-').map(Number);
    const ms = Date.UTC(y, m - 1, d);
    return new Date(ms).getUTCDate() === d ? Math.round(ms / DAY_MS) : null;
  }
  const formatDay = (day) => new Date(day * DAY_MS).toISOString().slice(0, 10);
  const today = () => Math.floor(Date.now() / DAY_MS);

  // The first day of the period holding `day`: itself, the Monday of its ISO
  // week, or the 1st of its month (docs/metrics.md, "Dimensions and periods").
  function periodStart(day, by) {
    if (by === 'week') return day - ((day + 3) % 7);  // 1970-01-01 was a Thursday
    if (by === 'month') {
      const d = new Date(day * DAY_MS);
      return Math.round(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / DAY_MS);
    }
    return day;
  }
  function nextPeriod(start, by) {
    if (by === 'week') return start + 7;
    if (by === 'month') {
      const d = new Date(start * DAY_MS);
      return Math.round(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) / DAY_MS);
    }
    return start + 1;
  }

  // ---- rates -------------------------------------------------------------------------------

  // k of n with its 95% Wilson score interval; null when n is 0.
  function rate(k, n) {
    if (!(n > 0)) return null;
    const p = k / n;
    const z2 = Z * Z;
    const denom = 1 + z2 / n;
    const center = (p + z2 / (2 * n)) / denom;
    const half = (Z * Math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))) / denom;
    return {
      k, n,
      value: p,
      low: k <= 0 ? 0 : Math.max(0, center - half),
      high: k >= n ? 1 : Math.min(1, center + half),
    };
  }

  const pct = (r) => (r == null ? '–' : `${(r.value * 100).toFixed(1)}%`);
  const ci = (r) => (r == null ? '' : `${(r.low * 100).toFixed(1)}–${(r.high * 100).toFixed(1)}%`);
  const round4 = (x) => (x == null ? null : Math.round(x * 10000) / 10000);

  // Sums the counts of report rows; rates are recomputed from the sums (rows
  // of several currencies or products are added count by count).
  function emptyTotals() {
    const t = {};
    for (const f of COUNT_FIELDS) t[f] = 0;
    return t;
  }
  function addRow(t, row) {
    for (const f of COUNT_FIELDS) t[f] += Number(row[f]) || 0;
    return t;
  }
  function withRates(t) {
    const answered = t.booked + t.opted_out + t.not_selected;
    return {
      ...t,
      answered,
      take_up: rate(t.booked, t.quotes_offered),
      opt_out: rate(t.opted_out, t.quotes_offered),
      coverage: rate(answered, t.quotes_offered),
    };
  }

  // ---- filters and the fragment --------------------------------------------------------------

  function fragmentParams() {
    return new URLSearchParams(location.hash.replace(/^#/, ''));
  }

  function readFilters(params) {
    const to = parseDay(params.get('to')) ?? today();
    const from = parseDay(params.get('from')) ?? to - 29;
    const by = ['day', 'week', 'month'].includes(params.get('by')) ? params.get('by') : 'day';
    const threshold = Number.parseFloat(params.get('threshold'));
    return {
      from: formatDay(from),
      to: formatDay(to),
      by,
      product: params.get('product') || '',
      threshold: Number.isFinite(threshold) && threshold >= 0 && threshold <= 1 ? threshold : 0.8,
    };
  }

  function writeFragment() {
    const f = dashboard.filters;
    const params = new URLSearchParams({ from: f.from, to: f.to, by: f.by });
    if (f.product) params.set('product', f.product);
    params.set('threshold', String(f.threshold));
    history.replaceState(null, '', `${location.pathname}#${params}`);
  }

  function showFilters() {
    const f = dashboard.filters;
    $('filter-from').value = f.from;
    $('filter-to').value = f.to;
    $('filter-by').value = f.by;
    $('filter-threshold').value = String(f.threshold);
    $('threshold-text').textContent = f.threshold.toFixed(2);
  }

  // ---- token ---------------------------------------------------------------------------------

  const token = () => sessionStorage.getItem(TOKEN_KEY);

  function showLogin(message) {
    dashboard.state = 'login';
    $('dashboard').hidden = true;
    $('sign-out').hidden = true;
    $('login').hidden = false;
    $('login-error').hidden = !message;
    $('login-error').textContent = message || '';
    $('token-input').value = '';
    $('token-input').focus();
  }

  function showDashboard() {
    $('login').hidden = true;
    $('dashboard').hidden = false;
    $('sign-out').hidden = false;
  }

  // ---- the report API ------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function fetchReport(params) {
    const query = new URLSearchParams({ ...params, format: 'json' });
    const res = await fetch(`${REPORT_PATH}?${query}`, {
      headers: { Authorization: `Bearer ${token()}`, Accept: 'application/json' },
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    });
    if (res.ok) return res.json();
    let message = `HTTP ${res.status}`;
    try {
      const body = await res.json();
      const details = Object.entries(body.errors || {}).map(([k, v]) => `${k}: ${v}`);
      message = [body.message, ...details].filter(Boolean).join(' ');
    } catch (_) { /* not JSON */ }
    throw new ApiError(res.status, message);
  }

  let sequence = 0;

  async function load() {
    const mine = ++sequence;
    const f = dashboard.filters;
    dashboard.state = 'loading';
    $('status').textContent = 'Loading…';
    $('error').hidden = true;
    writeFragment();
    const range = { from: f.from, to: f.to };
    let reports;
    try {
      reports = await Promise.all([
        fetchReport({ ...range, by: f.by, group: 'policy_type' }),
        fetchReport({ ...range, group: 'policy_type,price_band' }),
        fetchReport({ ...range, group: 'partner,policy_type' }),
      ]);
    } catch (e) {
      if (mine !== sequence) return;
      if (e instanceof ApiError && e.status === 401) {
        sessionStorage.removeItem(TOKEN_KEY);
        showLogin('The server refused this token.');
        return;
      }
      dashboard.state = 'error';
      dashboard.error = e.message;
      $('status').textContent = '';
      $('error').textContent = `Could not load the report: ${e.message}`;
      $('error').hidden = false;
      return;
    }
    if (mine !== sequence) return;  // a newer request is on its way
    const [trendRows, bandRows, partnerRows] = reports;
    fillProducts([...trendRows, ...bandRows, ...partnerRows]);
    const keep = (row) => !f.product || row.policy_type === f.product;
    dashboard.data = {
      filters: { ...f },
      trend: buildTrend(trendRows.filter(keep), f),
      bands: buildBands(bandRows.filter(keep)),
      partners: buildPartners(partnerRows.filter(keep)),
    };
    render();
    dashboard.state = 'ready';
    dashboard.error = null;
    dashboard.renders += 1;
    $('status').textContent = `Offers made ${f.from} to ${f.to} (UTC)` +
      `${f.product ? `, ${f.product}` : ', all products'} · updated ${new Date().toLocaleTimeString()}`;
  }

  function fillProducts(rows) {
    const select = $('filter-product');
    const products = new Set(rows.map((r) => r.policy_type).filter(Boolean));
    if (dashboard.filters.product) products.add(dashboard.filters.product);
    select.replaceChildren(new Option('All products', ''),
      ...[...products].sort().map((p) => new Option(p, p)));
    select.value = dashboard.filters.product;
  }

  // ---- shaping the rows ------------------------------------------------------------------------

  function buildTrend(rows, f) {
    const byPeriod = new Map();
    for (const row of rows) {
      byPeriod.set(row.period, addRow(byPeriod.get(row.period) || emptyTotals(), row));
    }
    const periods = [];
    const last = parseDay(f.to);
    for (let p = periodStart(parseDay(f.from), f.by); p <= last; p = nextPeriod(p, f.by)) {
      periods.push(formatDay(p));
    }
    const points = periods.map((p) => withRates(byPeriod.get(p) || emptyTotals()));
    return {
      by: f.by,
      labels: periods,
      offers: points.map((t) => t.quotes_offered),
      take_up: points.map((t) => round4(t.take_up?.value)),
      opt_out: points.map((t) => round4(t.opt_out?.value)),
      coverage: points.map((t) => round4(t.coverage?.value)),
      points,
    };
  }

  function bandLowerEdge(label) {
    const n = Number.parseFloat(label);
    return Number.isFinite(n) ? n : Infinity;
  }

  function buildBands(rows) {
    const currencies = new Set(rows.map((r) => r.currency));
    const groups = new Map();
    for (const row of rows) {
      const key = currencies.size > 1 ? `${row.price_band} ${row.currency}` : row.price_band;
      const g = groups.get(key) || { label: key, band: row.price_band, currency: row.currency, totals: emptyTotals() };
      addRow(g.totals, row);
      groups.set(key, g);
    }
    const list = [...groups.values()]
      .sort((a, b) => a.currency.localeCompare(b.currency) || bandLowerEdge(a.band) - bandLowerEdge(b.band))
      .map((g) => ({ label: g.label, currency: g.currency, ...withRates(g.totals) }));
    return {
      labels: list.map((b) => b.label),
      take_up: list.map((b) => round4(b.take_up?.value)),
      low: list.map((b) => round4(b.take_up?.low)),
      high: list.map((b) => round4(b.take_up?.high)),
      offers: list.map((b) => b.quotes_offered),
      booked: list.map((b) => b.booked),
      list,
    };
  }

  function buildPartners(rows) {
    const groups = new Map();
    for (const row of rows) {
      groups.set(row.partner, addRow(groups.get(row.partner) || emptyTotals(), row));
    }
    return [...groups.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([partner, totals]) => ({ partner, ...withRates(totals) }));
  }

  // ---- drawing -------------------------------------------------------------------------------

  // Draws each bar's 95% interval (dataset.intervals[i] = [low, high]) as a whisker.
  const wilsonWhiskers = {
    id: 'wilsonWhiskers',
    afterDatasetsDraw(chart) {
      const { ctx } = chart;
      const y = chart.scales.y;
      chart.data.datasets.forEach((ds, i) => {
        const meta = chart.getDatasetMeta(i);
        if (!ds.intervals || meta.hidden) return;
        meta.data.forEach((bar, j) => {
          const iv = ds.intervals[j];
          if (!iv || iv[0] == null) return;
          const top = y.getPixelForValue(iv[1]);
          const bottom = y.getPixelForValue(iv[0]);
          const half = Math.min(10, bar.width / 4);
          ctx.save();
          ctx.strokeStyle = COLORS.whisker;
          ctx.lineWidth = 1.5;
          ctx.beginPath();
          ctx.moveTo(bar.x, top);
          ctx.lineTo(bar.x, bottom);
          ctx.moveTo(bar.x - half, top);
          ctx.lineTo(bar.x + half, top);
          ctx.moveTo(bar.x - half, bottom);
          ctx.lineTo(bar.x + half, bottom);
          ctx.stroke();
          ctx.restore();
        });
      });
    },
  };

  const percentAxis = {
    min: 0,
    max: 1,
    ticks: { callback: (v) => `${Math.round(v * 100)}%` },
    title: { display: true, text: 'share of offers' },
  };

  function trendChart() {
    if (dashboard.charts.trend) return dashboard.charts.trend;
    const line = (label, color, extra) => ({
      type: 'line', label, data: [], borderColor: color, backgroundColor: color,
      yAxisID: 'y', spanGaps: true, pointRadius: 3, tension: 0, order: 1, ...extra,
    });
    dashboard.charts.trend = new Chart($('chart-trend'), {
      data: {
        labels: [],
        datasets: [
          line('Take-up rate', COLORS.takeUp),
          line('Opt-out rate', COLORS.optOut),
          line('Coverage', COLORS.coverage, { borderDash: [6, 4] }),
          { type: 'bar', label: 'Offers', data: [], backgroundColor: COLORS.offers, yAxisID: 'offers', order: 2 },
        ],
      },
      options: {
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        scales: {
          y: percentAxis,
          offers: {
            position: 'right', beginAtZero: true, grid: { drawOnChartArea: false },
            ticks: { precision: 0 }, title: { display: true, text: 'offers' },
          },
        },
        plugins: {
          tooltip: {
            callbacks: {
              label: (item) => {
                if (item.dataset.yAxisID === 'offers') return `Offers: ${item.raw}`;
                const point = dashboard.data.trend.points[item.dataIndex];
                const r = [point.take_up, point.opt_out, point.coverage][item.datasetIndex];
                return `${item.dataset.label}: ${pct(r)} (95% CI ${ci(r)})`;
              },
            },
          },
        },
      },
    });
    return dashboard.charts.trend;
  }

  function bandsChart() {
    if (dashboard.charts.bands) return dashboard.charts.bands;
    dashboard.charts.bands = new Chart($('chart-bands'), {
      type: 'bar',
      data: { labels: [], datasets: [{ label: 'Take-up rate', data: [], intervals: [], backgroundColor: COLORS.bar }] },
      plugins: [wilsonWhiskers],
      options: {
        maintainAspectRatio: false,
        scales: { y: percentAxis, x: { title: { display: true, text: 'price band (total price)' } } },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: (item) => {
                const b = dashboard.data.bands.list[item.dataIndex];
                return `Take-up ${pct(b.take_up)} (95% CI ${ci(b.take_up)}), ${b.booked} of ${b.quotes_offered} offers`;
              },
            },
          },
        },
      },
    });
    return dashboard.charts.bands;
  }

  function cell(text, className) {
    const td = document.createElement('td');
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  function rateCell(r) {
    const td = cell(pct(r), 'num');
    if (r) {
      const span = document.createElement('span');
      span.className = 'ci';
      span.textContent = ` [${ci(r)}]`;
      td.append(span);
    }
    return td;
  }

  function emptyRow(columns, text) {
    const tr = document.createElement('tr');
    const td = cell(text, 'empty');
    td.colSpan = columns;
    tr.append(td);
    return tr;
  }

  function renderKpis(partners) {
    const t = withRates(partners.reduce(addRow, emptyTotals()));
    $('kpi-offers').textContent = String(t.quotes_offered);
    $('kpi-booked').textContent = String(t.booked);
    $('kpi-take-up').textContent = pct(t.take_up);
    $('kpi-take-up-ci').textContent = t.take_up ? `95% CI ${ci(t.take_up)}` : '';
    $('kpi-opt-out').textContent = pct(t.opt_out);
    $('kpi-opt-out-ci').textContent = t.opt_out ? `95% CI ${ci(t.opt_out)}` : '';
    $('kpi-coverage').textContent = pct(t.coverage);
    $('kpi-coverage-ci').textContent = t.coverage ? `95% CI ${ci(t.coverage)}` : '';
  }

  function renderBandsTable(bands) {
    const body = $('bands-table').tBodies[0];
    body.replaceChildren(...bands.list.map((b) => {
      const tr = document.createElement('tr');
      tr.dataset.band = b.label;
      tr.append(cell(b.label), cell(String(b.quotes_offered), 'num'), cell(String(b.booked), 'num'), rateCell(b.take_up));
      return tr;
    }));
    if (!bands.list.length) body.append(emptyRow(4, 'No offers in this period.'));
  }

  function renderCoverageTable() {
    const { partners } = dashboard.data;
    const threshold = dashboard.filters.threshold;
    $('threshold-text').textContent = threshold.toFixed(2);
    const body = $('coverage-table').tBodies[0];
    body.replaceChildren(...partners.map((p) => {
      const tr = document.createElement('tr');
      const flagged = p.coverage != null && p.coverage.value < threshold;
      tr.dataset.partner = p.partner;
      tr.dataset.coverage = p.coverage == null ? '' : p.coverage.value.toFixed(4);
      tr.classList.toggle('under-reporting', flagged);
      const name = cell(p.partner);
      if (flagged) {
        const flag = document.createElement('span');
        flag.className = 'flag';
        flag.textContent = 'under-reports opt-outs';
        flag.title = `Coverage ${pct(p.coverage)} is below ${(threshold * 100).toFixed(0)}%: ` +
          'offers without a booking or an opt-out from this partner.';
        name.append(flag);
      }
      tr.append(name,
        cell(String(p.quotes_offered), 'num'), cell(String(p.booked), 'num'),
        cell(String(p.opted_out), 'num'), cell(String(p.not_selected), 'num'),
        cell(String(p.no_answer), 'num'), cell(String(p.pending), 'num'),
        cell(pct(p.take_up), 'num'), rateCell(p.coverage));
      return tr;
    }));
    if (!partners.length) body.append(emptyRow(9, 'No offers in this period.'));
  }

  function render() {
    const { trend, bands, partners } = dashboard.data;
    const t = trendChart();
    t.data.labels = trend.labels;
    t.data.datasets[0].data = trend.take_up;
    t.data.datasets[1].data = trend.opt_out;
    t.data.datasets[2].data = trend.coverage;
    t.data.datasets[3].data = trend.offers;
    t.options.scales.x = { title: { display: true, text: `offers made per ${trend.by} (UTC; a week starts on Monday)` } };
    t.update();

    const b = bandsChart();
    b.data.labels = bands.labels;
    b.data.datasets[0].data = bands.take_up;
    b.data.datasets[0].intervals = bands.low.map((low, i) => [low, bands.high[i]]);
    b.update();

    renderBandsTable(bands);
    renderCoverageTable();
    renderKpis(partners);
  }

  // ---- wiring --------------------------------------------------------------------------------

  function onFilterChange() {
    const f = dashboard.filters;
    f.from = $('filter-from').value || f.from;
    f.to = $('filter-to').value || f.to;
    f.by = $('filter-by').value;
    f.product = $('filter-product').value;
    load();
  }

  function start() {
    Chart.defaults.animation = false;
    Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
    Chart.defaults.color = '#3e4c59';

    const params = fragmentParams();
    if (params.has('token')) {
      sessionStorage.setItem(TOKEN_KEY, params.get('token'));
      params.delete('token');
      history.replaceState(null, '', `${location.pathname}${[...params].length ? `#${params}` : ''}`);
    }
    dashboard.filters = readFilters(params);
    showFilters();

    for (const id of ['filter-from', 'filter-to', 'filter-by', 'filter-product']) {
      $(id).addEventListener('change', onFilterChange);
    }
    $('filter-threshold').addEventListener('input', () => {
      const v = Number.parseFloat($('filter-threshold').value);
      if (!Number.isFinite(v) || v < 0 || v > 1) return;
      dashboard.filters.threshold = v;
      writeFragment();
      if (dashboard.data) renderCoverageTable();
    });
    $('filters').addEventListener('submit', (e) => e.preventDefault());
    $('refresh').addEventListener('click', () => load());
    $('login-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const value = $('token-input').value.trim();
      if (!value) return;
      sessionStorage.setItem(TOKEN_KEY, value);
      showDashboard();
      load();
    });
    $('sign-out').addEventListener('click', () => {
      sessionStorage.removeItem(TOKEN_KEY);
      showLogin();
    });

    if (token()) {
      showDashboard();
      load();
    } else {
      showLogin();
    }
  }

  start();
})();
