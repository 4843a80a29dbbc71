import {
  alreadyRunningDetail,
  decideAlreadyRunning,
  type AlreadyRunningQuestion,
} from '../../../shared/domain/already-running';
import type { DeploymentRecord } from '../../../shared/domain/deployment-record';

/**
 * Deploy or only record (shared/domain/already-running.ts): a stage records its version without a
 * redeploy only where the records and ECS agree that its very image runs, settled, and nobody asked for
 * the full path.
 */
const DIGEST = `sha256:${'a'.repeat(64)}`;
const OTHER = `sha256:${'b'.repeat(64)}`;
const IMAGE = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api@${DIGEST}`;
const DEPLOYED_AT = Date.UTC(2026, 10, 20, 10, 30);

const record = (overrides: Partial<DeploymentRecord> = {}): DeploymentRecord => ({
  service: 'orders-api',
  environment: 'prod',
  region: 'us-east-1',
  version: 'v1.4.0',
  commit: '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
  digest: DIGEST,
  execution: 'release-orders-api-v1_4_0-4b825dc6',
  kind: 'deploy',
  outcome: 'deployed',
  triggeredBy: 'tag v1.4.0',
  startedAt: DEPLOYED_AT,
  at: DEPLOYED_AT + 40 * 60_000,
  ...overrides,
});

const question = (overrides: Partial<AlreadyRunningQuestion> = {}): AlreadyRunningQuestion => ({
  image: IMAGE,
  digest: DIGEST,
  redeploy: false,
  rollback: false,
  running: record(),
  serving: { image: IMAGE, unsettled: false },
  ...overrides,
});

describe('decideAlreadyRunning', () => {
  it.each<[string, Partial<AlreadyRunningQuestion>, string]>([
    ['a redeploy was asked for', { redeploy: true }, 'a redeploy was asked for'],
    ['an operator rollback', { rollback: true }, 'an operator rollback always deploys'],
    ['the pipeline never deployed here', { running: undefined }, 'the pipeline never deployed here'],
    [
      'another image runs here (a rolled-back region keeps the previous record)',
      { running: record({ digest: OTHER, version: 'v1.3.9' }) },
      'v1.3.9 runs here, another image',
    ],
    ['ECS was not read', { serving: undefined }, 'what ECS runs here is not known'],
    [
      'ECS runs another image than the records say (a hand-made deployment)',
      { serving: { image: `orders-api@${OTHER}`, unsettled: false } },
      `ECS runs orders-api@${OTHER}, not what the records say (changed outside the pipeline)`,
    ],
    [
      'the service has no such container',
      { serving: { image: undefined, unsettled: false } },
      'ECS runs no such container, not what the records say (changed outside the pipeline)',
    ],
    [
      'an ECS deployment is under way',
      { serving: { image: IMAGE, unsettled: true } },
      'an ECS deployment is under way or failed',
    ],
  ])('when %s, it deploys', (_when, overrides, reason) => {
    expect(decideAlreadyRunning(question(overrides))).toEqual({ action: 'deploy', reason });
  });

  it.each<[string, Partial<AlreadyRunningQuestion>, { deployedAs: string; since: number }]>([
    ['the records and ECS agree the digest runs, settled', {}, { deployedAs: 'v1.4.0', since: DEPLOYED_AT }],
    [
      'what runs was itself recorded without a redeploy (a third tag)',
      {
        running: record({
          version: 'v1.4.1',
          kind: 'record',
          outcome: 'already running',
          deployedAs: 'v1.4.0',
          runningSince: DEPLOYED_AT,
          at: DEPLOYED_AT + 5 * 3_600_000,
        }),
      },
      { deployedAs: 'v1.4.0', since: DEPLOYED_AT },
    ],
    [
      'the deploy record has no start (an older record)',
      { running: record({ startedAt: undefined }) },
      { deployedAs: 'v1.4.0', since: DEPLOYED_AT + 40 * 60_000 },
    ],
  ])('when %s, it records', (_when, overrides, expected) => {
    expect(decideAlreadyRunning(question(overrides))).toEqual({ action: 'record', ...expected });
  });

  it('says in one line since when the digest runs, under which version, and that nothing was deployed', () => {
    expect(alreadyRunningDetail({ deployedAs: 'v1.4.0', since: DEPLOYED_AT })).toBe(
      'since 2026-11-20T10:30:00.000Z (deployed as v1.4.0); recorded without a redeploy',
    );
  });
});
