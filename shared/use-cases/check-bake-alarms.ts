import type { Clock } from '../clock';
import { AlarmBreachedError, InvalidStepInputError, PipelineMisconfiguredError } from '../domain/errors';
import type { AlarmSource } from '../ports/deployment';
import type { BakeResult, StageRun } from '../domain/stage-run.schema';

/**
 * Ends the bake: the stage's alarms must not be in ALARM now and must not have entered ALARM at any time
 * since the service was updated. Reading the alarm history (not just the current state) catches an alarm
 * that fired and recovered during the Wait, so a short outage still rolls back.
 */
export async function checkBakeAlarms(
  run: StageRun,
  deps: { alarms: AlarmSource; clock: Clock },
): Promise<BakeResult> {
  if (!run.deployment)
    throw new InvalidStepInputError('the bake needs the deploy step result (deployment.startedAt)');
  const { stage } = run;

  const missing = await deps.alarms.missing(stage.region, stage.alarms.names);
  if (missing.length > 0)
    throw new PipelineMisconfiguredError(
      `alarm(s) ${missing.join(', ')} do not exist in ${stage.region}: the bake would watch nothing; ` +
        `create them or fix services.${run.service}.environments.${stage.environment}.alarms`,
    );

  const from = run.deployment.startedAt;
  const breaches = await deps.alarms.breaches(stage.region, stage.alarms, from);
  if (breaches.length > 0)
    throw new AlarmBreachedError(
      `alarm(s) in ALARM during the bake of ${stage.environment}/${stage.region}: ` +
        breaches.map((b) => `${b.alarmName} at ${new Date(b.at).toISOString()} (${b.reason})`).join('; '),
    );
  return { watched: stage.alarms, from, to: deps.clock.now(), breaches };
}
