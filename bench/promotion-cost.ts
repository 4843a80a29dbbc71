/**
 * Prints the state transitions one PPE promotion takes in the local runtime, for short and long ECS
 * deployments and bakes: waiting is done by task-token callbacks (the ECS wait and the bake), so the count
 * (what Step Functions bills) must not grow with how long anything takes.
 */
import '../local-runtime/local-environment';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigFile } from '../shared/config/config.loader';
import { LocalPipeline } from '../local-runtime/local-pipeline';
import { endQuietlyOnClosedPipe } from '../cli/process-lifecycle';

// `npx tsx bench/… | head`: a closed pipe ends the benchmark quietly, as it does the CLI.
endQuietlyOnClosedPipe(process.stdout, (code) => process.exit(code));

const PRICE_PER_TRANSITION_USD = 0.000025;

async function promote(
  bakeMinutes: number,
  deploymentMinutes: number,
): Promise<{ transitions: number; status: string }> {
  const config = loadConfigFile(join(__dirname, '..', 'pipeline.config.yml'));
  for (const service of config.services)
    for (const env of Object.values(service.environments)) env.bakeMinutes = bakeMinutes;
  const pipeline = await LocalPipeline.start({
    config,
    deploymentMs: deploymentMinutes * 60_000,
  });
  try {
    const event = JSON.parse(
      readFileSync(join(__dirname, '..', 'events', 'ecr-push-orders-api.json'), 'utf8'),
    ) as unknown;
    await pipeline.putEvent(event);
    await pipeline.settled();
    const [execution] = (await pipeline.engine.listExecutions({})).executions;
    if (!execution) throw new Error('no execution started');
    const described = await pipeline.engine.describeExecution({ executionArn: execution.executionArn });
    if (described.status !== 'SUCCEEDED') console.error(described.error, described.cause);
    return { transitions: described.stateTransitions, status: described.status };
  } finally {
    await pipeline.close();
  }
}

async function main(): Promise<void> {
  console.log('PPE promotion (1 stage)   bake   ECS deploy   transitions   status     cost per promotion');
  for (const [bake, deploy] of [
    [5, 1.5],
    [60, 1.5],
    [5, 20],
    [240, 25],
  ] as const) {
    const { transitions, status } = await promote(bake, deploy);
    console.log(
      `${''.padEnd(26)}${`${bake}m`.padStart(5)}  ${`${deploy}m`.padStart(10)}  ${String(transitions).padStart(12)}   ${status.padEnd(9)}  $${(transitions * PRICE_PER_TRANSITION_USD).toFixed(6)}`,
    );
  }
}

void main();
