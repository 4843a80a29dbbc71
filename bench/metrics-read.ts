/**
 * What `pipeline metrics` (and the dashboard's metrics view, which refreshes every 10 s) costs over a large
 * history: RECORDS deployment records of 50 services × 3 environments, spread over 90 days, written as the
 * DynamoDB records adapter writes them to dynalite on loopback; then the metrics of the last 30 days read
 * and computed three ways, each timed, with the DynamoDB Query pages, items and read units it took (the
 * units DynamoDB would bill: 1 per 4 KB strongly consistent, half that eventually consistent):
 *   1. the old way: every record of each service (one consistent Query of its partition, every page);
 *   2. `pipeline metrics` now: the window (and the lookback before it) through the time index;
 *   3. the dashboard's refresh 10 s later, through the cache, after 20 more records were written.
 * The three must give the same metrics; the bench says whether they do.
 *
 *   npx tsx bench/metrics-read.ts [RECORDS]        (RECORDS defaults to 100000)
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startDynalite } from '../local-runtime/dynalite-server';
import { createPipelineTable } from '../shared/aws/pipeline-table';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDeploymentRecords, historyItem } from '../shared/aws/deployment-records.adapter';
import { pipelineTable } from '../shared/aws/pipeline-table';
import { DAY_MS, deliveryMetrics } from '../shared/domain/delivery-metrics';
import type { DeploymentRecord, RecordOutcome } from '../shared/domain/deployment-record';
import { DeliveryRecordsCache, METRICS_LOOKBACK_MS, readDeliveryMetrics } from '../shared/operations/metrics';
import { endQuietlyOnClosedPipe } from '../cli/process-lifecycle';

// `npx tsx bench/… | head`: a closed pipe ends the benchmark quietly, as it does the CLI.
endQuietlyOnClosedPipe(process.stdout, (code) => process.exit(code));

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
const METRICS_LOOKBACK_DAYS = METRICS_LOOKBACK_MS / DAY_MS;

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
    const services = Array.from({ length: SERVICES }, (_, s) => `service-${String(s).padStart(2, '0')}`);
    const config = {
      services: services.map((name) => ({ name })),
      environments: ENVIRONMENTS.map((name) => ({ name })),
    } as unknown as Parameters<typeof readDeliveryMetrics>[0];
    const scope = services.flatMap((service) =>
      ENVIRONMENTS.map((environment) => ({ service, environment })),
    );
    const window = { from: END - WINDOW_DAYS * DAY_MS, to: END };
    const measure = async <T>(read: () => Promise<T>) => {
      Object.assign(counts, { queries: 0, readUnits: 0, items: 0 });
      const started = performance.now();
      const result = await read();
      return { result, seconds: (performance.now() - started) / 1000, ...counts };
    };

    const old = await measure(async () =>
      deliveryMetrics(
        (await Promise.all(services.map((service) => records.history(service)))).flat(),
        window,
        scope,
      ),
    );
    const indexed = await measure(() => readDeliveryMetrics(config, { window }, { records }));
    const cache = new DeliveryRecordsCache();
    await readDeliveryMetrics(config, { window }, { records, cache });
    // Ten seconds later, 20 more records of the last minute (a busy pipeline), then the dashboard's refresh.
    const later = { from: window.from + 10_000, to: window.to + 10_000 };
    for (const [n, record] of [...history(20)].entries())
      await records.put({ ...record, execution: `later-${n}`, at: END - 60_000 + n * 1000 });
    const refresh = await measure(() => readDeliveryMetrics(config, { window: later }, { records, cache }));
    const refreshedAgain = await readDeliveryMetrics(config, { window: later }, { records });
    const deployments = old.result.reduce((sum, m) => sum + m.deployments.total, 0);
    const same =
      JSON.stringify(old.result) === JSON.stringify(indexed.result) &&
      JSON.stringify(refresh.result) === JSON.stringify(refreshedAgain);

    const line = (what: string, m: { seconds: number; queries: number; items: number; readUnits: number }) =>
      console.log(
        `  ${what.padEnd(44)} ${m.seconds.toFixed(2).padStart(6)} s ${String(m.queries).padStart(5)} Query pages ${m.items.toLocaleString('en').padStart(8)} items ${m.readUnits.toFixed(0).padStart(7)} read units`,
      );
    console.log(
      `pipeline metrics over ${total.toLocaleString('en')} records (${SERVICES} services × ${ENVIRONMENTS.length} environments, ${HISTORY_DAYS} days; dynalite on loopback)`,
    );
    console.log(`  written in ${writeSeconds.toFixed(1)} s (the records adapter's history items, batched)`);
    console.log(
      `  last ${WINDOW_DAYS} days of all ${SERVICES} services, ${deployments.toLocaleString('en')} deployments in the window:`,
    );
    line('old: every record of every service', old);
    line(`now: the window + ${METRICS_LOOKBACK_DAYS} days, by the time index`, indexed);
    line('dashboard refresh 10 s later, cached', refresh);
    console.log(`  same metrics all three ways: ${same ? 'yes' : 'NO'}`);
    if (!same) process.exitCode = 1;
  } finally {
    await dynamo.close();
  }
}

main().catch((error: unknown) => {
  console.error(`metrics-read: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
