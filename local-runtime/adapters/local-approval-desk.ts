import { sameApprover, type ApprovalView } from '../../shared/approvals/approval';
import type { DecisionAttempt, DecisionResult } from '../../shared/approvals/decide-approval';
import type { ApprovalNotifier } from '../../shared/ports/approvals';

/** What the local approvers do with each request: `approve`, `reject`, or nothing (`none`: it expires). */
export type ApprovalPolicy = 'approve' | 'reject' | 'none';

export interface LocalApprovalDeskOptions {
  policy: ApprovalPolicy;
  /** Regions whose approvals are rejected whatever the policy, to show a release stopping there. */
  rejectRegions?: string[];
  /** The same decision function the approval pages and the CLI use. */
  decide: (attempt: DecisionAttempt) => Promise<DecisionResult>;
  /** Keeps the local clock still while a decision is in flight. */
  track?: <T>(work: Promise<T>) => Promise<T>;
  /** Approvers who take their time: wait `ms(approval)` on the pipeline's clock (not tracked) first. */
  delay?: { ms: (approval: ApprovalView) => number; sleep: (ms: number) => Promise<void> };
}

/**
 * Approvers on one machine: receives each approval request as the approvers' mailbox would, and decides
 * it through `decideApproval` (the same domain path as the email links), so a release can run end to end
 * without a person. `requests` and `decisions` keep what happened, for reports and tests.
 */
export class LocalApprovalDesk implements ApprovalNotifier {
  readonly requests: ApprovalView[] = [];
  readonly decisions: DecisionResult[] = [];

  constructor(private readonly options: LocalApprovalDeskOptions) {}

  async notify(approval: ApprovalView): Promise<void> {
    this.requests.push(approval);
    const reject = this.options.policy === 'reject' || this.options.rejectRegions?.includes(approval.region);
    if (this.options.policy === 'none' && !reject) return;
    // Decide after the request step returned, as a person clicking a link later would.
    const decide = async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      const approvers = approval.approvers.filter(
        (a) => approval.createdBy === undefined || !sameApprover(a, approval.createdBy),
      );
      const needed = reject ? 1 : approval.minApprovals;
      for (const approver of approvers.slice(0, needed)) {
        const result = await this.options.decide({
          approvalId: approval.approvalId,
          approver,
          decision: reject ? 'reject' : 'approve',
          ...(reject && { comment: `rejected locally for ${approval.region}` }),
          sourceIp: '127.0.0.1',
          userAgent: 'pipeline local approval desk',
        });
        this.decisions.push(result);
      }
    };
    const track = this.options.track ?? ((work) => work);
    const delay = this.options.delay;
    if (delay) void delay.sleep(delay.ms(approval)).then(() => track(decide()));
    else void track(decide());
  }
}
