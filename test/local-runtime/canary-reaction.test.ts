import { measureCanaryReaction } from '../../local-runtime/traffic/canary-reaction';
import { DEFAULT_JUDGEMENT_THRESHOLDS } from '../../shared/domain/traffic-judgement';
import { HANG_LIMIT_MS } from '../helpers/hang-limit';

// Real requests over loopback on a shared machine: the limit only stops a hang.
jest.setTimeout(HANG_LIMIT_MS);

describe('measureCanaryReaction (the benchmark helper) on the local stack', () => {
  it('when green fails 8% of its requests, it stops at the first step, switches back and counts what green served', async () => {
    // Act
    const run = await measureCanaryReaction({
      green: { errorRate: 0.08 },
      steps: [50, 100],
      thresholds: { ...DEFAULT_JUDGEMENT_THRESHOLDS, minRequests: 300 },
      concurrency: 24,
    });

    // Assess
    expect(run.steps).toHaveLength(1);
    expect(run.stopped).toMatchObject({ outcome: 'fail', greenPercent: 50 });
    expect(run.stopped!.reason).toMatch(/^errors \d+\.\d% vs baseline 0\.0% at 50% after/);
    // Everything green served, up to the switch: at least the judged window, at most what was sent
    expect(run.green.requests).toBeGreaterThanOrEqual(run.stopped!.green.requests);
    expect(run.green.requests).toBeLessThanOrEqual(run.sent);
    expect(run.green.errors).toBeGreaterThan(0);
    expect(run.verdictToSwitchMs).toBeGreaterThanOrEqual(0);
    expect(run.verdictToAllBlueMs).toBeGreaterThanOrEqual(run.verdictToSwitchMs!);
  });
});
