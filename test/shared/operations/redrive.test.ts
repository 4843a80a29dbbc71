import { ManualClock } from '../../../shared/clock';
import type { DeploymentRecord } from '../../../shared/domain/deployment-record';
import { planStages } from '../../../shared/domain/stage';
import type { ExecutionEvent } from '../../../shared/operations/execution-view';
import type { ExecutionDetail, PipelineExecutions } from '../../../shared/ports/operations';
import { REDRIVE_WINDOW_MS, redriveExecution, type RedriveOutcome } from '../../../shared/operations/redrive';
import { InMemoryDeploymentFreezes, InMemoryDeploymentRecords } from '../../support/fakes';
import { sampleConfig } from '../../support/fixtures';

/**
 * The redrive guard (shared/operations/redrive.ts), rule by rule, with exact outcomes: which executions
 * Step Functions would refuse anyway, which would do harm, and what `--force` overrides.
 */
const NOW = Date.UTC(2026, 5, 20, 12);
const DAY = 24 * 3_600_000;
const NAME = 'release-orders-api-v1_2_0';

/** The executions of the pipeline, as the operations see them; counts the redrives it was asked for. */
class FakeExecutions implements PipelineExecutions {
  readonly redriven: string[] = [];
  constructor(
    private readonly detail: ExecutionDetail | undefined,
    private readonly events: ExecutionEvent[] = [],
  ) {}
  async list() {
    return [];
  }
  async find(name: string) {
    return this.detail?.name === name ? this.detail : undefined;
  }
  async describe() {
    return this.detail;
  }
  async history() {
    return this.events;
  }
  async redrive(executionArn: string) {
    this.redriven.push(executionArn);
    return { redriveDate: new Date(NOW) };
  }
  async start() {
    return { executionArn: 'unused', alreadyExisted: false };
  }
}

/** A release of orders-api v1.2.0 through staging and the three production regions. */
function execution(overrides: Partial<ExecutionDetail> = {}): ExecutionDetail {
  const config = sampleConfig();
  return {
    executionArn: `arn:aws:states:eu-west-1:123456789012:execution:release:${NAME}`,
    stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:release',
    name: NAME,
    status: 'FAILED',
    startDate: new Date(NOW - 2 * DAY),
    stopDate: new Date(NOW - DAY),
    input: JSON.stringify({
      service: 'orders-api',
      version: 'v1.2.0',
      commit: 'c'.repeat(40),
      trigger: { kind: 'tag', at: '2026-06-18T12:00:00.000Z' },
      stages: planStages(config, 'orders-api', 'tag'),
    }),
    error: 'SmokeTestFailed',
    redriveCount: 0,
    redriveStatus: 'REDRIVABLE',
    ...overrides,
  };
}

function running(version: string, region = 'us-east-1', execution = `release-orders-api-${version}`) {
  const record: DeploymentRecord = {
    service: 'orders-api',
    environment: 'prod',
    region,
    version,
    commit: 'd'.repeat(40),
    digest: `sha256:${'e'.repeat(64)}`,
    execution,
    kind: 'deploy',
    outcome: 'deployed',
    triggeredBy: `tag ${version}`,
    triggeredAt: version.startsWith('sha-') ? '2026-06-19T12:00:00.000Z' : '2026-06-19T00:00:00.000Z',
    at: NOW - DAY / 2,
  };
  return record;
}

/** The history of a release whose stage `index` (of staging, prod eu-west-1, us-east-1, ap-southeast-2) ended in `last`. */
function stageEnded(index: number, last: 'Stage deployed' | 'Stage superseded'): ExecutionEvent[] {
  const timestamp = new Date(NOW - 2 * DAY);
  return [
    { type: 'MapIterationStarted', timestamp, details: { index } },
    { type: 'SucceedStateEntered', timestamp, details: { name: last } },
    { type: 'MapIterationSucceeded', timestamp, details: {} },
  ];
}

/** The input of the execution, changed: `undefined` values remove a field. */
function input(change: Record<string, unknown>): string {
  return JSON.stringify({ ...(JSON.parse(execution().input) as Record<string, unknown>), ...change });
}

interface Case {
  execution?: Partial<ExecutionDetail> | 'missing';
  history?: ExecutionEvent[];
  records?: DeploymentRecord[];
  frozen?: string;
  force?: boolean;
}

