/**
 * Prints how long, in pipeline time, a PPE stage takes from a watched alarm going to ALARM during a
 * 30-minute bake to the start of its rollback: when the alarm's state change event arrives (at once), and
 * when the event is lost and the one-minute sweep reads the alarm (within a period). Before issue #19 the
 * alarms were read when the bake ended, so the same alarm rolled back at the end of the bake.
 */
import '../local-runtime/local-environment';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigFile } from '../shared/config/config.loader';
import { formatSpan } from '../shared/domain/bake-breach';
import { LocalPipeline } from '../local-runtime/local-pipeline';
import { endQuietlyOnClosedPipe } from '../cli/process-lifecycle';

// `npx tsx bench/… | head`: a closed pipe ends the benchmark quietly, as it does the CLI.
endQuietlyOnClosedPipe(process.stdout, (code) => process.exit(code));

const BAKE_MINUTES = 30;
const SWEEP_MS = 60_000;
const ROOT = join(__dirname, '..');

interface Reaction {
  latencyMs: number;
  detectedBy: string;
  transitions: number;
  status: string;
}

async function reaction(alarmMinute: number, eventLost: boolean): Promise<Reaction> {
  const config = loadConfigFile(join(ROOT, 'pipeline.config.yml'));
  config.services.find((s) => s.name === 'orders-api')!.environments.ppe!.bakeMinutes = BAKE_MINUTES;
  const pipeline = await LocalPipeline.start({
    config,
    behaviours: { '4b825dc': {}, badc0ffee: { breachesAlarms: true, alarmAfterMinutes: alarmMinute } },
    dropAlarmEvents: eventLost,
    sweepEveryMs: SWEEP_MS,
  });
  try {
    for (const file of ['ecr-push-orders-api.json', 'ecr-push-orders-api-broken.json']) {
      await pipeline.putEvent(JSON.parse(readFileSync(join(ROOT, 'events', file), 'utf8')));
      await pipeline.settled();
    }
    const { executions } = await pipeline.engine.listExecutions({});
    const broken = executions.find((e) => e.name.includes('badc0ffee'));
    if (!broken) throw new Error('the broken push started no execution');
    const described = await pipeline.engine.describeExecution({ executionArn: broken.executionArn });
    const record = (await pipeline.records.history('orders-api')).find(
      (r) => r.execution === broken.name && r.outcome === 'rolled back',
    );
    if (!record?.bakeBreach || record.rollbackStartedAt === undefined)
      throw new Error(`no alarm rollback recorded: ${described.error} ${described.cause}`);
    return {
      latencyMs: record.rollbackStartedAt - record.bakeBreach.alarmAt,
      detectedBy: record.bakeBreach.detectedBy,
      transitions: described.stateTransitions,
      status: described.status,
    };
  } finally {
    await pipeline.close();
  }
}

async function main(): Promise<void> {
  console.log(
    `PPE stage, ${BAKE_MINUTES}-minute bake, sweep every ${SWEEP_MS / 1000} s (pipeline time)\n` +
      'alarm at     delivered by        alarm → rollback   before #19 (bake end)   transitions   status',
  );
  // Off the sweep's minute grid, so the sweep's delay shows (an alarm right after a sweep waits longest).
  for (const minute of [1.05, 10.5, 28.75])
    for (const eventLost of [false, true]) {
      const r = await reaction(minute, eventLost);
      const before = formatSpan((BAKE_MINUTES - minute) * 60_000);
      const at = formatSpan(minute * 60_000);
      console.log(
        `${at.padEnd(13)}${(eventLost ? 'sweep (event lost)' : r.detectedBy).padEnd(20)}` +
          `${formatSpan(r.latencyMs).padStart(16)}   ${before.padStart(21)}   ${String(r.transitions).padStart(11)}   ${r.status}`,
      );
    }
}

void main();
