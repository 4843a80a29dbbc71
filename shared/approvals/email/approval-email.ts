import { PipelineMisconfiguredError } from '../../domain/errors';
import { html, join, type Html } from '../../http/html';
import type { ApprovalView } from '../approval';

/**
 * The approval email: what waits, what it was built from, what earlier stages showed, and the two links.
 * Pure: the same view, approver and links always give the same email.
 *
 * Every value from the view is treated as hostile: control characters (a newline could forge a line in the
 * text version or a header) become spaces, long values are cut, and the HTML is built with the `html` tag,
 * which escapes every value placed in it. The HTML has no scripts, no images and no external resources.
 * The view carries no task token, and the links are the signer's: the email holds nothing that could
 * resume the execution on its own.
 */

export interface ApprovalEmail {
  subject: string;
  html: string;
  text: string;
}

export interface ApprovalLinks {
  approve: string;
  reject: string;
}

/** Single values (service, version, commit…) longer than this are cut with an ellipsis. */
const MAX_VALUE_CHARS = 200;
/** Subjects are cut to this length: mail clients show far less, and SES limits header lines. */
const MAX_SUBJECT_CHARS = 180;
/** Evidence rows shown; the rest are counted. */
const MAX_EVIDENCE_ROWS = 20;
/** Each evidence value (compact JSON) is cut to this length. */
const MAX_EVIDENCE_VALUE_CHARS = 400;
/** Evidence that is not an object is shown as indented JSON, cut to this length. */
const MAX_EVIDENCE_JSON_CHARS = 4000;

/** Control characters (C0, DEL, C1) and the Unicode line and paragraph separators. */
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** One line of at most `max` characters: control characters become spaces, the rest is cut. */
function oneLine(value: unknown, max = MAX_VALUE_CHARS): string {
  const line = String(value ?? '')
    .replace(CONTROL_CHARS, ' ')
    .trim();
  return cut(line, max);
}

function cut(value: string, max: number): string {
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}

/** `sha256:` and the first 12 hex digits: what people compare at a glance. */
export function shortDigest(digest: string): string {
  const match = /^([a-z0-9]+):([a-f0-9]{12})[a-f0-9]*$/i.exec(digest);
  return match ? `${match[1]}:${match[2]}` : oneLine(digest, 24);
}

/** `2026-11-20 10:00 UTC`. */
export function formatUtc(epochMs: number): string {
  const date = new Date(epochMs);
  if (Number.isNaN(date.getTime())) return 'unknown';
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `24 hours`, `90 minutes`, `2 days`. */
function formatDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 120) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.round(minutes / 60);
  if (hours < 72) return `${hours} hours`;
  return `${Math.round(hours / 24)} days`;
}