async function redrive(c: Case) {
  const executions = new FakeExecutions(
    c.execution === 'missing' ? undefined : execution(c.execution),
    c.history,
  );
  const records = new InMemoryDeploymentRecords();
  for (const record of c.records ?? []) await records.put(record);
  const freezes = new InMemoryDeploymentFreezes();
  if (c.frozen)
    await freezes.freeze(c.frozen, { reason: 'incident 42', by: 'oncall@example.com', at: NOW - DAY });
  const outcome = await redriveExecution(
    NAME,
    { force: c.force ?? false },
    {
      executions,
      records,
      freezes,
      clock: new ManualClock(NOW),
    },
  );
  return { outcome, redriven: executions.redriven };
}

/** The outcome in one line: what happened, and each refusal with whether --force overrides it. */
function summary(outcome: RedriveOutcome): string {
  if (outcome.outcome === 'not-found') return 'not-found';
  const refusals = outcome.outcome === 'refused' ? outcome.refusals : outcome.forced;
  return [
    outcome.outcome,
    ...refusals.map((r) => `${r.overridable ? 'overridable' : 'final'}: ${r.reason}`),
  ].join(' | ');
}

const REFUSED_NEWER =
  'prod/us-east-1 runs v1.3.0 since 2026-06-20T00:00:00.000Z (release-orders-api-v1.3.0), newer than v1.2.0: ' +
  'redriving would try to put the older version back (--force redrives anyway; the stage then skips as ' +
  'superseded unless the release allows downgrades)';

