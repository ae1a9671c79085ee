// The offerledger compliance dashboard. Reads the admin conversion report
// (GET /admin/v1/reports/conversion, docs/metrics.md) with the admin token and
// draws it with Chart.js (served by offerledger at /admin/dashboard/chart.js).
// The price optimizer section reads GET /admin/v1/optimizer (docs/optimizer-live.md):
// its current arms per context, whatever the period filter says.
//
// The token is asked for once and kept in sessionStorage (this tab only). An
// operator link may carry it in the URL fragment, #token=..., which never
// reaches the server; the page removes it from the address bar at once.
// The filters live in the fragment as well (#from=&to=&by=&product=&threshold=&context=),
// so a view can be bookmarked or shared without the token.
//
// window.dashboard exposes the charts and the data they were drawn from, for
// the end-to-end test (web/e2e/dashboard.spec.mjs) and for the curious.
'use strict';

(() => {
  const TOKEN_KEY = 'offerledger.adminToken';
  const REPORT_PATH = '/admin/v1/reports/conversion';
  const OPTIMIZER_PATH = '/admin/v1/optimizer';
  const Z = 1.959964;  // the 97.5% quantile of the standard normal, as in docs/metrics.md
  const DAY_MS = 86400000;
  const COUNT_FIELDS = ['packages_offered', 'quotes_offered', 'booked', 'opted_out', 'not_selected',
    'opt_out_events', 'no_answer', 'pending', 'cancelled',
    'renewal_offers', 'renewals', 'renewal_opt_outs'];
  const COLORS = {
    takeUp: '#1f6feb', optOut: '#d9480f', coverage: '#2f9e44', offers: 'rgba(97, 110, 124, 0.18)',
    bar: 'rgba(31, 111, 235, 0.75)', whisker: '#1f2933',
    arm: 'rgba(31, 111, 235, 0.45)', armLine: 'rgba(31, 111, 235, 0.9)', best: 'rgba(47, 158, 68, 0.85)', bestLine: '#2b8a3e',
  };

  const $ = (id) => document.getElementById(id);

  const dashboard = {
    state: 'starting',  // login | loading | ready | error
    renders: 0,         // completed renders, for anyone waiting on a reload
    charts: {},         // trend, bands, optimizer: the Chart instances
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
      renewal_take_up: rate(t.renewals, t.renewal_offers),
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
      context: params.get('context') || '',  // the optimizer context shown ('' = the first)
    };
  }

  function writeFragment() {
    const f = dashboard.filters;
    const params = new URLSearchParams({ from: f.from, to: f.to, by: f.by });
    if (f.product) params.set('product', f.product);
    params.set('threshold', String(f.threshold));
    if (f.context) params.set('context', f.context);
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

  const fetchReport = (params) => fetchJson(`${REPORT_PATH}?${new URLSearchParams({ ...params, format: 'json' })}`);

  async function fetchJson(url) {
    const res = await fetch(url, {
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
        // The optimizer view is not needed for the rest of the page: its failure
        // is shown in its own section (a refused token is handled below).
        fetchJson(OPTIMIZER_PATH).catch((e) => {
          if (e instanceof ApiError && e.status === 401) throw e;
          return { error: e.message };
        }),
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
    const [trendRows, bandRows, partnerRows, optimizerView] = reports;
    fillProducts([...trendRows, ...bandRows, ...partnerRows]);
    const keep = (row) => !f.product || row.policy_type === f.product;
    dashboard.data = {
      filters: { ...f },
      trend: buildTrend(trendRows.filter(keep), f),
      bands: buildBands(bandRows.filter(keep)),
      partners: buildPartners(partnerRows.filter(keep)),
      optimizer: buildOptimizer(optimizerView),
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

  // ---- the optimizer's arms --------------------------------------------------------------------

  // ln Γ(x) (Lanczos, g = 7), for the Beta distribution below.
  const LANCZOS = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  function logGamma(x) {
    if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
    const y = x - 1;
    let a = LANCZOS[0];
    for (let i = 1; i < LANCZOS.length; i += 1) a += LANCZOS[i] / (y + i);
    const t = y + 7.5;
    return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
  }

  // The continued fraction of the regularized incomplete beta function (modified Lentz).
  function betaFraction(a, b, x) {
    const tiny = 1e-300;
    const clamp = (v) => (Math.abs(v) < tiny ? tiny : v);
    let c = 1;
    let d = 1 / clamp(1 - ((a + b) * x) / (a + 1));
    let h = d;
    for (let m = 1; m <= 500; m += 1) {
      const m2 = 2 * m;
      let aa = (m * (b - m) * x) / ((a - 1 + m2) * (a + m2));
      d = 1 / clamp(1 + aa * d);
      c = clamp(1 + aa / c);
      h *= d * c;
      aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + 1 + m2));
      d = 1 / clamp(1 + aa * d);
      c = clamp(1 + aa / c);
      const step = d * c;
      h *= step;
      if (Math.abs(step - 1) < 1e-12) break;
    }
    return h;
  }

  // P(X <= x) for X ~ Beta(a, b).
  function betaCdf(x, a, b) {
    if (x <= 0) return 0;
    if (x >= 1) return 1;
    const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
    return x < (a + 1) / (a + b + 2) ? (front * betaFraction(a, b, x)) / a : 1 - (front * betaFraction(b, a, 1 - x)) / b;
  }

  // The p-quantile of Beta(a, b), by bisection (the cdf is increasing).
  function betaQuantile(p, a, b) {
    let lo = 0;
    let hi = 1;
    for (let i = 0; i < 60; i += 1) {
      const mid = (lo + hi) / 2;
      if (betaCdf(mid, a, b) < p) lo = mid; else hi = mid;
    }
    return (lo + hi) / 2;
  }

  // The 95% credible interval of an arm's posterior, or null when the view has none.
  function credible(posterior) {
    const a = Number(posterior?.alpha);
    const b = Number(posterior?.beta);
    if (!(a > 0 && b > 0)) return null;
    return [betaQuantile(0.025, a, b), betaQuantile(0.975, a, b)];
  }

  const contextLabel = (c) => [c.partner, c.customer_country, c.policy_type].filter(Boolean).join(' · ') +
    (c.optimized ? '' : ' (not optimized now)');

  // The view of GET /admin/v1/optimizer as the section shows it: per context,
  // the chart's series (straight from the view) and the best arm.
  function buildOptimizer(view) {
    if (!view || view.error) return { error: view ? view.error : 'no answer', contexts: [] };
    const contexts = (view.contexts || []).map((c) => {
      const arms = c.arms || [];
      let best = arms.findIndex((a) => Number(a.multiplier) === Number(c.best_multiplier));
      if (best < 0 && arms.length) {
        best = arms.reduce((bi, a, i) => (a.expected_revenue > arms[bi].expected_revenue ? i : bi), 0);
      }
      return {
        ...c,
        label: contextLabel(c),
        labels: arms.map((a) => `×${Number(a.multiplier).toFixed(2)}`),
        multipliers: arms.map((a) => a.multiplier),
        expected_revenue: arms.map((a) => a.expected_revenue),
        take_up: arms.map((a) => a.take_up),
        intervals: arms.map((a) => {
          const iv = credible(a.posterior);
          return iv ? [round4(a.multiplier * iv[0]), round4(a.multiplier * iv[1])] : [null, null];
        }),
        best,
      };
    });
    return {
      pricing: view.pricing,
      policy: view.policy,
      decision_window_days: view.decision_window_days,
      contexts,
      optimized: contexts.filter((c) => c.optimized).length,
    };
  }

  // ---- drawing -------------------------------------------------------------------------------

  // Draws each bar's 95% interval (dataset.intervals[i] = [low, high]) as a whisker
  // (the Wilson interval of a take-up, or an arm's credible interval).
  const wilsonWhiskers = {
    id: 'wilsonWhiskers',
    afterDatasetsDraw(chart) {
      const { ctx } = chart;
      chart.data.datasets.forEach((ds, i) => {
        const meta = chart.getDatasetMeta(i);
        if (!ds.intervals || meta.hidden) return;
        const y = chart.scales[ds.yAxisID || 'y'];
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

  function optimizerChart() {
    if (dashboard.charts.optimizer) return dashboard.charts.optimizer;
    dashboard.charts.optimizer = new Chart($('chart-optimizer'), {
      data: {
        labels: [],
        datasets: [
          {
            type: 'line', label: 'Estimated take-up', data: [], yAxisID: 'takeUp', order: 1,
            borderColor: COLORS.optOut, backgroundColor: COLORS.optOut, pointRadius: 3, tension: 0,
          },
          {
            type: 'bar', label: 'Expected revenue', data: [], intervals: [], yAxisID: 'y', order: 2,
            backgroundColor: [], borderColor: [], borderWidth: [],
          },
        ],
      },
      plugins: [wilsonWhiskers],
      options: {
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: { title: { display: true, text: 'price multiplier (of the catalog price)' } },
          y: {
            beginAtZero: true,
            title: { display: true, text: 'expected revenue per offer (× catalog price)' },
          },
          takeUp: { ...percentAxis, position: 'right', grid: { drawOnChartArea: false }, title: { display: true, text: 'estimated take-up' } },
        },
        plugins: {
          tooltip: {
            callbacks: {
              label: (item) => {
                const c = dashboard.data.optimizer.shown;
                const arm = c.arms[item.dataIndex];
                if (item.dataset.yAxisID === 'takeUp') return `Estimated take-up: ${(arm.take_up * 100).toFixed(1)}%`;
                const [low, high] = c.intervals[item.dataIndex];
                const iv = low == null ? '' : ` (95% credible ${low.toFixed(3)}–${high.toFixed(3)})`;
                return `Expected revenue: ${Number(arm.expected_revenue).toFixed(3)}${iv}` +
                  `${item.dataIndex === c.best ? ' — best' : ''}`;
              },
            },
          },
        },
      },
    });
    return dashboard.charts.optimizer;
  }

  function renderOptimizer() {
    const o = dashboard.data.optimizer;
    const f = dashboard.filters;
    const select = $('optimizer-context');
    $('optimizer-error').hidden = !o.error;
    $('optimizer-error').textContent = o.error ? `Could not load the optimizer: ${o.error}` : '';
    let empty = '';
    if (!o.error && !o.contexts.length) {
      empty = 'No optimized products yet: no offer of a product with a multiplier grid has been made ' +
        `(pricing ${o.pricing}).`;
    } else if (!o.error && !o.optimized) {
      empty = `No optimized products yet: under pricing ${o.pricing} none of these products is optimized ` +
        '(their offers are at the catalog price); below is what those offers taught the optimizer.';
    }
    $('optimizer-empty').textContent = empty;
    $('optimizer-empty').hidden = !empty;

    const shown = o.contexts.find((c) => c.context === f.context) ||
      o.contexts.find((c) => c.optimized) || o.contexts[0] || null;
    o.shown = shown;
    select.replaceChildren(...o.contexts.map((c) => new Option(c.label, c.context)));
    select.value = shown ? shown.context : '';
    $('optimizer-context-label').hidden = o.contexts.length < 2;
    $('optimizer-body').hidden = !shown;
    if (!shown) return;

    const best = shown.arms[shown.best];
    $('optimizer-summary').replaceChildren(
      'Best multiplier ', Object.assign(document.createElement('strong'), { textContent: `×${Number(shown.best_multiplier).toFixed(2)}` }),
      ', expected take-up ', Object.assign(document.createElement('strong'), { textContent: `${(shown.best_take_up * 100).toFixed(1)}%` }),
      best ? `, expected revenue ${Number(best.expected_revenue).toFixed(3)} × catalog price per offer` : '',
      ` · ${shown.offers} offers · ${shown.context} · policy ${o.policy}, pricing ${o.pricing}` +
      `${shown.optimized ? '' : ' (not optimized now)'}, no answer after ${o.decision_window_days} days`);

    const chart = optimizerChart();
    chart.data.labels = shown.labels;
    const [line, bars] = chart.data.datasets;
    line.data = shown.take_up;
    bars.data = shown.expected_revenue;
    bars.intervals = shown.intervals;
    bars.backgroundColor = shown.labels.map((_, i) => (i === shown.best ? COLORS.best : COLORS.arm));
    bars.borderColor = shown.labels.map((_, i) => (i === shown.best ? COLORS.bestLine : COLORS.armLine));
    bars.borderWidth = shown.labels.map((_, i) => (i === shown.best ? 2 : 1));
    // Room for the whiskers: the axis would only fit the bars.
    chart.options.scales.y.suggestedMax = Math.max(0, ...shown.intervals.map(([, high]) => high ?? 0));
    chart.update();

    const body = $('optimizer-table').tBodies[0];
    body.replaceChildren(...shown.arms.map((a, i) => {
      const tr = document.createElement('tr');
      tr.dataset.multiplier = String(a.multiplier);
      tr.classList.toggle('best', i === shown.best);
      const failures = cell(String(a.failures), 'num');
      if (a.no_answer) failures.title = `of which ${a.no_answer} with no answer after the decision window`;
      tr.append(cell(`×${Number(a.multiplier).toFixed(2)}`),
        cell(String(a.successes + a.failures + a.pending), 'num'), cell(String(a.successes), 'num'),
        failures, cell(String(a.pending), 'num'), cell(`${(a.take_up * 100).toFixed(1)}%`, 'num'));
      return tr;
    }));
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
    // Renewals: offers of a next period, and the share of them renewed
    // (docs/metrics.md#renewals); renewal opt-outs are the declines.
    $('kpi-renewal-offers').textContent = String(t.renewal_offers);
    $('kpi-renewal-detail').textContent = `${t.renewals} renewed, ${t.renewal_opt_outs} declined`;
    $('kpi-renewal-take-up').textContent = pct(t.renewal_take_up);
    $('kpi-renewal-take-up-ci').textContent = t.renewal_take_up ? `95% CI ${ci(t.renewal_take_up)}` : '';
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
    renderOptimizer();
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
    $('optimizer-context').addEventListener('change', () => {
      dashboard.filters.context = $('optimizer-context').value;
      writeFragment();
      if (dashboard.data) renderOptimizer();
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
