import { planTrafficShift } from '../../../shared/domain/traffic-shift';
import { DEFAULT_JUDGEMENT_THRESHOLDS } from '../../../shared/domain/traffic-judgement';
import { shiftSchedule, shiftView } from '../../../shared/operations/traffic-shift-view';
import { canaryPlan, failedAtFifty, MINUTE, progressAfter } from '../../support/shift-progress';

const T0 = Date.UTC(2026, 10, 30, 10, 0, 0);

describe('the schedule of a traffic shift', () => {
  it('when a canary has the default steps, it lists each judged step with its pause and the longest the shift can take', () => {
    // Act
    const schedule = shiftSchedule(canaryPlan());

    // Assess
    expect(schedule).toEqual({
      strategy: 'canary',
      steps: [
        { percent: 5, pauseMinutes: 10 },
        { percent: 25, pauseMinutes: 10 },
        { percent: 50, pauseMinutes: 10 },
      ],
      maxExtensions: 3,
      // Three steps of 10 minutes, each judged once and extended at most 3 times.
      longestShiftMs: 3 * 10 * MINUTE * 4,
      keepBlueMinutes: 15,
      thresholds: DEFAULT_JUDGEMENT_THRESHOLDS,
    });
  });

  it('when a linear shift grows by 30% every 4 minutes, it has three steps and a blue-green none', () => {
    // Prepare
    const defaults = { ...DEFAULT_JUDGEMENT_THRESHOLDS, maxExtensions: 1 };
    const linear = planTrafficShift(
      { strategy: 'linear', keepBlueMinutes: 5, linear: { stepPercent: 30, stepMinutes: 4 } },
      defaults,
    )!;
    const blueGreen = planTrafficShift({ strategy: 'blue-green', keepBlueMinutes: 5 }, defaults)!;

    // Act
    const linearSchedule = shiftSchedule(linear);
    const blueGreenSchedule = shiftSchedule(blueGreen);

    // Assess
    expect(linearSchedule.steps).toEqual([
      { percent: 30, pauseMinutes: 4 },
      { percent: 60, pauseMinutes: 4 },
      { percent: 90, pauseMinutes: 4 },
    ]);
    expect(linearSchedule.longestShiftMs).toBe(3 * 4 * MINUTE * 2);
    expect(blueGreenSchedule.steps).toEqual([]);
    expect(blueGreenSchedule.longestShiftMs).toBe(0);
  });
});

describe('the view of a traffic shift', () => {
  it('when the hook has recorded nothing yet, every step is pending and green has nothing', () => {
    // Act
    const view = shiftView(canaryPlan(), undefined);

    // Assess
    expect(view.status).toBe('not started');
    expect(view.greenPercent).toBe(0);
    expect(view.cause).toBeNull();
    expect(view.stepViews.map((s) => s.status)).toEqual(['pending', 'pending', 'pending']);
    expect(view.windows).toEqual([]);
  });

  it('when green passed 5% and is being judged at 25% after one extension, it says so step by step', () => {
    // Prepare
    const progress = progressAfter(canaryPlan(), ['healthy', 'quiet'], T0);

    // Act
    const view = shiftView(canaryPlan(), progress);

    // Assess
    expect(view.status).toBe('shifting');
    expect(view.greenPercent).toBe(25);
    expect(view.stepViews.map((s) => [s.percent, s.status, s.extensions, s.windows.length])).toEqual([
      [5, 'passed', 0, 1],
      [25, 'judging', 1, 1],
      [50, 'pending', 0, 0],
    ]);
    expect(view.windows.map((w) => w.outcome)).toEqual(['pass', 'inconclusive']);
  });

  it('when the shift failed at 50% after an extended 25%, the cause is the verdict and green is back at 0', () => {
    // Prepare
    const progress = failedAtFifty(T0);

    // Act
    const view = shiftView(canaryPlan(), progress);

    // Assess
    expect(view.status).toBe('failed');
    expect(view.greenPercent).toBe(0);
    expect(view.cause).toBe(progress.cause);
    expect(view.cause).toMatch(
      /^p95 412 ms vs baseline 180 ms \(2\.3×\) at 50% after 10 min, 1,204 requests/,
    );
    expect(view.stepViews.map((s) => [s.percent, s.status, s.extensions, s.windows.length])).toEqual([
      [5, 'passed', 0, 1],
      [25, 'passed', 1, 2],
      [50, 'failed', 0, 1],
    ]);
    // The extended window covers the whole step so far: 20 minutes from when green got 25%.
    const extended = view.stepViews[1]!.windows[1]!;
    expect(extended.to - extended.from).toBe(20 * MINUTE);
  });

  it('when every judged step passed, the shift is done and green has everything', () => {
    // Act
    const view = shiftView(canaryPlan(), progressAfter(canaryPlan(), ['healthy', 'healthy', 'healthy'], T0));

    // Assess
    expect(view.status).toBe('shifted');
    expect(view.greenPercent).toBe(100);
    expect(view.stepViews.every((s) => s.status === 'passed')).toBe(true);
  });

  it('when the stage rolled back while the log still says shifting at 50%, the shift shows as stopped there, green back on blue', () => {
    // Prepare: the stage's deployment timed out after two steps passed (the hook is not called again)
    const progress = progressAfter(canaryPlan(), ['healthy', 'healthy'], T0);

    // Act
    const view = shiftView(canaryPlan(), progress, 'rolled back');
    const running = shiftView(canaryPlan(), progress, 'in progress');

    // Assess
    expect(view.status).toBe('stopped');
    expect(view.greenPercent).toBe(0);
    expect(view.stepViews.map((s) => s.status)).toEqual(['passed', 'passed', 'stopped']);
    expect(view.cause).toBe(
      "the stage ended (rolled back) while green was at 50%, step 3 of 3: the shift did not finish (the stage's cause says why)",
    );
    expect(running.status).toBe('shifting');
    expect(running.cause).toBeNull();
  });

  it('when the shift failed at 5%, the later steps were never reached', () => {
    // Act
    const view = shiftView(canaryPlan(), progressAfter(canaryPlan(), ['slow'], T0));

    // Assess
    expect(view.stepViews.map((s) => s.status)).toEqual(['failed', 'not reached', 'not reached']);
  });
});
