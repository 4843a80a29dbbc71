/**
 * A stage that shifted traffic completes with its shift in the evidence: the steps, verdicts and numbers
 * the hook logged, so the approvers of later regions read how green fared against blue. The stores are the
 * DynamoDB adapters on dynalite, the shift written by the same log adapter the hook uses.
 */
import { DynamoDeploymentLocks } from '../../../shared/aws/deployment-locks.adapter';
import { DynamoDeploymentRecords } from '../../../shared/aws/deployment-records.adapter';
import { createPipelineTable } from '../../../shared/aws/pipeline-table';
import { DynamoStageEvidenceStore } from '../../../shared/aws/stage-evidence.adapter';
import { DynamoTrafficShiftLog } from '../../../shared/aws/traffic-shift-log.adapter';
import { ManualClock } from '../../../shared/clock';
import type { StepRecord } from '../../../shared/domain/traffic-shift';
import { completeStage, describeEvidence } from '../../../shared/use-cases/complete-stage';
import { ppeStageRun } from '../../support/fixtures';
import { canaryTraffic } from '../../support/stage-traffic';
import { startDynalite, type LocalDynamo } from '../aws/dynalite';

const TABLE = 'pipeline-test';
const MINUTE = 60_000;
const STARTED = Date.UTC(2026, 10, 30, 9);

const traffic = canaryTraffic({
  steps: [
    { percent: 5, windowMs: 10 * MINUTE },
    { percent: 25, windowMs: 10 * MINUTE },
  ],
  keepBlueMinutes: 15,
  minRequests: 800,
  maxExtensions: 3,
});

function window(
  step: number,
  percent: number,
  extension: number,
  outcome: StepRecord['outcome'],
  reason: string,
) {
  const from = STARTED + step * 10 * MINUTE;
  return {
    step,
    percent,
    extension,
    from,
    to: from + 10 * MINUTE,
    outcome,
    reason,
    blue: { requests: 22_876, errors: 41, p95Ms: 180 },
    green: { requests: 1_204, errors: 2, p95Ms: 190 },
  };
}

const PASS_5 = 'errors 0.2% vs 0.2%, p95 190 ms vs 180 ms at 5% after 10 min, 1,204 requests';
const QUIET_25 =
  'too little traffic to judge: green served 640 requests, 800 needed (at 25% after 10 min, 640 requests)';
const PASS_25 = 'errors 0.1% vs 0.2%, p95 185 ms vs 180 ms at 25% after 20 min, 6,020 requests';

describe('completing a stage that shifted traffic', () => {
  let dynamo: LocalDynamo;
  const clock = new ManualClock(STARTED + 60 * MINUTE);

  beforeAll(async () => {
    dynamo = await startDynalite();
    await createPipelineTable(dynamo.client, TABLE);
  });

  afterAll(async () => {
    await dynamo.close();
  });

  it('when the hook logged the steps, the evidence carries them and the approvers read them in one line', async () => {
    // Prepare
    const options = { tableName: TABLE, client: dynamo.client };
    const deps = {
      locks: new DynamoDeploymentLocks(options),
      evidence: new DynamoStageEvidenceStore(options),
      records: new DynamoDeploymentRecords(options),
      trafficShifts: new DynamoTrafficShiftLog({ ...options, clock }),
      clock,
    };
    const base = ppeStageRun();
    const run = {
      ...base,
      stage: { ...base.stage, traffic },
      smoke: [],
      bake: { watched: { names: [], prefixes: [] }, from: STARTED, to: STARTED + 30 * MINUTE, breaches: [] },
    };
    await deps.trafficShifts.record(
      { executionName: run.executionName, environment: run.stage.environment, region: run.stage.region },
      {
        step: 1,
        stepStartedAt: STARTED + 10 * MINUTE,
        extensions: 1,
        status: 'shifted',
        records: [
          window(0, 5, 0, 'pass', PASS_5),
          window(1, 25, 0, 'inconclusive', QUIET_25),
          window(1, 25, 1, 'pass', PASS_25),
        ],
      },
    );

    // Act
    const { evidence } = await completeStage(run, deps);
    const stored = await deps.evidence.list(run.executionName);

    // Assess
    expect(evidence.traffic).toEqual({
      strategy: 'canary',
      status: 'shifted',
      steps: [
        { percent: 5, outcome: 'pass', reason: PASS_5 },
        { percent: 25, outcome: 'inconclusive', reason: QUIET_25 },
        { percent: 25, outcome: 'pass', reason: PASS_25 },
      ],
    });
    expect(stored).toEqual([evidence]);
    expect(describeEvidence(stored)[`${run.stage.environment}/${run.stage.region}`]).toMatch(
      new RegExp(
        `; traffic: canary 5% pass, 25% inconclusive, 25% pass \\(last: ${PASS_25.replace(/[().]/g, '\\$&')}\\)$`,
      ),
    );
  });

  it('when the stage rolls, no shift is read and the evidence has none', async () => {
    // Prepare
    const options = { tableName: TABLE, client: dynamo.client };
    const reads: string[] = [];
    const deps = {
      locks: new DynamoDeploymentLocks(options),
      evidence: new DynamoStageEvidenceStore(options),
      records: new DynamoDeploymentRecords(options),
      trafficShifts: {
        get: async (key: { executionName: string }) => {
          reads.push(key.executionName);
          return undefined;
        },
      },
      clock,
    };
    const run = {
      ...ppeStageRun({ executionName: 'rolling-stage' }),
      smoke: [],
      bake: { watched: { names: [], prefixes: [] }, from: STARTED, to: STARTED + 30 * MINUTE, breaches: [] },
    };

    // Act
    const { evidence } = await completeStage(run, deps);

    // Assess
    expect(evidence.traffic).toBeUndefined();
    expect(reads).toEqual([]);
  });
});
