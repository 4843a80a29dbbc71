import { MAX_COMMENT_CHARS, type ApprovalView, type DecisionKind } from '../approval';
import type { DecisionResult } from '../decide-approval';
import { html, join, type Html, type HtmlValue } from '../../http/html';
import { approvalProgress, type DecisionPreview } from './preview';
import type { LinkFields } from './signing';

/**
 * The approval pages as pure functions: data in, a complete HTML document out. The Lambda handler and the
 * local runtime serve the same documents; status codes and headers are theirs.
 *
 * Every page is built with the `html` tag (shared/http/html.ts): an interpolated value is escaped unless it
 * is markup built the same way. Values are bounded, attributes are always double-quoted, and nothing loads
 * anything: no script, no image, no stylesheet but the inline one (the Content-Security-Policy allows
 * nothing else). The task token is not in an ApprovalView, and no page shows a link's signature: the form
 * posts to the page's own URL (no `action` attribute).
 */

export type ApprovalPage =
  /** The confirmation page: what ships, and one button. */
  | { kind: 'confirm'; approval: ApprovalView; link: LinkFields; formToken: string; now: number }
  /** What a POST achieved, or (preview) why a GET shows no button. */
  | {
      kind: 'outcome';
      result: DecisionResult | Exclude<DecisionPreview, { outcome: 'form' }>;
      action: DecisionKind;
    }
  | { kind: 'invalid-link' }
  | { kind: 'expired-link' }
  | { kind: 'method-not-allowed' }
  | { kind: 'too-large' }
  | { kind: 'unsupported-media-type' }
  | { kind: 'unavailable' }
  | { kind: 'internal-error' };

/** Evidence beyond this many characters (as pretty JSON) is cut, with a note. */
export const MAX_EVIDENCE_CHARS = 16_000;
const MAX_FIELD_CHARS = 300;
const MAX_LIST_ITEMS = 50;

export function renderPage(page: ApprovalPage): string {
  return pageDocument(page).toString();
}

function pageDocument(page: ApprovalPage): Html {
  switch (page.kind) {
    case 'confirm':
      return confirmPage(page);
    case 'outcome':
      return outcomePage(page.result, page.action);
    case 'invalid-link':
      return document(
        'Invalid link',
        html`<p>This approval link is not valid. Open the link from the most recent approval email, exactly as it
was sent; a link that was edited, cut short or copied incompletely does not work.</p>`,
      );
    case 'expired-link':
      return document(
        'Expired link',
        html`<p>This approval link has expired. Nothing was decided. If the release still waits for approval, use
the link from a more recent email.</p>`,
      );
    case 'method-not-allowed':
      return document('Not allowed', html`<p>This page only accepts GET, HEAD and POST requests.</p>`);
    case 'too-large':
      return document(
        'Request too large',
        html`<p>The form was too large. Keep the reason under ${MAX_COMMENT_CHARS} characters and try again.</p>`,
      );
    case 'unsupported-media-type':
      return document(
        'Unsupported request',
        html`<p>Submit the decision with the button on the approval page.</p>`,
      );
    case 'unavailable':
      return document(
        'Try again',
        html`<p>The approval service is temporarily unavailable. Nothing was decided by this request unless the
page you return to says so. Try again in a minute.</p>`,
      );
    case 'internal-error':
      return document(
        'Something went wrong',
        html`<p>Something went wrong on our side. Try again in a minute.</p>`,
      );
  }
}

/**
 * "Approve v1.4.0 for production/us-east-1" (or, where approving migrates the database first, "Migrate and
 * deploy v1.4.0 to production/us-east-1"): the button, and the page's title.
 */
export function actionLabel(
  action: DecisionKind,
  approval: Pick<ApprovalView, 'version' | 'environment' | 'region' | 'migrates'>,
): string {
  const stage = `${clip(approval.environment)}/${clip(approval.region)}`;
  if (action === 'approve' && approval.migrates)
    return `Migrate and deploy ${clip(approval.version)} to ${stage}`;
  return `${action === 'approve' ? 'Approve' : 'Reject'} ${clip(approval.version)} for ${stage}`;
}

// ------------------------------------------------------------------------------------------------ pages

