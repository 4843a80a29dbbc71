import type { Clock } from '../../shared/clock';
import type { TrafficTargets } from '../../shared/ports/traffic';
import {
  LocalLoadBalancers,
  type LocalLoadBalancersSnapshot,
} from '../../local-runtime/traffic/local-load-balancers';
import { UnknownTrafficTargets } from '../../local-runtime/traffic/local-traffic-proxy';
import { HANG_LIMIT_MS } from '../helpers/hang-limit';
import { savedLoadBalancers } from '../../local-runtime/persistence';

/**
 * The local load balancers across a restart of the stack (`pipeline local --data-dir`): what the saved
 * state gives back to a new set of load balancers, with real requests through real sample services.
 */

jest.setTimeout(HANG_LIMIT_MS);

const WIRING: TrafficTargets = {
  region: 'eu-west-1',
  loadBalancer: 'local/orders-api/ppe/eu-west-1',
  listenerRule: 'local/orders-api/ppe/eu-west-1/rule',
  blueTargetGroup: 'local/orders-api/ppe/eu-west-1/a',
  greenTargetGroup: 'local/orders-api/ppe/eu-west-1/b',
};
/** The second deployment's roles: ECS alternates the target groups, so b is blue now and a green. */
const SWAPPED: TrafficTargets = {
  ...WIRING,
  blueTargetGroup: WIRING.greenTargetGroup,
  greenTargetGroup: WIRING.blueTargetGroup,
};

/** Pipeline time that moves only when the test says. */
function fixedClock(start: number): Clock & { at: number } {
  return {
    at: start,
    now() {
      return this.at;
    },
    sleep: () => Promise.reject(new Error('this test does not sleep')),
  };
}

function loadBalancers(clock: Clock, wiring: TrafficTargets = WIRING): LocalLoadBalancers {
  const lbs = new LocalLoadBalancers({ clock, workMs: 1 });
  lbs.define({ ...wiring, stateOf: (targetGroup) => ({ commit: targetGroup.slice(-1) }) });
  return lbs;
}

let open: LocalLoadBalancers[] = [];
afterEach(async () => {
  await Promise.all(open.map((lbs) => lbs.close()));
  open = [];
});

/** Sends `requests` requests through the test listener, one after the other; what each answered (its commit). */
async function throughTestListener(lbs: LocalLoadBalancers, requests: number): Promise<string[]> {
  const url = await lbs.testUrlOf(WIRING.listenerRule);
  const served: string[] = [];
  for (let i = 0; i < requests; i++) {
    const response = await fetch(`${url}/health`);
    served.push(((await response.json()) as { commit: string }).commit);
  }
  return served;
}

/**
 * A load balancer that served 40 requests all on blue, then 100 with green (group a) at 25%, with the test
 * listener all on green (ECS's TEST_TRAFFIC_SHIFT) for 3 test requests, then closed.
 */
async function savedAfterTraffic(): Promise<LocalLoadBalancersSnapshot> {
  const clock = fixedClock(1_000_000);
  const lbs = loadBalancers(clock);
  open.push(lbs);
  await lbs.send(WIRING.listenerRule, 40);
  clock.at = 2_000_000;
  await lbs.retarget(SWAPPED);
  await lbs.shiftTestTraffic(SWAPPED, 100);
  await throughTestListener(lbs, 3);
  await lbs.setGreenWeight(SWAPPED, 25);
  await lbs.send(WIRING.listenerRule, 100);
  await lbs.close();
  // Through JSON, as state.json keeps it.
  return JSON.parse(JSON.stringify(lbs.snapshot())) as LocalLoadBalancersSnapshot;
}

describe('the local load balancers across a restart', () => {
  it('when restored, they route with the same roles and weights and judge the step on the measurements from before', async () => {
    // Prepare
    const saved = await savedAfterTraffic();
    const clock = fixedClock(2_030_000);
    const restarted = loadBalancers(clock);
    open.push(restarted);

    // Act
    restarted.restore(saved);
    const weightBeforeStart = await restarted.greenPercentOf(WIRING.listenerRule);
    await restarted.send(WIRING.listenerRule, 100);
    const sample = await restarted.sample(SWAPPED, { from: 0, to: clock.now() + 1_000 });

    // Assess: 25 of each 100 requests on green (group a) before and after; the 40 all-blue requests from
    // before the weights changed were judged already and stayed behind.
    expect(weightBeforeStart).toBe(25);
    expect(await restarted.greenPercentOf(WIRING.listenerRule)).toBe(25);
    expect(sample.green).toMatchObject({ requests: 50, errors: 0 });
    expect(sample.blue).toMatchObject({ requests: 150, errors: 0 });
    await expect(restarted.sample(WIRING, { from: 0, to: clock.now() })).rejects.toThrow(
      UnknownTrafficTargets,
    );
  });

  it('when restored, the test listener keeps sending green the test traffic and its measurements', async () => {
    // Prepare
    const saved = await savedAfterTraffic();
    const restarted = loadBalancers(fixedClock(2_030_000));
    open.push(restarted);

    // Act
    restarted.restore(saved);
    const served = await throughTestListener(restarted, 4);
    const test = await restarted.sampleTest(SWAPPED, { from: 0, to: 3_000_000 });

    // Assess: all on green (group a), the 3 requests from before the restart counted with the 4 after
    expect(served).toEqual(['a', 'a', 'a', 'a']);
    expect([test.green.requests, test.blue.requests]).toEqual([7, 0]);
    expect(restarted.snapshot()[0]?.testListener).toMatchObject({ targets: SWAPPED, greenPercent: 100 });
  });

  it('when restored from a file written before the test listener was kept, its production listener is restored and its test listener starts all on blue', async () => {
    // Prepare: state.json as the local stack wrote it before: no testListener
    const { testListener: _testListener, ...before } = (await savedAfterTraffic())[0]!;
    const restarted = loadBalancers(fixedClock(2_030_000));
    open.push(restarted);

    // Act: as the stack restores a state.json, with no blue/green deployment in progress
    restarted.restore(
      savedLoadBalancers({ loadBalancers: [before], clockNow: 2_030_000, platform: { shifts: [] } }),
    );
    const served = await throughTestListener(restarted, 2);

    // Assess
    expect(await restarted.greenPercentOf(WIRING.listenerRule)).toBe(25);
    expect(served).toEqual(['b', 'b']);
  });

  it('when the config wires the listener rule to other target groups, the saved state is not taken', async () => {
    // Prepare
    const saved = await savedAfterTraffic();
    const rewired = { ...WIRING, greenTargetGroup: 'local/orders-api/ppe/eu-west-1/c' };
    const restarted = loadBalancers(fixedClock(2_030_000), rewired);
    open.push(restarted);

    // Act
    restarted.restore(saved);

    // Assess
    expect(await restarted.greenPercentOf(WIRING.listenerRule)).toBeUndefined();
    expect(restarted.snapshot()).toEqual([]);
    const sample = await restarted.sample(rewired, { from: 0, to: 3_000_000 });
    expect(sample.blue.requests + sample.green.requests).toBe(0);
  });
});
