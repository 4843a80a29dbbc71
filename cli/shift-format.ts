/** The CLI's text for a traffic shift: its schedule in one line, and its steps and windows as tables. */
import { formatSpan } from '../shared/domain/bake-breach';
import type { ShiftSchedule, ShiftView } from '../shared/operations/traffic-shift-view';
import { table } from './format';
import { formatCount } from '../shared/domain/count-text';

/**
 * `canary 5% 10 min → 25% 10 min → 50% 10 min → 100%; up to 3 extensions a step, at most 2 h; blue kept 15 min`
 * (blue-green: `blue-green: all at once after the test listener's checks; blue kept 15 min`).
 */
export function scheduleLine(schedule: ShiftSchedule): string {
  const kept = `blue kept ${formatSpan(schedule.keepBlueMinutes * 60_000)}`;
  if (schedule.steps.length === 0) return `${schedule.strategy}: all at once; ${kept}`;
  const steps = schedule.steps.map((s) => `${s.percent}% ${formatSpan(s.pauseMinutes * 60_000)}`);
  const extensions = `${schedule.maxExtensions} extension${schedule.maxExtensions === 1 ? '' : 's'}`;
  return (
    `${schedule.strategy} ${[...steps, '100%'].join(' → ')}; up to ${extensions} a step, ` +
    `at most ${formatSpan(schedule.longestShiftMs)}; ${kept}`
  );
}

/** Where the shift stands, in a few words: `failed at 50%`, `green at 25%`, `shifted`, `not started`. */
export function shiftStatusLine(view: ShiftView): string {
  switch (view.status) {
    case 'failed': {
      const at = view.stepViews.find((s) => s.status === 'failed');
      return `failed${at ? ` at ${at.percent}%` : ''}: switched back to blue`;
    }
    case 'shifting':
      return `shifting: green at ${view.greenPercent}%`;
    case 'stopped': {
      const at = view.stepViews.find((s) => s.status === 'stopped');
      return `stopped${at ? ` at ${at.percent}%` : ''}: the stage ended before the shift did`;
    }
    case 'shifted':
      return view.stepViews.length === 0
        ? 'shifted: green has 100%, all at once'
        : 'shifted: every judged step passed, green has 100%';
    case 'not started':
      return 'not started: the hook has recorded nothing';
  }
}

/** The judged windows, one row each: weight, length, blue's and green's numbers, verdict and reason. */
export function windowsTable(view: ShiftView, indent: string): string {
  const sample = (s: { requests: number; errors: number; p95Ms?: number }) =>
    `${formatCount(s.requests)} req, ${formatCount(s.errors)} 5xx, p95 ${s.p95Ms === undefined ? '-' : `${Math.round(s.p95Ms)} ms`}`;
  const rows = [['STEP', 'WINDOW', 'BLUE', 'GREEN', 'VERDICT']];
  for (const w of view.windows)
    rows.push([
      `${w.percent}%${w.extension > 0 ? ` +${w.extension}` : ''}`,
      formatSpan(w.to - w.from),
      sample(w.blue),
      sample(w.green),
      `${w.outcome}: ${w.reason}`,
    ]);
  return table(rows, indent);
}

/** The shift of one stage: schedule, standing, the windows judged and the cause of a failure. */
export function shiftLines(view: ShiftView, indent = '  '): string[] {
  const lines = [`${indent}traffic: ${scheduleLine(view)}`, `${indent}shift: ${shiftStatusLine(view)}`];
  if (view.windows.length > 0) lines.push(windowsTable(view, `${indent}  `));
  if (view.cause) lines.push(`${indent}cause: ${view.cause}`);
  return lines;
}
