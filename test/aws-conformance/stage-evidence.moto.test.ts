import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoStageEvidenceStore } from '../../shared/aws/stage-evidence.adapter';
import type { StageEvidence } from '../../shared/ports/deployment';
import { motoPipelineTable } from '../support/pipeline-table-template';

/** Stage evidence (shared/aws/stage-evidence.adapter.ts) against moto, on the table serverless.yml defines. */
const TABLE = 'stage-evidence';
const NOW = Date.UTC(2026, 2, 2, 9, 0);

let table: Awaited<ReturnType<typeof motoPipelineTable>>;
let client: DynamoDBClient;
beforeAll(async () => {
  table = await motoPipelineTable('stage-evidence.adapter', TABLE);
  client = table.client;
}, 90_000);
afterAll(() => table?.stop());

function evidence(overrides: Partial<StageEvidence> = {}): StageEvidence {
  return {
    environment: 'staging',
    region: 'eu-west-1',
    version: 'v1.4.0',
    at: NOW,
    smoke: [
      { name: 'health', passed: true, status: 200, latencyMs: 42 },
      // A check that never got an answer has neither status nor latency.
      { name: 'checkout', passed: false },
    ],
    bake: { minutes: 10, alarmsWatched: ['orders-api-5xx', 'orders-api-latency'], breaches: 0 },
    ...overrides,
  };
}

describe('stage evidence against moto (DynamoDB PutItem, Query)', () => {
  it('when stages record evidence, the execution reads it back whole, in the order the stages finished', async () => {
    // Prepare
    const store = new DynamoStageEvidenceStore({ tableName: TABLE, client });
    const usEast = evidence({
      region: 'us-east-1',
      at: NOW + 60_000,
      bake: { minutes: 0, alarmsWatched: [], breaches: 2 },
    });
    const euWest = evidence();

    // Act
    await store.record('release-1', usEast);
    await store.record('release-1', euWest);
    await store.record('release-2', evidence({ version: 'v9.9.9' }));
    const listed = await store.list('release-1');

    // Assess
    expect(listed).toEqual([euWest, usEast]);
  });

  it('when a redriven stage records again, its newer evidence replaces the old', async () => {
    // Prepare
    const store = new DynamoStageEvidenceStore({ tableName: TABLE, client });
    await store.record('release-3', evidence());

    // Act
    const redriven = evidence({ at: NOW + 3600_000, bake: { minutes: 10, alarmsWatched: [], breaches: 0 } });
    await store.record('release-3', redriven);

    // Assess
    await expect(store.list('release-3')).resolves.toEqual([redriven]);
    await expect(store.list('release-never-ran')).resolves.toEqual([]);
  });
});