function confirmPage(page: Extract<ApprovalPage, { kind: 'confirm' }>): Html {
  const { approval, link, formToken } = page;
  const label = actionLabel(link.action, approval);
  const { approvals, minApprovals } = approvalProgress(approval);
  const intro =
    link.action === 'approve'
      ? html`<p>You are about to approve ${approval.migrates ? 'the database migration and the deployment' : 'the deployment'} below. It needs ${minApprovals} approval${plural(minApprovals)}; ${approvals} so far.</p>`
      : html`<p>You are about to reject the deployment below. One rejection stops the release for this region.</p>`;
  const reason =
    link.action === 'reject' &&
    html`<p><label for="comment">Reason (optional, shown to the team)</label><br>
<textarea id="comment" name="comment" rows="4" cols="60" maxlength="${MAX_COMMENT_CHARS}"></textarea></p>`;
  const body = html`${intro}
<p>This link is for <strong>${clip(link.approver)}</strong>. Nothing happens until you press the button.</p>
${summary(approval, page.now)}
${evidence(approval.evidence)}
<form method="post">
<input type="hidden" name="formToken" value="${formToken}">
${reason}
<p><button type="submit" class="${link.action}">${label}</button></p>
</form>`;
  return document(`${label}?`, body);
}

function outcomePage(
  result: Extract<ApprovalPage, { kind: 'outcome' }>['result'],
  action: DecisionKind,
): Html {
  switch (result.outcome) {
    case 'approved':
      return document(
        'Approved',
        html`<p>${what(result.approval)} is approved by ${people(result.approvedBy)} at ${time(result.at)}. The
release continues with the deployment.</p>${summary(result.approval)}`,
      );
    case 'recorded':
      return document(
        'Approval recorded',
        html`<p>Your approval of ${what(result.approval)} is recorded: ${result.approvals} of ${result.minApprovals}
approvals. The release waits for ${result.minApprovals - result.approvals} more.</p>${summary(result.approval)}`,
      );
    case 'rejected':
      return document(
        'Rejected',
        html`<p>${what(result.approval)} is rejected by ${clip(result.rejectedBy)} at ${time(result.at)}.
The release stops before this region; nothing was deployed there.</p>
${result.comment && html`<p>Reason:</p><blockquote>${result.comment}</blockquote>`}${summary(result.approval)}`,
      );
    case 'already-decided': {
      const when = result.at === undefined ? '' : ` at ${time(result.at)}`;
      const text =
        result.status === 'approved'
          ? `${what(result.approval)} was already approved by ${people(result.decidedBy)}${when}.`
          : result.status === 'rejected'
            ? `${what(result.approval)} was already rejected by ${people(result.decidedBy)}${when}.`
            : `You already ${ownDecision(result.approval, result.decidedBy)} ${what(result.approval)}${when}. ${waiting(result.approval)}`;
      return document('Already decided', html`<p>${text} Nothing changed.</p>${summary(result.approval)}`);
    }
    case 'expired':
      return document(
        'Approval expired',
        html`<p>The approval of ${what(result.approval)} ${
          result.approval.expiredReason === 'execution-not-waiting'
            ? 'ended: the release no longer waited for it'
            : `expired at ${time(result.expiresAt)}`
        }. Nothing was deployed because of it; redriving the release asks for approval again.</p>${summary(result.approval)}`,
      );
    case 'not-allowed':
      return document(
        'Not allowed',
        result.reason === 'self-approval'
          ? html`<p>You created the release tag of ${what(result.approval)}, and this stage does not allow
self-approval: another approver must approve it. You may still reject it.</p>${summary(result.approval)}`
          : html`<p>This link's approver is not on the approver list of ${what(result.approval)}. Nothing was
${action === 'approve' ? 'approved' : 'rejected'}.</p>${summary(result.approval)}`,
      );
    case 'not-found':
      return document(
        'Approval not found',
        html`<p>There is no such approval (any more). Use the link from the most recent approval email.</p>`,
      );
    case 'superseded':
      return document(
        'Approval replaced',
        html`<p>This approval of ${what(result.approval)} was replaced by a newer request (the release was
redriven). Use the link from the most recent approval email. Nothing changed.</p>${summary(result.approval)}`,
      );
    case 'execution-not-waiting':
      return document(
        'Release no longer waiting',
        html`<p>Your decision on ${what(result.approval)} was recorded, but the release no longer waited for it
(it timed out, was stopped or was redriven). Nothing was deployed because of it.</p>${summary(result.approval)}`,
      );
  }
}

// ------------------------------------------------------------------------------------------------ parts

