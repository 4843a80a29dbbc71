/**
 * Prints the state transitions a three-region release takes in the local runtime, for short and long
 * ECS deployments and bakes. Waits are callbacks and single Wait states, so the count must not grow with
 * time. Target (issue #4): at most 12 transitions per production region.
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
const event = (name: string) =>
  JSON.parse(readFileSync(join(__dirname, '..', 'events', name), 'utf8')) as unknown;

async function release(bakeMinutes: number, deploymentMinutes: number) {
  const config = loadConfigFile(join(__dirname, '..', 'pipeline.config.yml'));
  for (const service of config.services)
    for (const env of Object.values(service.environments)) env.bakeMinutes = bakeMinutes;
  const pipeline = await LocalPipeline.start({ config, deploymentMs: deploymentMinutes * 60_000 });
  try {
    await pipeline.putEvent(event('ecr-push-orders-api.json'));
    await pipeline.settled();
    await pipeline.putEvent(event('git-tag-orders-api-v1.4.0.json'));
    await pipeline.settled();
    const releaseRun = (
      await pipeline.engine.listExecutions({ stateMachineArn: pipeline.stateMachineArns.release })
    ).executions[0];
    if (!releaseRun) throw new Error('no release started');
    const described = await pipeline.engine.describeExecution({ executionArn: releaseRun.executionArn });
    const { events } = await pipeline.engine.getExecutionHistory({ executionArn: releaseRun.executionArn });
    // Transitions inside each Map iteration (one iteration per stage), from the history.
    const perStage: number[] = [];
    let current = -1;
    for (const e of events) {
      if (e.type === 'MapIterationStarted') current = e.details.index ?? -1;
      else if (/^MapIteration(Succeeded|Failed)$/.test(e.type)) current = -1;
      else if (current >= 0 && e.type.endsWith('StateEntered'))
        perStage[current] = (perStage[current] ?? 0) + 1;
    }
    return { status: described.status, transitions: described.stateTransitions, perStage };
  } finally {
    await pipeline.close();
  }
}

async function main(): Promise<void> {
  console.log(
    '3-region release   bake   ECS deploy   transitions   staging   per prod region   status     cost',
  );
  for (const [bake, deploy] of [
    [10, 1.5],
    [120, 1.5],
    [10, 25],
    [240, 25],
  ] as const) {
    const r = await release(bake, deploy);
    const prod = r.perStage.slice(1);
    console.log(
      `${''.padEnd(18)}${`${bake}m`.padStart(5)}  ${`${deploy}m`.padStart(10)}  ${String(r.transitions).padStart(12)}  ` +
        `${String(r.perStage[0]).padStart(8)}  ${prod.join('/').padStart(16)}   ${r.status.padEnd(9)}  $${(r.transitions * PRICE_PER_TRANSITION_USD).toFixed(6)}`,
    );
  }
  console.log('target: ≤ 12 transitions per production region, independent of bake and deployment time');
}

void main();
