import { scheduleLine, shiftLines } from '../../cli/shift-format';
import { planTrafficShift, startShift } from '../../shared/domain/traffic-shift';
import { DEFAULT_JUDGEMENT_THRESHOLDS } from '../../shared/domain/traffic-judgement';
import { shiftSchedule, shiftView } from '../../shared/operations/traffic-shift-view';
import { canaryPlan, failedAtFifty, progressAfter } from '../support/shift-progress';

const T0 = Date.UTC(2026, 10, 30, 10, 0, 0);

describe('the CLI text of a traffic shift', () => {
  it('when a canary failed at 50% after an extended 25%, it prints the schedule, the standing, every window and the cause', () => {
    // Prepare
    const progress = failedAtFifty(T0);

    // Act
    const lines = shiftLines(shiftView(canaryPlan(), progress), '  ').join('\n').split('\n');

    // Assess
    expect(lines[0]).toBe(
      '  traffic: canary 5% 10 min → 25% 10 min → 50% 10 min → 100%; up to 3 extensions a step, at most 2 h; blue kept 15 min',
    );
    expect(lines[1]).toBe('  shift: failed at 50%: switched back to blue');
    expect(lines[2]).toMatch(/^ {4}STEP\s+WINDOW\s+BLUE\s+GREEN\s+VERDICT$/);
    expect(lines.slice(3, 7).map((l) => l.split(/\s{2,}/).slice(1, 3))).toEqual([
      ['5%', '10 min'],
      ['25%', '10 min'],
      ['25% +1', '20 min'],
      ['50%', '10 min'],
    ]);
    expect(lines[6]).toContain(
      '1,000 req, 2 5xx, p95 180 ms  1,204 req, 1 5xx, p95 412 ms  fail: p95 412 ms',
    );
    expect(lines[4]).toContain('inconclusive: too little traffic to judge');
    expect(lines[7]).toBe(`  cause: ${progress.cause}`);
    expect(lines).toHaveLength(8);
  });

  it('while green is judged at 25%, it says so and prints no cause', () => {
    // Act
    const lines = shiftLines(shiftView(canaryPlan(), progressAfter(canaryPlan(), ['healthy'], T0)), '');

    // Assess
    expect(lines[1]).toBe('shift: shifting: green at 25%');
    expect(lines.join('\n')).not.toContain('cause:');
  });

  it('when the stage ended while green was judged at 25%, it says the shift stopped there and why', () => {
    // Act
    const lines = shiftLines(
      shiftView(canaryPlan(), progressAfter(canaryPlan(), ['healthy'], T0), 'failed'),
      '',
    );

    // Assess
    expect(lines[1]).toBe('shift: stopped at 25%: the stage ended before the shift did');
    expect(lines.at(-1)).toBe(
      "cause: the stage ended (failed) while green was at 25%, step 2 of 3: the shift did not finish (the stage's cause says why)",
    );
  });

  it('when a stage is blue-green, the schedule says it shifts all at once', () => {
    // Prepare
    const plan = planTrafficShift(
      { strategy: 'blue-green', keepBlueMinutes: 90 },
      { ...DEFAULT_JUDGEMENT_THRESHOLDS, maxExtensions: 3 },
    )!;

    // Act
    const line = scheduleLine(shiftSchedule(plan));
    const lines = shiftLines(shiftView(plan, startShift(plan, T0).progress), '');

    // Assess
    expect(line).toBe('blue-green: all at once; blue kept 1 h 30 min');
    expect(lines).toEqual([`traffic: ${line}`, 'shift: shifted: green has 100%, all at once']);
  });
});