/** Accepts only absolute http(s) URLs: a `javascript:` or relative link is a wiring bug, never sent. */
function checkedLink(link: string, action: string): string {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    throw new PipelineMisconfiguredError(`the ${action} link of an approval email is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new PipelineMisconfiguredError(
      `the ${action} link of an approval email must be http(s), got ${url.protocol} (check the approval base URL)`,
    );
  return link;
}

interface EvidenceRow {
  key: string;
  value: string;
}

type Evidence =
  { kind: 'none' } | { kind: 'rows'; rows: EvidenceRow[]; more: number } | { kind: 'json'; json: string };

function compactJson(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return '(not JSON)';
  }
}

/** A plain object becomes rows (one per top-level key); anything else indented JSON; both bounded. */
function evidenceOf(evidence: unknown): Evidence {
  if (evidence === undefined || evidence === null) return { kind: 'none' };
  if (typeof evidence === 'object' && !Array.isArray(evidence)) {
    const entries = Object.entries(evidence as Record<string, unknown>);
    if (entries.length === 0) return { kind: 'none' };
    return {
      kind: 'rows',
      rows: entries.slice(0, MAX_EVIDENCE_ROWS).map(([key, value]) => ({
        key: oneLine(key, 80),
        value: oneLine(compactJson(value), MAX_EVIDENCE_VALUE_CHARS),
      })),
      more: Math.max(0, entries.length - MAX_EVIDENCE_ROWS),
    };
  }
  let json: string;
  try {
    json = JSON.stringify(evidence, null, 2) ?? String(evidence);
  } catch {
    json = '(not JSON)';
  }
  // Indented JSON keeps its newlines; other control characters go.
  return {
    kind: 'json',
    json: cut(json.replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, ' '), MAX_EVIDENCE_JSON_CHARS),
  };
}

/**
 * The subject: `Approve orders-api v1.4.0 for production/eu-west-1?`, or where approving also migrates the
 * database, `Migrate and deploy orders-api v1.4.0 to production/eu-west-1?`.
 */
export function approvalSubject(view: ApprovalView): string {
  const release = `${oneLine(view.service, 60)} ${oneLine(view.version, 60)}`;
  const stage = `${oneLine(view.environment, 40)}/${oneLine(view.region, 30)}`;
  return oneLine(
    view.migrates ? `Migrate and deploy ${release} to ${stage}?` : `Approve ${release} for ${stage}?`,
    MAX_SUBJECT_CHARS,
  );
}

/** What approving does: deploy, or where the stage migrates first, migrate the database and deploy. */
function approvalAsk(view: ApprovalView): string {
  return view.migrates
    ? 'waits for your approval to migrate the database and deploy to'
    : 'waits for your approval before it deploys to';
}

/**
 * Renders the email one approver receives. `links` are that approver's signed links; they must be absolute
 * http(s) URLs (anything else throws `PipelineMisconfiguredError`).
 */
export function renderApprovalEmail(
  view: ApprovalView,
  approver: string,
  links: ApprovalLinks,
): ApprovalEmail {
  const approve = checkedLink(links.approve, 'approve');
  const reject = checkedLink(links.reject, 'reject');
  const service = oneLine(view.service);
  const version = oneLine(view.version);
  const stage = `${oneLine(view.environment, 60)}/${oneLine(view.region, 60)}`;
  const digest = oneLine(view.digest);
  const facts: [string, string][] = [
    ['Service', service],
    ['Version', version],
    ['Stage', stage],
    ['Image', `${shortDigest(view.digest)} (${digest})`],
    ['Commit', oneLine(view.commit)],
    ['Tag created by', view.createdBy === undefined ? 'unknown' : oneLine(view.createdBy)],
    [
      'Approvals needed',
      `${view.minApprovals} of ${view.approvers.length} approvers; one rejection stops the release`,
    ],
    [
      'Expires',
      `${formatUtc(view.expiresAt)} (${formatDuration(view.expiresAt - view.createdAt)} after the request)`,
    ],
    ['Approval id', oneLine(view.approvalId, 80)],
  ];
  const evidence = evidenceOf(view.evidence);
  const to = oneLine(approver);
  const confirmNote =
    'Each link opens a confirmation page: nothing is approved or rejected until you confirm there.';
  const personalNote = `These links are for ${to} only and stop working when the approval expires; do not forward this email.`;

  const ask = approvalAsk(view);
  const title = approvalSubject(view);
  const parts = {
    service,
    version,
    stage,
    ask,
    title,
    facts,
    evidence,
    approve,
    reject,
    confirmNote,
    personalNote,
  };
  return { subject: title, text: renderText(parts), html: renderHtml(parts) };
}

interface Parts {
  service: string;
  version: string;
  stage: string;
  /** "waits for your approval before it deploys to" (or "to migrate the database and deploy to"). */
  ask: string;
  title: string;
  facts: [string, string][];
  evidence: Evidence;
  approve: string;
  reject: string;
  confirmNote: string;
  personalNote: string;
}

function renderText(p: Parts): string {
  const width = Math.max(...p.facts.map(([label]) => label.length)) + 2;
  const lines = [
    `${p.service} ${p.version} ${p.ask} ${p.stage}.`,
    '',
    ...p.facts.map(([label, value]) => `${`${label}:`.padEnd(width)}${value}`),
    '',
  ];
  if (p.evidence.kind === 'rows') {
    lines.push('What staging and earlier regions showed:');
    for (const row of p.evidence.rows) lines.push(`  ${row.key}: ${row.value}`);
    if (p.evidence.more > 0) lines.push(`  … and ${p.evidence.more} more`);
    lines.push('');
  } else if (p.evidence.kind === 'json') {
    lines.push('What staging and earlier regions showed:', p.evidence.json, '');
  }
  lines.push('Approve:', p.approve, '', 'Reject:', p.reject, '', p.confirmNote, p.personalNote, '');
  return lines.join('\n');
}

const FONT = 'font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif';

function button(href: string, label: string, colour: string): Html {
  return html`<a href="${href}" style="display:inline-block;padding:10px 20px;margin:0 8px 8px 0;background:${colour};color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold">${label}</a>`;
}

function renderHtml(p: Parts): string {
  const cell = 'padding:4px 12px 4px 0;vertical-align:top';
  const facts = p.facts.map(
    ([label, value]) =>
      html`<tr><th align="left" style="${cell};color:#555555;font-weight:normal">${label}</th><td style="${cell}">${value}</td></tr>`,
  );
  let evidence: Html | undefined;
  if (p.evidence.kind === 'rows') {
    const rows = p.evidence.rows.map(
      (row) =>
        html`<tr><th align="left" style="${cell};font-weight:normal">${row.key}</th><td style="${cell}"><code style="word-break:break-all">${row.value}</code></td></tr>`,
    );
    const more = p.evidence.more > 0 && html`<p>… and ${p.evidence.more} more</p>`;
    evidence = html`<h3>What staging and earlier regions showed</h3>
<table role="presentation" style="border-collapse:collapse;font-size:13px">
${join(rows, '\n')}
</table>
${more}`;
  } else if (p.evidence.kind === 'json') {
    evidence = html`<h3>What staging and earlier regions showed</h3>
<pre style="font-size:12px;background:#f6f8fa;padding:8px;white-space:pre-wrap;word-break:break-all">${p.evidence.json}</pre>`;
  }
  const lines: Html[] = [
    html`<!DOCTYPE html>`,
    html`<html><head><meta charset="utf-8">`,
    html`<title>${p.title}</title></head>`,
    html`<body style="${FONT};font-size:14px;color:#1f2328">`,
    html`<p><strong>${p.service} ${p.version}</strong> ${p.ask} <strong>${p.stage}</strong>.</p>`,
    html`<table role="presentation" style="border-collapse:collapse">
${join(facts, '\n')}
</table>`,
    ...(evidence ? [evidence] : []),
    html`<p style="margin-top:20px">${button(p.approve, 'Approve', '#1a7f37')}${button(p.reject, 'Reject', '#cf222e')}</p>`,
    html`<p style="color:#555555;font-size:12px">${p.confirmNote}<br>${p.personalNote}</p>`,
    html`<p style="color:#555555;font-size:12px">If the buttons do not work, copy a link:<br>Approve: ${p.approve}<br>Reject: ${p.reject}</p>`,
    html`</body></html>`,
  ];
  return join(lines, '\n').toString();
}