function summary(approval: ApprovalView, now?: number): Html {
  const { approvals, minApprovals } = approvalProgress(approval);
  const decisions = approval.decisions
    .slice(0, MAX_LIST_ITEMS)
    .map(
      (d) => html`${clip(d.approver)} ${d.decision === 'approve' ? 'approved' : 'rejected'} at ${time(d.at)}`,
    );
  const rows: [string, HtmlValue][] = [
    ['Service', clip(approval.service)],
    ['Version', clip(approval.version)],
    ['Image digest', html`<code>${clip(approval.digest)}</code>`],
    ['Commit', html`<code>${clip(approval.commit)}</code>`],
    ['Environment', clip(approval.environment)],
    ['Region', clip(approval.region)],
    ['Approvers', `${people(approval.approvers)} (${minApprovals} needed, ${approvals} so far)`],
    ...(approval.createdBy === undefined
      ? []
      : ([['Tag created by', clip(approval.createdBy)]] as [string, HtmlValue][])),
    ...(decisions.length > 0 ? ([['Decisions', join(decisions, html`<br>`)]] as [string, HtmlValue][]) : []),
    ['Requested', time(approval.createdAt)],
    [
      'Decide by',
      `${time(approval.expiresAt)}${now !== undefined && now < approval.expiresAt ? ` (${remaining(approval.expiresAt - now)} left)` : ''}`,
    ],
    ['Execution', html`<code>${clip(approval.executionName)}</code>`],
  ];
  const table = rows.map(([name, value]) => html`<tr><th>${name}</th><td>${value}</td></tr>`);
  return html`<table>
${join(table, '\n')}
</table>`;
}

/** What staging and earlier regions showed (`approval.evidence`, JSON), one section per top-level key. */
function evidence(value: unknown): HtmlValue {
  if (value === undefined || value === null) return undefined;
  let budget = MAX_EVIDENCE_CHARS;
  const block = (json: string): Html => {
    const shown = json.length > budget ? `${json.slice(0, Math.max(0, budget))}\n… (cut)` : json;
    budget = Math.max(0, budget - json.length);
    return html`<pre>${shown}</pre>`;
  };
  const sections =
    typeof value === 'object' && !Array.isArray(value)
      ? Object.entries(value as Record<string, unknown>)
          .slice(0, MAX_LIST_ITEMS)
          .map(([key, inner]) => html`<h3>${clip(key)}</h3>\n${block(pretty(inner))}`)
      : [block(pretty(value))];
  return html`<h2>What earlier stages showed</h2>\n${join(sections, '\n')}`;
}

function pretty(value: unknown): string {
  // Text is shown as text: JSON would wrap it in quotes and escape its line breaks.
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return '(not displayable)';
  }
}

/** "orders-api v1.4.0 for production/eu-west-1", as text (escaped where it is placed). */
function what(approval: ApprovalView): string {
  return `${clip(approval.service)} ${clip(approval.version)} for ${clip(approval.environment)}/${clip(approval.region)}`;
}

function waiting(approval: ApprovalView): string {
  const { approvals, minApprovals } = approvalProgress(approval);
  return approvals >= minApprovals
    ? ''
    : `It has ${approvals} of ${minApprovals} approvals and waits for more.`;
}

function ownDecision(approval: ApprovalView, decidedBy: string[]): string {
  const own = approval.decisions.find((d) => decidedBy.includes(d.approver));
  return own?.decision === 'reject' ? 'rejected' : 'approved';
}

function people(list: string[]): string {
  const shown = list.slice(0, MAX_LIST_ITEMS).map((p) => clip(p));
  return (shown.join(', ') || 'nobody') + (list.length > MAX_LIST_ITEMS ? ', …' : '');
}

function time(epochMs: number): string {
  const date = new Date(epochMs);
  if (Number.isNaN(date.getTime())) return 'an unknown time';
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function remaining(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.floor(hours / 24)} days`;
}

function plural(n: number): string {
  return n === 1 ? '' : 's';
}

function clip(value: string | undefined, max = MAX_FIELD_CHARS): string {
  const text = value ?? '';
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max).join('')}…`;
}

function document(title: string, body: Html): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${title}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { text-align: left; vertical-align: top; padding: .25rem .75rem .25rem 0; }
th { white-space: nowrap; color: #555; font-weight: 600; }
td, pre { overflow-wrap: anywhere; }
pre { background: #f5f5f5; padding: .75rem; white-space: pre-wrap; max-height: 24rem; overflow: auto; }
button { font-size: 1.1rem; padding: .6rem 1.2rem; border: 0; border-radius: .3rem; color: #fff; cursor: pointer; }
button.approve { background: #1f7a3a; }
button.reject { background: #b3261e; }
blockquote { border-left: 3px solid #ccc; margin-left: 0; padding-left: 1rem; white-space: pre-wrap; }
</style>
</head>
<body>
<h1>${title}</h1>
${body}
</body>
</html>
`;
}
