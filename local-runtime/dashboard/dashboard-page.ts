import { randomBytes } from 'node:crypto';
import { html, join, raw, type Html } from '../../shared/http/html';
import type { ApiTarget } from '../local-api-types';
import { DASHBOARD_SCRIPT } from './dashboard-script';
import { SHIFT_SCRIPT, SHIFT_STYLE } from './shift-script';

/** The body of `GET /api/state`, as far as the page renders it. */
export interface DashboardState {
  now: string;
  /** What the time scale means for approvals, when the pipeline runs faster than real time. */
  timeScaleNote?: string;
  services: string[];
  environments: { name: string; regions: string[] }[];
  targets: ApiTarget[];
}

/** A fresh nonce per page: the only script and style the page may run are the ones carrying it. */
export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

/** Headers of the dashboard: its own nonce'd script and style, fetches to itself, nothing else. */
export function dashboardHeaders(nonce: string): Record<string, string> {
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': [
      "default-src 'none'",
      `script-src 'nonce-${nonce}'`,
      `style-src 'nonce-${nonce}'`,
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  };
}

const STYLE = `
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:1.5rem;color:#1f2328}
header{display:flex;gap:1.5rem;align-items:baseline;flex-wrap:wrap}
h1{font-size:1.4rem;margin:0}
.meta,#now,#status{color:#59636e;font-size:.85rem}
table.grid{border-collapse:collapse;margin:1rem 0}
.grid th,.grid td{border:1px solid #d0d7de;padding:6px 10px;text-align:left;vertical-align:top;min-width:9rem}
.grid thead th{background:#f6f8fa;font-weight:600}
.version{font-family:ui-monospace,Menlo,monospace;font-weight:600}
.badge{display:inline-block;border-radius:10px;padding:1px 8px;margin:2px 4px 2px 0;font-size:.8rem;background:#eaeef2}
.outcome-deployed,.status-succeeded .status{background:#dafbe1}
.outcome-rolled-back,.outcome-rollback-failed,.outcome-failed,.outcome-rejected,.outcome-approval-expired,.status-failed .status,.status-timed-out .status{background:#ffebe9}
.outcome-in-progress,.activity-deploying,.activity-smoke-testing,.activity-baking,.status-running .status{background:#ddf4ff}
.activity-waiting-for-approval,.activity-waiting-for-the-deployment-lock{background:#fff8c5}
.activity-waiting-environment-frozen,.activity-waiting-outside-deployment-window{background:#e7e7ff}
.activity-rolling-back{background:#ffebe9}
ol.executions{list-style:none;padding:0}
.execution{border-top:1px solid #d0d7de;padding:8px 0}
.execution .head{display:flex;gap:.75rem;align-items:baseline;flex-wrap:wrap}
button.name{font-family:ui-monospace,Menlo,monospace;background:none;border:0;padding:0;color:#0969da;cursor:pointer;font-size:.9rem}
ol.timeline{list-style:none;padding:0;margin:4px 0;display:flex;flex-wrap:wrap}
.what{color:#59636e}
table.states{border-collapse:collapse;font-size:.85rem;margin:2px 0 6px 1rem}
.states td{padding:1px 12px 1px 0}.states .num{text-align:right}
.states tr.failed,.error{color:#cf222e}
h4{margin:8px 0 2px;font-size:.9rem}
.metrics-pair h3{font-size:1rem;margin:12px 0 2px}
.charts{display:flex;gap:1.5rem;flex-wrap:wrap;align-items:flex-start}
svg.chart{overflow:visible;font-size:10px;fill:#59636e}
svg.chart .bar{fill:#0969da}
svg.chart .part-approval,svg.chart .part-frozen,svg.chart .part-queued{fill:#bf8700}
svg.chart .line{fill:none;stroke:#8c959f;stroke-width:1}
svg.chart .point{fill:#0969da}
svg.chart .axis{stroke:#d0d7de}
.metrics-picker{display:flex;gap:12px;flex-wrap:wrap;margin:6px 0}
.metrics-picker label{font-size:.85rem}
`;

/** The windows the metrics picker offers (`since`, as `/api/metrics` and `pipeline metrics` read it). */
export const METRICS_WINDOWS = ['1d', '7d', '30d', '90d'] as const;

