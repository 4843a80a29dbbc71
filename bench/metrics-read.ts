/**
 * What `pipeline metrics` (and the dashboard's metrics view, which refreshes every 10 s) costs over a large
 * history: RECORDS deployment records of 50 services × 3 environments, spread over 90 days, written through
 * the DynamoDB records adapter to dynalite on loopback; then the metrics of the last 30 days read and
 * computed as the CLI does (`readDeliveryMetrics`), timed, with the DynamoDB Query calls, pages and read
 * capacity it took (the read units are what DynamoDB would bill: strongly consistent, 1 unit per 4 KB).
 *
 *   npx tsx bench/metrics-read.ts [RECORDS]        (RECORDS defaults to 100000)
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startDynalite } from '../local-runtime/dynalite-server';
import { createPipelineTable } from '../shared/aws/pipeline-table';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDeploymentRecords, historyItem } from '../shared/aws/deployment-records.adapter';
import { pipelineTable } from '../shared/aws/pipeline-table';
import { DAY_MS } from '../shared/domain/delivery-metrics';
import type { DeploymentRecord, RecordOutcome } from '../shared/domain/deployment-record';
import { readDeliveryMetrics } from '../shared/operations/metrics';

const TABLE = 'pipeline-metrics-bench';
const SERVICES = 50;
const ENVIRONMENTS = ['ppe', 'staging', 'prod'] as const;
const REGIONS = {
  ppe: ['eu-west-1'],
  staging: ['eu-west-1'],
  prod: ['eu-west-1', 'us-east-1', 'ap-southeast-2'],
};
const HISTORY_DAYS = 90;
const WINDOW_DAYS = 30;
const END = Date.parse('2026-11-30T00:00:00Z');

function usage(problem: string): never {
  process.stderr.write(`metrics-read: ${problem}\nusage: npx tsx bench/metrics-read.ts [RECORDS]\n`);
  process.exit(2);
}

/** Counts the Query calls the adapter sends, their pages and the read units DynamoDB reports for them. */
function countQueries(client: DynamoDBClient) {
  const counts = { queries: 0, readUnits: 0, items: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'QueryCommand') return next(args);
      (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      const output = result.output as { ConsumedCapacity?: { CapacityUnits?: number }; Count?: number };
      counts.queries++;
      counts.readUnits += output.ConsumedCapacity?.CapacityUnits ?? 0;
      counts.items += output.Count ?? 0;
      return result;
    },
    { step: 'initialize', name: 'countQueries' },
  );
  return counts;
}

/** A plausible record: executions of one service, each deploying to its environment's regions. */
function* history(total: number): Generator<DeploymentRecord> {
  const perService = Math.ceil(total / SERVICES);
  let written = 0;
  for (let s = 0; s < SERVICES && written < total; s++) {
    const service = `service-${String(s).padStart(2, '0')}`;
    for (let i = 0; i < perService && written < total;) {
      const at = END - HISTORY_DAYS * DAY_MS + Math.floor(((i + 0.5) / perService) * HISTORY_DAYS * DAY_MS);
      const environment = ENVIRONMENTS[i % ENVIRONMENTS.length]!;
      const commit = `${(s * 1_000_000 + i).toString(16).padStart(12, '0')}${'0'.repeat(28)}`;
      for (const region of REGIONS[environment]) {
        if (i >= perService || written >= total) break;
        const outcome: RecordOutcome = i % 17 === 0 ? 'rolled back' : 'deployed';
        yield {
          service,
          environment,
          region,
          execution: `push-${service}-${commit.slice(0, 12)}`,
          version: `sha-${commit.slice(0, 12)}`,
          commit,
          digest: `sha256:${commit.padEnd(64, '0')}`,
          kind: 'deploy',
          outcome,
          triggeredBy: 'push',
          triggeredAt: new Date(at - 20 * 60_000).toISOString(),
          startedAt: at - 10 * 60_000,
          at,
          ...(outcome === 'deployed' && {
            timeline: { readyAt: at - 20 * 60_000, lockedAt: at - 19 * 60_000, deployedAt: at - 6 * 60_000 },
          }),
        };
        written++;
        i++;
      }
    }
  }
}

async function main(): Promise<void> {
  const arg = process.argv[2];
  if (arg !== undefined && !/^[1-9]\d*$/.test(arg))
    usage(`RECORDS must be a positive whole number, got "${arg}"`);
  const total = arg === undefined ? 100_000 : Number(arg);
  const dynamo = await startDynalite();
  try {
    await createPipelineTable(dynamo.client, TABLE);
    const records = new DynamoDeploymentRecords({ tableName: TABLE, client: dynamo.client });
    const writeStarted = performance.now();
    // The history items `put` writes, 25 to a BatchWriteItem (one put per record would take many minutes).
    const documents = pipelineTable(TABLE, dynamo.client).documents;
    let batch: Record<string, unknown>[] = [];
    const flush = async () => {
      let requests = batch.map((Item) => ({ PutRequest: { Item } }));
      batch = [];
      while (requests.length > 0) {
        const { UnprocessedItems } = await documents.send(
          new BatchWriteCommand({ RequestItems: { [TABLE]: requests } }),
        );
        requests = (UnprocessedItems?.[TABLE] ?? []) as typeof requests;
      }
    };
    for (const record of history(total)) {
      batch.push(historyItem(record));
      if (batch.length === 25) await flush();
    }
    await flush();
    const writeSeconds = (performance.now() - writeStarted) / 1000;

    const counts = countQueries(dynamo.client);
    const config = {
      services: Array.from({ length: SERVICES }, (_, s) => ({
        name: `service-${String(s).padStart(2, '0')}`,
      })),
      environments: ENVIRONMENTS.map((name) => ({ name })),
    } as unknown as Parameters<typeof readDeliveryMetrics>[0];
    const window = { from: END - WINDOW_DAYS * DAY_MS, to: END };
    const readStarted = performance.now();
    const metrics = await readDeliveryMetrics(config, { window }, { records });
    const readMs = performance.now() - readStarted;
    const deployments = metrics.reduce((sum, m) => sum + m.deployments.total, 0);

    console.log(
      `pipeline metrics over ${total.toLocaleString('en')} records (${SERVICES} services × ${ENVIRONMENTS.length} environments, ${HISTORY_DAYS} days; dynalite on loopback)`,
    );
    console.log(`  written in ${writeSeconds.toFixed(1)} s (the records adapter's history items, batched)`);
    console.log(
      `  last ${WINDOW_DAYS} days of all ${SERVICES} services: ${readMs.toFixed(0)} ms, ${deployments.toLocaleString('en')} deployments in the window`,
    );
    console.log(
      `  DynamoDB: ${counts.queries} Query pages (at least one per service), ${counts.items.toLocaleString('en')} items read, ${counts.readUnits.toFixed(0)} read units`,
    );
    console.log(
      `  every record of every service is read, not only the window's: the cost grows with history (docs/metrics.md)`,
    );
  } finally {
    await dynamo.close();
  }
}

main().catch((error: unknown) => {
  console.error(`metrics-read: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
