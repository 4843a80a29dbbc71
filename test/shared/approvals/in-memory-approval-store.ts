import {
  MAX_REFUSALS,
  sameApprover,
  type ApprovalRecord,
  type ApprovalRefusal,
  type ApprovalStatus,
  type ApprovalView,
  type ExpiryReason,
} from '../../../shared/approvals/approval';
import type { ApprovalNotifier, ApprovalStore, DecisionWrite } from '../../../shared/ports/approvals';

/** ApprovalStore in memory, with the conditional writes the DynamoDB adapter guarantees. */
export class InMemoryApprovalStore implements ApprovalStore {
  private readonly records = new Map<string, ApprovalRecord>();
  private readonly stages = new Map<string, string>();
  /** Every write attempted, by method, for tests that count them. */
  readonly calls: string[] = [];

  async create(record: ApprovalRecord, previousApprovalId: string | undefined): Promise<boolean> {
    this.calls.push('create');
    if (this.records.has(record.approvalId)) throw new Error(`approval ${record.approvalId} exists`);
    this.records.set(record.approvalId, structuredClone(record));
    const key = stageOf(record.executionName, record.environment, record.region);
    if (this.stages.get(key) !== previousApprovalId) return false;
    this.stages.set(key, record.approvalId);
    return true;
  }

  async get(approvalId: string): Promise<ApprovalRecord | undefined> {
    const record = this.records.get(approvalId);
    return record && structuredClone(record);
  }

  async byStage(executionName: string, environment: string, region: string) {
    const id = this.stages.get(stageOf(executionName, environment, region));
    return id === undefined ? undefined : this.get(id);
  }

  async addDecision(approvalId: string, write: DecisionWrite): Promise<ApprovalRecord | undefined> {
    this.calls.push('addDecision');
    const record = this.records.get(approvalId);
    if (
      !record ||
      record.status !== 'pending' ||
      record.decisions.length !== write.seenDecisions ||
      record.decisions.some((d) => sameApprover(d.approver, write.decision.approver))
    )
      return undefined;
    record.decisions.push(structuredClone(write.decision));
    record.status = write.status;
    if (write.status !== 'pending') record.closedAt = write.decision.at;
    return structuredClone(record);
  }

  async markExpired(approvalId: string, expiry: { at: number; reason: ExpiryReason }): Promise<boolean> {
    this.calls.push('markExpired');
    const from: ApprovalStatus[] =
      expiry.reason === 'timed-out' ? ['pending'] : ['pending', 'approved', 'rejected'];
    const record = this.records.get(approvalId);
    if (!record || !from.includes(record.status)) return false;
    Object.assign(record, { status: 'expired', closedAt: expiry.at, expiredReason: expiry.reason });
    return true;
  }

  async markSuperseded(approvalId: string, at: number): Promise<boolean> {
    this.calls.push('markSuperseded');
    const record = this.records.get(approvalId);
    if (!record || record.status !== 'pending') return false;
    Object.assign(record, { status: 'superseded', closedAt: at });
    return true;
  }

  async markDelivered(approvalId: string, at: number): Promise<void> {
    this.calls.push('markDelivered');
    const record = this.records.get(approvalId);
    if (record) record.deliveredAt = at;
  }

  async markNotified(approvalId: string, at: number): Promise<void> {
    const record = this.records.get(approvalId);
    if (record) record.notifiedAt = at;
  }

  async recordRefusal(approvalId: string, refusal: ApprovalRefusal): Promise<void> {
    const record = this.records.get(approvalId);
    if (!record) return;
    if (record.refusals.length < MAX_REFUSALS) record.refusals.push(structuredClone(refusal));
    else record.refusalsDropped = (record.refusalsDropped ?? 0) + 1;
  }

  /** Test helper: overwrite a stored record's fields. */
  patch(approvalId: string, fields: Partial<ApprovalRecord>): void {
    const record = this.records.get(approvalId);
    if (!record) throw new Error(`no approval ${approvalId}`);
    Object.assign(record, fields);
  }
}

/** A notifier that remembers what it was given, and can be told to fail. */
export class RecordingNotifier implements ApprovalNotifier {
  readonly notified: ApprovalView[] = [];
  failNext = false;

  async notify(record: ApprovalView): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('the mail server is down');
    }
    this.notified.push(structuredClone(record));
  }
}

function stageOf(executionName: string, environment: string, region: string): string {
  return `${executionName}/${environment}/${region}`;
}
