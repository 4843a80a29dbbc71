import type { LiveHistoryEvent } from '../../local-runtime/engine';
import {
  followTimePurpose,
  parseTimeScales,
  purposeOf,
  PurposeScaledClock,
  TimeScaleSyntaxError,
} from '../../local-runtime/time-scales';
import { approvalExpiryNote } from '../../local-runtime/time-scale-note';
import { sampleConfig } from '../support/fixtures';

/**
 * Time scales per purpose (local-runtime/time-scales.ts): `pipeline local --time-scale bake=600,approval=real`
 * runs one clock that slows to the approval scale while the stack only waits for people.
 */
const DEFAULTS = { bake: 600, approval: 600 };

describe('parseTimeScales', () => {
  it.each([
    ['600', { bake: 600, approval: 600 }],
    ['1', { bake: 1, approval: 1 }],
    ['real', { bake: 1, approval: 1 }],
    ['bake=600,approval=1', { bake: 600, approval: 1 }],
    ['approval=real', { bake: 600, approval: 1 }],
    [' bake = 1200 , approval = 2 ', { bake: 1200, approval: 2 }],
    ['bake=0.5', { bake: 0.5, approval: 600 }],
  ])('reads %j as %j', (text, expected) => {
    expect(parseTimeScales(text, DEFAULTS)).toEqual(expected);
  });

  it.each([
    ['0', '"0": a scale must be a positive number or real'],
    ['fast', '"fast": a scale must be a positive number or real'],
    ['', '"": a scale must be a positive number or real'],
    ['bake=600,aproval=1', 'unknown purpose "aproval" (did you mean "approval"?) in "bake=600,aproval=1"'],
    ['deploy=10', 'unknown purpose "deploy" in "deploy=10" (purposes: bake, approval)'],
    ['bake=600,bake=10', 'bake is given twice in "bake=600,bake=10"'],
    ['approval=-1', '"approval=-1": a scale must be a positive number or real'],
    ['approval=', '"approval=": a scale must be a positive number or real'],
    ['bake=1=2', '"bake=1=2" in "bake=1=2": expected a number (600) or purpose=scale pairs'],
    ['bake=600,', '"" in "bake=600,": expected a number'],
  ])('refuses %j, saying %j', (text, message) => {
    const attempt = () => parseTimeScales(text, DEFAULTS);
    expect(attempt).toThrow(TimeScaleSyntaxError);
    expect(attempt).toThrow(message);
  });
});

describe('purposeOf', () => {
  it.each<[string[], 'bake' | 'approval']>([
    [[], 'bake'],
    [['Wait for approval'], 'approval'],
    [['Wait for approval', 'Wait for approval'], 'approval'],
    [['Wait for approval', 'Take the deployment lock'], 'approval'],
    [['Take the deployment lock'], 'bake'],
    [['Wait for approval', 'Bake'], 'bake'],
    [['Wait for approval', 'Wait for ECS deployment'], 'bake'],
    [['Wait for approval', 'Wait while the environment is frozen'], 'bake'],
    [['Wait for approval', ''], 'bake'],
  ])('when executions are in %j, time runs at the %s scale', (states, purpose) => {
    expect(purposeOf(states)).toBe(purpose);
  });
});

describe('followTimePurpose', () => {
  /** An engine that only delivers the history events the test sends. */
  function engine() {
    const listeners = new Set<(event: LiveHistoryEvent) => void>();
    return {
      onEvent(listener: (event: LiveHistoryEvent) => void) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      send(executionArn: string, type: string, name?: string) {
        for (const listener of listeners)
          listener({
            executionArn,
            stateMachineArn: 'arn:sm',
            type,
            timestamp: new Date(),
            details: name === undefined ? {} : { name },
          } as unknown as LiveHistoryEvent);
      },
      get listening() {
        return listeners.size;
      },
    };
  }

  it('when an approval is the only wait, the one clock slows to the approval scale, and speeds up as soon as anything else runs', () => {
    // Prepare
    const events = engine();
    const clock = new PurposeScaledClock({ bake: 600, approval: 1 }, 0);
    const stop = followTimePurpose(events, clock);
    const scales: number[] = [];
    const look = () => scales.push(clock.rate);

    // Act
    look();
    events.send('release-1', 'ExecutionStarted');
    events.send('release-1', 'TaskStateEntered', 'Deploy to region');
    look();
    events.send('release-1', 'WaitStateEntered', 'Bake');
    look();
    events.send('release-1', 'TaskStateEntered', 'Wait for approval');
    look();
    events.send('push-2', 'ExecutionStarted');
    look();
    events.send('push-2', 'TaskStateEntered', 'Take the deployment lock');
    look();
    events.send('push-3', 'ExecutionStarted');
    events.send('push-3', 'WaitStateEntered', 'Bake');
    look();
    events.send('push-3', 'ExecutionSucceeded');
    look();
    events.send('release-1', 'ExecutionFailed');
    look();
    stop();

    // Assess
    expect(scales).toEqual([600, 600, 600, 1, 600, 1, 600, 1, 600]);
    expect(events.listening).toBe(0);
  });

  it('when restarted with an execution already waiting for an approval, it starts at the approval scale', () => {
    // Act
    const clock = new PurposeScaledClock({ bake: 600, approval: 2 }, 0);
    followTimePurpose(engine(), clock, [['release-1', 'Wait for approval']])();

    // Assess
    expect(clock.rate).toBe(2);
  });

  it('when both scales are the same, it does not follow the engine at all', () => {
    // Act
    const events = engine();
    followTimePurpose(events, new PurposeScaledClock({ bake: 600, approval: 600 }, 0));

    // Assess
    expect(events.listening).toBe(0);
  });
});

describe('approvalExpiryNote', () => {
  it.each([
    [
      { bake: 600, approval: 600 },
      'time runs 600x faster: an approval of 168 hours expires in 17 real minutes; decide in time, or start ' +
        'pipeline local with --time-scale bake=600,approval=real to wait for people in real time',
    ],
    [
      { bake: 600, approval: 1 },
      'time runs 600x faster, and in real time while only approvals are pending: an approval of 168 hours ' +
        'expires in 168 real hours (sooner while other work deploys or bakes)',
    ],
    [
      { bake: 600, approval: 60 },
      'time runs 600x faster, and 60x faster while only approvals are pending: an approval of 168 hours ' +
        'expires in 2.8 real hours (sooner while other work deploys or bakes)',
    ],
    [{ bake: 1, approval: 1 }, undefined],
  ])('with scales %j, it says %j', (scales, note) => {
    expect(approvalExpiryNote(sampleConfig(), scales)).toBe(note);
  });
});
