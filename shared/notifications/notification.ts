import type { ApprovalView } from '../approvals/approval';
import { commitOfTag } from '../domain/image';

/** What a notification tells: a stage stopped (rolled back or not), or an approval waits. */
export type NotificationKind = 'stage-rolled-back' | 'stage-failed' | 'approval-waiting';

/**
 * One concise message for the people watching the pipeline. `subject` fits an SNS email subject (one line
 * of at most 100 ASCII characters); `text` is a few plain lines; the other fields let subscribers filter
 * (SNS message attributes) without parsing the text.
 */
export interface Notification {
  kind: NotificationKind;
  subject: string;
  text: string;
  service: string;
  version: string;
  environment: string;
  region: string;
  executionName: string;
}

/** SNS refuses subjects over 100 characters, with line breaks or outside printable ASCII. */
export const MAX_SUBJECT_LENGTH = 100;

/** A stage that ended in "Stop the stage": what failed, whether the rollback restored the service, why. */
export function stageStoppedNotification(stop: {
  executionName: string;
  service: string;
  version: string;
  environment: string;
  region: string;
  /**
   * The error the execution fails with, and its message: one line that starts with the original error's
   * name and says what the rollback did (stop-stage writes it so).
   */
  error: { name: string; message: string };
  rolledBack: boolean;
}): Notification {
  const where = `${stop.environment}/${stop.region}`;
  const what = stop.rolledBack ? 'rolled back' : 'failed';
  const version = displayVersion(stop.version);
  return {
    kind: stop.rolledBack ? 'stage-rolled-back' : 'stage-failed',
    subject: subjectLine(`${stop.service} ${version} ${what} in ${where} (${stop.error.name})`),
    text: [
      `${stop.service} ${version} ${what} in ${where}.`,
      stop.error.message,
      `Execution: ${stop.executionName}`,
    ].join('\n'),
    service: stop.service,
    version: stop.version,
    environment: stop.environment,
    region: stop.region,
    executionName: stop.executionName,
  };
}

/**
 * An approval waits. It says who may decide and until when, never the links: those are per approver,
 * signed and secret, and arrive by email only.
 */
export function approvalWaitingNotification(view: ApprovalView): Notification {
  const where = `${view.environment}/${view.region}`;
  const version = displayVersion(view.version);
  const needed = `${view.minApprovals} of ${view.approvers.length} approver${view.approvers.length === 1 ? '' : 's'}`;
  return {
    kind: 'approval-waiting',
    subject: subjectLine(`${view.service} ${version} waits for approval in ${where}`),
    text: [
      `${view.service} ${version} (commit ${view.commit.slice(0, 12)}) waits for approval in ${where}.`,
      `${needed} must approve by ${new Date(view.expiresAt).toISOString()}; their links were emailed to them.`,
      `Execution: ${view.executionName}`,
    ].join('\n'),
    service: view.service,
    version: view.version,
    environment: view.environment,
    region: view.region,
    executionName: view.executionName,
  };
}

/** `sha-<40 hex>` reads as `sha-<12 hex>`, as operators see commits elsewhere; versions stay as they are. */
function displayVersion(version: string): string {
  const commit = commitOfTag(version);
  return commit ? `sha-${commit.slice(0, 12)}` : version;
}

function subjectLine(text: string): string {
  const ascii = text.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= MAX_SUBJECT_LENGTH ? ascii : `${ascii.slice(0, MAX_SUBJECT_LENGTH - 3)}...`;
}
