import type { PipelineConfig } from '../shared/config/config.schema';

/**
 * The time scale in terms of what people wait for: at 600x a 168-hour approval expires in 17 real
 * minutes, which surprises anyone who leaves an approval email for lunch. Undefined at real time, or
 * without approvals. Shown by `pipeline local` as it starts and on the dashboard.
 */
export function approvalExpiryNote(config: PipelineConfig, timeScale: number): string | undefined {
  const hours = config.environments.flatMap((e) => (e.approval ? [e.approval.timeoutHours] : []));
  if (hours.length === 0 || timeScale <= 1) return undefined;
  const longest = Math.max(...hours);
  const realMinutes = (longest * 60) / timeScale;
  const real =
    realMinutes < 120
      ? `${Math.round(realMinutes)} real minute${Math.round(realMinutes) === 1 ? '' : 's'}`
      : `${(realMinutes / 60).toFixed(1)} real hours`;
  return (
    `time runs ${timeScale}x faster: an approval of ${longest} hours expires in ${real}; ` +
    'decide in time, or start pipeline local with --time-scale 1 to wait in real time'
  );
}