/** The metrics view's picker: which service, environment and window `/api/metrics` is asked for. */
function metricsPickerHtml(state: DashboardState): Html {
  const option = (value: string, label: string, selected = false) =>
    selected
      ? html`<option value="${value}" selected>${label}</option>`
      : html`<option value="${value}">${label}</option>`;
  return html`<form id="metrics-picker" class="metrics-picker"><label>service <select id="metrics-service" name="service">${[
    option('', 'every service'),
    ...state.services.map((s) => option(s, s)),
  ]}</select></label><label>environment <select id="metrics-environment" name="environment">${[
    option('', 'every environment'),
    ...state.environments.map((e) => option(e.name, e.name)),
  ]}</select></label><label>since <select id="metrics-since" name="since">${METRICS_WINDOWS.map((w) =>
    option(w, `last ${w}`, w === '30d'),
  )}</select></label></form>`;
}

/** A short display of a version: `sha-` and 12 hex digits of a commit, or the tag. */
function shortVersion(version: string | null): string {
  if (!version) return '';
  return /^sha-[0-9a-f]{12,}$/.test(version) ? version.slice(0, 16) : version;
}

function gridHtml(state: DashboardState): Html {
  const columns = state.environments.flatMap((e) => e.regions.map((r) => ({ env: e.name, region: r })));
  const head = columns.map((c) => html`<th>${`${c.env} / ${c.region}`}</th>`);
  const rows = state.services.map((service) => {
    const cells = columns.map(({ env, region }) => {
      const t = state.targets.find(
        (x) => x.service === service && x.environment === env && x.region === region,
      );
      if (!t) return html`<td class="cell empty">—</td>`;
      const activity = t.inProgress
        ? html`<div class="badge">${t.inProgress.activity}</div>`
        : t.last && html`<div class="badge">${t.last.outcome}</div>`;
      const version = t.serving.version ? shortVersion(t.serving.version) : 'not deployed';
      return html`<td class="cell" data-target="${`${service} ${env} ${region}`}"><div class="version">${version}</div>${activity}</td>`;
    });
    return html`<tr><th class="service">${service}</th>${cells}</tr>`;
  });
  return html`<table id="grid" class="grid"><thead><tr><th>service</th>${head}</tr></thead><tbody>${rows}</tbody></table>`;
}

/**
 * `GET /`: the services × environment/region grid and the executions, rendered once on the server (so the
 * page says something without scripts) and then kept current by the inline script.
 */
export function renderDashboard(nonce: string, state: DashboardState): string {
  const lines = [
    html`<!DOCTYPE html>`,
    html`<html lang="en"><head><meta charset="utf-8">`,
    html`<meta name="referrer" content="no-referrer">`,
    html`<title>Local pipeline</title>`,
    html`<style nonce="${nonce}">${raw(STYLE + SHIFT_STYLE)}</style></head>`,
    html`<body>`,
    html`<header><h1>Local pipeline</h1>`,
    html`<a href="/mail">Mailbox (approval emails)</a>`,
    html`<a href="#traffic-shifts">Traffic shifts</a>`,
    html`<a href="#delivery-metrics">Delivery metrics</a>`,
    html`<a href="/api/state">/api/state</a> <a href="/api/executions">/api/executions</a> <a href="/api/metrics">/api/metrics</a>`,
    html`<span id="now">pipeline time ${state.now.replace('T', ' ').slice(0, 19)}</span>`,
    html`<span id="status">loading…</span></header>`,
    ...(state.timeScaleNote ? [html`<p class="meta" id="time-scale">${state.timeScaleNote}</p>`] : []),
    html`<h2>What runs where</h2>`,
    gridHtml(state),
    html`<h2 id="traffic-shifts">Traffic shifts</h2>`,
    html`<p class="meta">Each stage deployed blue-green, canary or linear: the shift running there and the last one that finished. Green against blue over the same window at each step (docs/deployment-strategies.md; JSON: <a href="/api/shifts">/api/shifts</a>).</p>`,
    html`<div id="shifts"><p class="meta">loading…</p></div>`,
    html`<h2 id="delivery-metrics">Delivery metrics</h2>`,
    html`<p class="meta">Pipeline time, per service and environment that deployed: deployments per day, the lead time of each deployment, and where the lead time went.</p>`,
    metricsPickerHtml(state),
    html`<div id="metrics"><p class="meta">loading…</p></div>`,
    html`<h2>Executions</h2>`,
    html`<p class="meta">Newest first. Click a name for its states and durations. Send events with <code>curl -X POST -H 'content-type: application/json' --data @events/ecr-push-orders-api.json ${'<this address>'}/events</code>.</p>`,
    html`<ol id="executions" class="executions"></ol>`,
    html`<script nonce="${nonce}">${raw(DASHBOARD_SCRIPT + SHIFT_SCRIPT)}</script>`,
    html`</body></html>`,
    '',
  ];
  return join(lines, '\n').toString();
}
