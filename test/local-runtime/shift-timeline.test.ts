import { ManualClock } from '../../shared/clock';
import type { StepRecord } from '../../shared/domain/traffic-shift';
import type { TrafficTargets } from '../../shared/ports/traffic';
import { LocalLoadBalancers, type LoadBalancerEvent } from '../../local-runtime/traffic/local-load-balancers';
import {
  medianAndMax,
  stepActivity,
  switchBack,
  type ObservedLoadBalancerEvent,
} from '../../local-runtime/traffic/shift-timeline';
import { HANG_LIMIT_MS } from '../helpers/hang-limit';

// A few real requests over loopback on a shared machine: the limit only stops a hang.
jest.setTimeout(HANG_LIMIT_MS);

const TARGETS: TrafficTargets = {
  region: 'eu-west-1',
  loadBalancer: 'local/orders-api/prod/eu-west-1',
  listenerRule: 'local/orders-api/prod/eu-west-1/rule',
  blueTargetGroup: 'local/orders-api/prod/eu-west-1/a',
  greenTargetGroup: 'local/orders-api/prod/eu-west-1/b',
};
const T0 = Date.parse('2026-11-30T10:00:00Z');
const MINUTE = 60_000;

const weight = (greenPercent: number, at: number, wallMs: number): ObservedLoadBalancerEvent => ({
  kind: 'weight',
  targets: TARGETS,
  greenPercent,
  greenInFlight: 0,
  at,
  wallMs,
});
const read = (from: number, to: number, wallMs: number): ObservedLoadBalancerEvent => ({
  kind: 'sample',
  targets: TARGETS,
  window: { from, to },
  at: to,
  wallMs,
});
const record = (step: number, percent: number, extension: number, from: number, to: number) =>
  ({
    step,
    percent,
    extension,
    from,
    to,
    outcome: 'pass',
    reason: 'fine',
    blue: { requests: 1_000, errors: 0, p95Ms: 30 },
    green: { requests: 100, errors: 0, p95Ms: 31 },
  }) satisfies StepRecord;

describe('switchBack', () => {
  it('when a read is followed by 0% green, it times the switch and the drain from that read', () => {
    // Prepare: 5% at T0, judged a minute later, back to 0 and green's last request answered after
    const events = [
      weight(5, T0, 1_000),
      read(T0, T0 + MINUTE, 2_000),
      { ...weight(0, T0 + MINUTE, 2_000.5), greenDrainedWallMs: 2_003 },
      weight(0, T0 + MINUTE, 2_010), // ECS's own switch back after the hook's FAILED: already on blue
    ];

    // Act
    const switched = switchBack(events);

    // Assess
    expect(switched).toEqual({
      verdictAt: T0 + MINUTE,
      verdictWallMs: 2_000,
      verdictToSwitchMs: 0.5,
      verdictToAllBlueMs: 3,
    });
  });

  it('when green never went back to 0, or 0% came before green had any traffic, there is no switch back', () => {
    // Prepare
    const healthy = [
      weight(0, T0, 900), // the load balancer's start: all on blue, nothing to switch back from
      weight(5, T0, 1_000),
      read(T0, T0 + MINUTE, 2_000),
      weight(25, T0 + MINUTE, 2_001),
      read(T0 + MINUTE, T0 + 2 * MINUTE, 3_000),
      weight(100, T0 + 2 * MINUTE, 3_001),
    ];

    // Act, Assess
    expect(switchBack(healthy)).toBeUndefined();
    expect(switchBack([weight(5, T0, 1), weight(0, T0, 2)])).toBeUndefined(); // no read: no verdict to time
    expect(switchBack([])).toBeUndefined();
  });

  it('when green was not drained yet, it gives the switch without the time to 100% on blue', () => {
    // Act
    const switched = switchBack([weight(5, T0, 10), read(T0, T0 + MINUTE, 20), weight(0, T0 + MINUTE, 21)]);

    // Assess
    expect(switched).toEqual({ verdictAt: T0 + MINUTE, verdictWallMs: 20, verdictToSwitchMs: 1 });
  });
});

