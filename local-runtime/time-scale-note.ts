import type { PipelineConfig } from '../shared/config/config.schema';
import type { TimeScales } from './time-scales';

/**
 * The time scales in terms of what people wait for: at 600x a 168-hour approval expires in 17 real
 * minutes, which surprises anyone who leaves an approval email for lunch. With a slower `approval` scale
 * the stack runs at that speed while it only waits for approvals. Undefined when approvals run in real
 * time anyway, or without approvals. Shown by `pipeline local` as it starts and on the dashboard.
 */
export function approvalExpiryNote(config: PipelineConfig, scales: TimeScales): string | undefined {
  const hours = config.environments.flatMap((e) => (e.approval ? [e.approval.timeoutHours] : []));
  if (hours.length === 0) return undefined;
  const longest = Math.max(...hours);
  if (scales.approval === scales.bake) {
    if (scales.approval <= 1) return undefined;
    return (
      `time runs ${scales.bake}x faster: an approval of ${longest} hours expires in ${realTime(longest, scales.approval)}; ` +
      'decide in time, or start pipeline local with --time-scale bake=600,approval=real to wait for people in real time'
    );
  }
  const pace = scales.approval === 1 ? 'in real time' : `${scales.approval}x faster`;
  return (
    `time runs ${scales.bake}x faster, and ${pace} while only approvals are pending: an approval of ` +
    `${longest} hours expires in ${realTime(longest, scales.approval)} (sooner while other work deploys or bakes)`
  );
}

function realTime(hours: number, scale: number): string {
  const realMinutes = (hours * 60) / scale;
  if (realMinutes < 120) {
    const minutes = Math.max(1, Math.round(realMinutes));
    return `${minutes} real minute${minutes === 1 ? '' : 's'}`;
  }
  const realHours = realMinutes / 60;
  return Number.isInteger(realHours) ? `${realHours} real hours` : `${realHours.toFixed(1)} real hours`;
}
