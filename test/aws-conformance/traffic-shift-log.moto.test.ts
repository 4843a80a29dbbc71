import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoTrafficShiftLog } from '../../shared/aws/traffic-shift-log.adapter';
import type { ShiftProgress } from '../../shared/domain/traffic-shift';
import type { StageKey } from '../../shared/ports/deployment';
import { motoPipelineTable } from '../support/pipeline-table-template';

/**
 * The traffic shift log's conditional put (shared/aws/traffic-shift-log.adapter.ts) against moto, on the
 * table serverless.yml defines: the same expression dynalite accepts (test/shared/aws/
 * traffic-shift-log.adapter.test.ts, where writers also race) must mean the same here.
 */
const TABLE = 'traffic-shift-log';
const T0 = Date.UTC(2026, 10, 30, 9);
const MINUTE = 60_000;

let table: Awaited<ReturnType<typeof motoPipelineTable>>;
let client: DynamoDBClient;
beforeAll(async () => {
  table = await motoPipelineTable('traffic-shift-log.adapter', TABLE);
  client = table.client;
}, 90_000);
afterAll(() => table?.stop());

let stages = 0;
function fresh(): { log: DynamoTrafficShiftLog; key: StageKey } {
  return {
    log: new DynamoTrafficShiftLog({ tableName: TABLE, client }),
    key: { executionName: `tag-orders-api-v1-4-${++stages}`, environment: 'prod', region: 'eu-west-1' },
  };
}

/** A canary's progress after `passed` passing windows of a shift begun at `started`. */
function shifting(passed: number, started = T0): ShiftProgress {
  return {
    step: passed,
    stepStartedAt: started + passed * 10 * MINUTE,
    extensions: 0,
    status: 'shifting',
    records: Array.from({ length: passed }, (_, i) => ({
      step: i,
      percent: [5, 25, 50][i]!,
      extension: 0,
      from: started + i * 10 * MINUTE,
      to: started + (i + 1) * 10 * MINUTE,
      outcome: 'pass' as const,
      reason: 'errors 0.2% vs 0.2%, p95 190 ms vs 180 ms',
      blue: { requests: 22_876, errors: 41, p95Ms: 180 },
      green: { requests: 1_204, errors: 2, p95Ms: 190 },
    })),
  };
}

describe('the traffic shift log against moto (DynamoDB PutItem, GetItem)', () => {
  it('when calls of one shift arrive out of order, the furthest progress stays; the same one twice is no error', async () => {
    // Prepare
    const { log, key } = fresh();

    // Act
    await log.record(key, shifting(2));
    await log.record(key, shifting(1));
    await log.record(key, shifting(2));

    // Assess
    expect(await log.get(key)).toEqual(shifting(2));
  });

  it('when a redriven stage shifts again later, its progress replaces the earlier shift', async () => {
    // Prepare
    const { log, key } = fresh();
    await log.record(key, shifting(2));

    // Act
    await log.record(key, shifting(0, T0 + 60 * MINUTE));

    // Assess
    expect(await log.get(key)).toEqual(shifting(0, T0 + 60 * MINUTE));
  });
});