describe('stepActivity', () => {
  it('groups the windows by step and counts the hook reads and the states entered in each', () => {
    // Prepare: 5% for a minute; 25% extended once (two windows); a read of another shift's window
    const records = [
      record(0, 5, 0, T0, T0 + MINUTE),
      { ...record(1, 25, 0, T0 + MINUTE, T0 + 2 * MINUTE), outcome: 'inconclusive' as const },
      { ...record(1, 25, 1, T0 + MINUTE, T0 + 3 * MINUTE), outcome: 'fail' as const },
    ];
    const events = [
      weight(5, T0, 1),
      read(T0, T0 + MINUTE, 2),
      weight(25, T0 + MINUTE, 3),
      read(T0 + MINUTE, T0 + 2 * MINUTE, 4),
      read(T0 + MINUTE, T0 + 3 * MINUTE, 5),
      read(T0 - 5 * MINUTE, T0 + MINUTE, 6), // another step's window
      weight(0, T0 + 3 * MINUTE, 7),
    ];
    const history = [
      { type: 'TaskStateEntered' as const, timestamp: new Date(T0 - MINUTE) }, // before the shift
      { type: 'TaskStateEntered' as const, timestamp: new Date(T0 + 90_000) }, // during 25%
      { type: 'TaskScheduled' as const, timestamp: new Date(T0 + 90_000) }, // not a transition
      { type: 'ChoiceStateEntered' as const, timestamp: new Date(T0 + 3 * MINUTE) }, // set off by the verdict
    ];

    // Act
    const steps = stepActivity(records, events, history);

    // Assess
    expect(steps).toEqual([
      {
        step: 0,
        percent: 5,
        from: T0,
        to: T0 + MINUTE,
        outcome: 'pass',
        windows: 1,
        hookReads: 1,
        statesEntered: 0,
      },
      {
        step: 1,
        percent: 25,
        from: T0 + MINUTE,
        to: T0 + 3 * MINUTE,
        outcome: 'fail',
        windows: 2,
        hookReads: 2,
        statesEntered: 1,
      },
    ]);
  });

  it('when nothing was judged, there are no steps', () => {
    expect(stepActivity([], [weight(5, T0, 1)], [])).toEqual([]);
  });
});

describe('medianAndMax', () => {
  it('gives the middle value (the lower of two) and the largest, and nothing for no values', () => {
    expect(medianAndMax([3, 1, 2])).toEqual({ p50: 2, max: 3 });
    expect(medianAndMax([4, 1, 3, 2])).toEqual({ p50: 2, max: 4 });
    expect(medianAndMax([7])).toEqual({ p50: 7, max: 7 });
    expect(medianAndMax([])).toBeUndefined();
  });
});

describe('LocalLoadBalancers.observe', () => {
  let balancers: LocalLoadBalancers | undefined;
  afterEach(async () => {
    await balancers?.close();
    balancers = undefined;
  });

  it('when weights are set and windows read, observers hear each, on the stack clock, until they unsubscribe', async () => {
    // Prepare: a real load balancer in front of two sample services; one observer that throws
    const clock = new ManualClock(T0);
    balancers = new LocalLoadBalancers({ clock, concurrency: 2 });
    balancers.define({
      ...TARGETS,
      stateOf: (group) => ({ commit: group.endsWith('/a') ? 'b1ue' : 'a11green' }),
    });
    const heard: LoadBalancerEvent[] = [];
    const stop = balancers.observe((event) => heard.push(event));
    balancers.observe(() => {
      throw new Error('a broken observer');
    });

    // Act
    await balancers.setGreenWeight(TARGETS, 50);
    await balancers.send(TARGETS.listenerRule, 10);
    await clock.advance(MINUTE);
    const measured = await balancers.sample(TARGETS, { from: T0, to: T0 + MINUTE });
    await balancers.setGreenWeight(TARGETS, 0);
    await balancers.greenDrained(TARGETS.listenerRule);
    stop();
    await balancers.setGreenWeight(TARGETS, 5);

    // Assess
    expect(measured.green.requests).toBe(5);
    expect(heard).toEqual([
      {
        kind: 'weight',
        targets: TARGETS,
        greenPercent: 50,
        greenInFlight: 0,
        at: T0,
        wallMs: expect.any(Number),
      },
      {
        kind: 'sample',
        targets: TARGETS,
        window: { from: T0, to: T0 + MINUTE },
        at: T0 + MINUTE,
        wallMs: expect.any(Number),
      },
      {
        kind: 'weight',
        targets: TARGETS,
        greenPercent: 0,
        greenInFlight: expect.any(Number),
        at: T0 + MINUTE,
        wallMs: expect.any(Number),
      },
    ]);
    const walls = heard.map((e) => e.wallMs);
    expect([...walls].sort((a, b) => a - b)).toEqual(walls);
  });

  it('when a load balancer has not started, green is drained already; an unknown one is refused', async () => {
    // Prepare
    balancers = new LocalLoadBalancers({ clock: new ManualClock(T0) });
    balancers.define({ ...TARGETS, stateOf: () => ({ commit: 'b1ue' }) });

    // Act, Assess
    await expect(balancers.greenDrained(TARGETS.listenerRule)).resolves.toBeUndefined();
    await expect(balancers.greenDrained('local/unknown/rule')).rejects.toThrow(
      'no local load balancer has the listener rule local/unknown/rule',
    );
  });
});