describe('redrive guard', () => {
  const cases: [string, Case, string][] = [
    ['a FAILED execution', {}, 'redriven'],
    ['a TIMED_OUT execution', { execution: { status: 'TIMED_OUT' } }, 'redriven'],
    ['an ABORTED execution', { execution: { status: 'ABORTED' } }, 'redriven'],
    [
      'a RUNNING execution',
      { execution: { status: 'RUNNING', stopDate: undefined } },
      `refused | final: ${NAME} is RUNNING: only a FAILED, TIMED_OUT or ABORTED execution can be redriven`,
    ],
    [
      'a SUCCEEDED execution',
      { execution: { status: 'SUCCEEDED' }, force: true },
      `refused | final: ${NAME} is SUCCEEDED: only a FAILED, TIMED_OUT or ABORTED execution can be redriven`,
    ],
    [
      'an execution stopped exactly 14 days ago',
      { execution: { stopDate: new Date(NOW - REDRIVE_WINDOW_MS) } },
      'redriven',
    ],
    [
      'an execution stopped 14 days and 1 ms ago, even with --force',
      { execution: { stopDate: new Date(NOW - REDRIVE_WINDOW_MS - 1) }, force: true },
      `refused | final: ${NAME} stopped on 2026-06-06T11:59:59.999Z, more than 14 days ago: Step Functions ` +
        'no longer redrives it; start a new one (push or tag again, or pipeline rollback)',
    ],
    [
      'an execution Step Functions calls NOT_REDRIVABLE, even with --force',
      {
        execution: { redriveStatus: 'NOT_REDRIVABLE', redriveStatusReason: 'Execution history too long' },
        force: true,
      },
      `refused | final: Step Functions says ${NAME} is not redrivable: Execution history too long`,
    ],
    [
      'an execution Step Functions calls NOT_REDRIVABLE without a reason',
      { execution: { redriveStatus: 'NOT_REDRIVABLE' } },
      `refused | final: Step Functions says ${NAME} is not redrivable: no reason given`,
    ],
    [
      'an execution whose Map run redrives it',
      { execution: { redriveStatus: 'REDRIVABLE_BY_MAP_RUN' } },
      'redriven',
    ],
    [
      'a RUNNING execution Step Functions calls NOT_REDRIVABLE (one refusal, not two)',
      { execution: { status: 'RUNNING', redriveStatus: 'NOT_REDRIVABLE' } },
      `refused | final: ${NAME} is RUNNING: only a FAILED, TIMED_OUT or ABORTED execution can be redriven`,
    ],
    ['an unknown execution', { execution: 'missing' }, 'not-found'],
    ['an execution where an older release runs', { records: [running('v1.1.0')] }, 'redriven'],
    [
      'an execution where this release runs already',
      { records: [running('v1.2.0', 'us-east-1', NAME)] },
      'redriven',
    ],
    [
      'an execution where a newer push runs (pushes and tags never compare)',
      { records: [running('sha-ffffffffffff')] },
      'redriven',
    ],
    [
      'an execution where a newer release runs',
      { records: [running('v1.3.0')] },
      `refused | overridable: ${REFUSED_NEWER}`,
    ],
    [
      'an execution where a newer release runs, with --force',
      { records: [running('v1.3.0')], force: true },
      `redriven | overridable: ${REFUSED_NEWER}`,
    ],
    [
      'an execution that would deploy to a frozen environment, even with --force',
      { frozen: 'prod', force: true },
      'refused | final: prod is frozen since 2026-06-19T12:00:00.000Z by oncall@example.com: incident 42. ' +
        'Redrive once it is lifted (pipeline unfreeze prod)',
    ],
    ['an execution while an environment it does not deploy to is frozen', { frozen: 'ppe' }, 'redriven'],
    [
      'a SUCCEEDED execution where a newer release runs (only the final refusal: nothing else is checked)',
      { execution: { status: 'SUCCEEDED' }, records: [running('v1.3.0')] },
      `refused | final: ${NAME} is SUCCEEDED: only a FAILED, TIMED_OUT or ABORTED execution can be redriven`,
    ],
    [
      'an execution whose input names no version (not a promotion), while prod is frozen',
      { execution: { input: input({ version: undefined }) }, frozen: 'prod' },
      'redriven',
    ],
    [
      'an execution whose input names no service, while prod is frozen',
      { execution: { input: input({ service: undefined }) }, frozen: 'prod' },
      'redriven',
    ],
    [
      'an execution whose input has no trigger, where a newer release runs',
      { execution: { input: input({ trigger: undefined }) }, records: [running('v1.3.0')] },
      `refused | overridable: ${REFUSED_NEWER}`,
    ],
    [
      'an execution where a record of this very execution shows a newer version',
      { records: [running('v1.3.0', 'us-east-1', NAME)] },
      'redriven',
    ],
    [
      'a push build where an older push runs (pushes order by push time)',
      {
        execution: {
          input: input({
            version: 'sha-cccccccccccc',
            trigger: { kind: 'push', at: '2026-06-19T18:00:00.000Z' },
          }),
        },
        records: [running('sha-ffffffffffff')],
      },
      'redriven',
    ],
    [
      'an execution where a newer release runs in a region it deployed already',
      { records: [running('v1.3.0')], history: stageEnded(2, 'Stage deployed') },
      'redriven',
    ],
    [
      'an execution where a newer release runs in a region it skipped as superseded',
      { records: [running('v1.3.0')], history: stageEnded(2, 'Stage superseded') },
      'redriven',
    ],
    [
      'an execution where a newer release runs in a region it has not deployed, another one deployed',
      { records: [running('v1.3.0')], history: stageEnded(1, 'Stage deployed') },
      `refused | overridable: ${REFUSED_NEWER}`,
    ],
    [
      'an execution that deployed all of prod but one region, while prod is frozen',
      { history: [1, 2].flatMap((i) => stageEnded(i, 'Stage deployed')), frozen: 'prod' },
      'refused | final: prod is frozen since 2026-06-19T12:00:00.000Z by oncall@example.com: incident 42. ' +
        'Redrive once it is lifted (pipeline unfreeze prod)',
    ],
    [
      'an execution that deployed every region of prod, while prod is frozen',
      { history: [1, 2, 3].flatMap((i) => stageEnded(i, 'Stage deployed')), frozen: 'prod' },
      'redriven',
    ],
  ];

  it.each(cases.map(([what, c, expected]) => [what, expected, c] as const))(
    'when the operator redrives %s, the outcome is: %s',
    async (_what, expected, c) => {
      // Act
      const { outcome, redriven } = await redrive(c);

      // Assess
      expect(summary(outcome)).toBe(expected);
      expect(redriven).toEqual(outcome.outcome === 'redriven' ? [execution().executionArn] : []);
    },
  );
});
