import { DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { createPipelineTable } from '../../../shared/aws/pipeline-table';
import { DynamoTrafficShiftLog } from '../../../shared/aws/traffic-shift-log.adapter';
import { ManualClock } from '../../../shared/clock';
import { AwsTransientError } from '../../../shared/domain/errors';
import type { TrafficSample } from '../../../shared/domain/traffic-judgement';
import type { ShiftProgress, StepRecord } from '../../../shared/domain/traffic-shift';
import type { StageKey } from '../../../shared/ports/deployment';
import { sdkError } from '../../helpers/sdk-errors';
import { startDynalite, type LocalDynamo } from './dynalite';

const TABLE = 'pipeline-test';
const MINUTE = 60_000;
const STARTED = Date.UTC(2026, 10, 30, 9);
const KEY: StageKey = { executionName: 'tag-orders-api-v1-4-0', environment: 'prod', region: 'eu-west-1' };
const blue: TrafficSample = { requests: 2000, errors: 4, p95Ms: 180 };
const green: TrafficSample = { requests: 1204, errors: 1, p95Ms: 412 };

function window(step: number, percent: number, outcome: StepRecord['outcome'], from: number): StepRecord {
  return {
    step,
    percent,
    extension: 0,
    from,
    to: from + 10 * MINUTE,
    outcome,
    reason: outcome === 'pass' ? 'green is as good as blue' : 'p95 412 ms vs baseline 180 ms (2.3×)',
    blue,
    green: outcome === 'pass' ? blue : green,
  };
}

/** A canary 5 → 25 → 50 as the hook leaves it after `passed` passing windows (a shift begun at `started`). */
function shifting(passed: number, started = STARTED): ShiftProgress {
  const percents = [5, 25, 50];
  return {
    step: passed,
    stepStartedAt: started + passed * 10 * MINUTE,
    extensions: 0,
    status: 'shifting',
    records: Array.from({ length: passed }, (_, i) =>
      window(i, percents[i]!, 'pass', started + i * 10 * MINUTE),
    ),
  };
}

function failedAt(step: number, started = STARTED): ShiftProgress {
  const before = shifting(step, started);
  return {
    ...before,
    status: 'failed',
    cause: 'p95 412 ms vs baseline 180 ms (2.3×) at 25% after 10 min, 1,204 requests',
    records: [...before.records, window(step, [5, 25, 50][step]!, 'fail', before.stepStartedAt)],
  };
}

describe('DynamoTrafficShiftLog (dynalite)', () => {
  let dynamo: LocalDynamo;
  let log: DynamoTrafficShiftLog;
  let stages = 0;
  const clock = new ManualClock(STARTED);
  /** A stage key of its own for each test. */
  const stage = (): StageKey => ({ ...KEY, executionName: `${KEY.executionName}-${++stages}` });

  beforeAll(async () => {
    dynamo = await startDynalite();
    await createPipelineTable(dynamo.client, TABLE);
    log = new DynamoTrafficShiftLog({ tableName: TABLE, client: dynamo.client, clock });
  });

  afterAll(async () => {
    await dynamo.close();
  });

  it('when nothing was recorded for the stage, it reads undefined', async () => {
    // Act / Assess
    await expect(log.get(stage())).resolves.toBeUndefined();
  });

  it('when the hook records each call, it reads back the latest progress, numbers included', async () => {
    // Prepare
    const key = stage();

    // Act
    for (const passed of [0, 1, 2]) await log.record(key, shifting(passed));
    await log.record(key, failedAt(2));

    // Assess
    expect(await log.get(key)).toEqual(failedAt(2));
  });

  it('when a late call writes an older progress of the same shift, the newer one stays', async () => {
    // Prepare
    const key = stage();
    await log.record(key, shifting(2));

    // Act
    await log.record(key, shifting(1));
    await log.record(key, shifting(0));

    // Assess
    expect(await log.get(key)).toEqual(shifting(2));
  });

  it('when a retried call writes the same progress again, it is no error and nothing changes', async () => {
    // Prepare
    const key = stage();
    await log.record(key, shifting(1));

    // Act
    const again = log.record(key, shifting(1));

    // Assess
    await expect(again).resolves.toBeUndefined();
    expect(await log.get(key)).toEqual(shifting(1));
  });

  it('when the shift ended, a shifting progress with as many windows does not reopen it', async () => {
    // Prepare: green failed at 25% (two windows); a late call with two windows still shifting.
    const key = stage();
    await log.record(key, failedAt(1));
    const late: ShiftProgress = { ...failedAt(1), status: 'shifting', cause: undefined };

    // Act
    await log.record(key, late);

    // Assess
    expect((await log.get(key))?.status).toBe('failed');
  });

  it('when the stage is redriven and shifts again from the start, the new shift replaces the old one', async () => {
    // Prepare: the first deployment failed at 25%; the redrive's deployment begins an hour later.
    const key = stage();
    await log.record(key, failedAt(1));
    const redriven = shifting(0, STARTED + 60 * MINUTE);

    // Act
    await log.record(key, redriven);
    await log.record(key, failedAt(1)); // a late call of the first deployment

    // Assess
    expect(await log.get(key)).toEqual(redriven);
  });

  it('when 12 calls of one shift race, the furthest progress is what stays', async () => {
    // Prepare
    const key = stage();
    const progresses = [0, 1, 2, 3].flatMap((passed) =>
      passed === 3
        ? [failedAt(2), failedAt(2), failedAt(2)]
        : [shifting(passed), shifting(passed), shifting(passed)],
    );

    // Act
    await Promise.all(progresses.reverse().map((p) => log.record(key, p)));

    // Assess
    expect(await log.get(key)).toEqual(failedAt(2));
  });

  it('when the item was edited into something the hook never writes, reading it says what is wrong', async () => {
    // Prepare
    const key = stage();
    await log.record(key, shifting(1));
    const documents = DynamoDBDocumentClient.from(dynamo.client);
    await documents.send(
      new PutCommand({
        TableName: TABLE,
        Item: { pk: `TRAFFIC_SHIFT#${key.executionName}`, sk: 'prod#eu-west-1', progress: { step: 'one' } },
      }),
    );

    // Act
    const error = await log.get(key).catch((e: unknown) => e);

    // Assess
    expect((error as Error).message).toMatch(
      /^the traffic shift of tag-orders-api-v1-4-0-\d+\/prod\/eu-west-1 in table pipeline-test is not one the hook wrote \(step: .*delete the item/,
    );
  });
});

describe('DynamoTrafficShiftLog (mocked SDK)', () => {
  // Mocked only here: mocking the document client mocks every instance, the dynalite tests' too.
  let documents: AwsClientStub<DynamoDBDocumentClient>;
  const client = new DynamoDBClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const log = new DynamoTrafficShiftLog({ tableName: 'pipeline', client });

  beforeAll(() => {
    documents = mockClient(DynamoDBDocumentClient);
  });
  beforeEach(() => documents.reset());
  afterAll(() => documents.restore());

  it('when DynamoDB throttles, recording and reading throw AwsTransientError', async () => {
    // Prepare
    const throttled = () =>
      sdkError(ProvisionedThroughputExceededException, { message: 'Throughput exceeded' });
    documents.on(PutCommand).rejects(throttled());
    documents.on(GetCommand).rejects(throttled());

    // Act
    const results = await Promise.allSettled([log.record(KEY, shifting(1)), log.get(KEY)]);

    // Assess
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(AwsTransientError);
      expect((result as PromiseRejectedResult).reason.message).toMatch(
        /traffic shift of tag-orders-api-v1-4-0/,
      );
    }
  });

  it('when recording, it writes the stage item with the shift start and rank the condition compares', async () => {
    // Prepare
    documents.on(PutCommand).resolves({});

    // Act
    await log.record(KEY, shifting(2));

    // Assess
    const put = documents.commandCalls(PutCommand)[0]!.args[0].input;
    expect(put.Item).toMatchObject({
      pk: 'TRAFFIC_SHIFT#tag-orders-api-v1-4-0',
      sk: 'prod#eu-west-1',
      shiftStartedAt: STARTED,
      shiftRank: 4,
    });
    expect(put.ExpressionAttributeValues).toEqual({ ':started': STARTED, ':rank': 4 });
  });
});
