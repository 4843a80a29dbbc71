import type { ApprovalRequest } from '../../../shared/approvals/approval';
import type { ExecutionControl } from '../../../shared/ports/deployment';
import { RecordingExecutionControl } from '../../support/fakes';

export const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAbQ2task-token-1';
export const ALICE = 'alice@example.com';
export const BOB = 'bob@example.com';
export const CAROL = 'carol@example.com';

/** A production approval request for orders-api v1.4.0 in eu-west-1, one approval needed. */
export function approvalRequest(overrides: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    taskToken: TOKEN,
    executionName: 'tag-orders-api-v1.4.0-0123456789ab',
    service: 'orders-api',
    version: 'v1.4.0',
    commit: '0123456789abcdef0123456789abcdef01234567',
    digest: 'sha256:' + 'ab'.repeat(32),
    environment: 'production',
    region: 'eu-west-1',
    approvers: [ALICE, BOB, CAROL],
    minApprovals: 1,
    allowSelfApproval: false,
    createdBy: CAROL,
    evidence: { staging: { smoke: 'passed', alarms: [] } },
    timeoutSeconds: 24 * 3600,
    ...overrides,
  };
}

/** Step Functions whose task has gone: every sendTask* answers false. */
export class GoneExecutionControl extends RecordingExecutionControl implements ExecutionControl {
  override async sendTaskSuccess(taskToken: string, output: unknown): Promise<boolean> {
    await super.sendTaskSuccess(taskToken, output);
    return false;
  }

  override async sendTaskFailure(taskToken: string, error: string, cause: string): Promise<boolean> {
    await super.sendTaskFailure(taskToken, error, cause);
    return false;
  }
}

/** Ids approval-1, approval-2, … */
export function sequentialIds(): () => string {
  let next = 1;
  return () => `approval-${next++}`;
}
