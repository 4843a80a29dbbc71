import type { ShiftProgress, ShiftStrategy } from './traffic-shift';

/**
 * A stage's traffic shift as its evidence keeps it (the approvers of later regions, the deployment's
 * evidence): each judged window's weight, verdict and numbers (the verdict's reason carries them), and the
 * cause when it failed. Read from the TrafficShiftLog the hook writes.
 */
export interface ShiftEvidence {
  strategy: ShiftStrategy;
  status: ShiftProgress['status'];
  cause?: string;
  steps: { percent: number; outcome: 'pass' | 'fail' | 'inconclusive'; reason: string }[];
}

export function shiftEvidence(strategy: ShiftStrategy, progress: ShiftProgress): ShiftEvidence {
  return {
    strategy,
    status: progress.status,
    ...(progress.cause !== undefined && { cause: progress.cause }),
    steps: progress.records.map((r) => ({ percent: r.percent, outcome: r.outcome, reason: r.reason })),
  };
}

/**
 * One line for an approver: `canary 5% pass, 25% inconclusive, 25% pass, 50% pass (last: errors 0.1% vs
 * 0.2%, p95 190 ms vs 180 ms at 50% after 10 min, 1,204 requests)`; a failure ends with its cause.
 */
export function describeShift(shift: ShiftEvidence): string {
  const steps = shift.steps.map((s) => `${s.percent}% ${s.outcome}`).join(', ');
  const head = `${shift.strategy} ${steps || 'no judged step'}`;
  if (shift.status === 'failed') return `${head}; failed: ${shift.cause ?? 'no cause recorded'}`;
  const last = shift.steps.at(-1);
  const tail = shift.status === 'shifting' ? '; still shifting' : '';
  return last ? `${head} (last: ${last.reason})${tail}` : `${head}${tail}`;
}
