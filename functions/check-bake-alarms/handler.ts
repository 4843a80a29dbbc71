import type { AlarmSource } from '../../shared/ports/deployment';
import { lambdaStep } from '../../shared/middleware/lambda-step';
import { checkBakeAlarms } from '../../shared/use-cases/check-bake-alarms';
import { deployedStageRunSchema } from '../../shared/domain/stage-run.schema';
import { CloudWatchAlarmSource } from '../../shared/aws/cloudwatch-alarms.adapter';
import { systemClock, type Clock } from '../../shared/clock';

/** "Check alarms after bake": no watched alarm may have been in ALARM since the deploy. */
export function createCheckBakeAlarms(deps: { alarms: AlarmSource; clock: Clock }) {
  return async (event: unknown) => checkBakeAlarms(deployedStageRunSchema.parse(event), deps);
}

export const handler = lambdaStep('check-bake-alarms', () =>
  createCheckBakeAlarms({ alarms: new CloudWatchAlarmSource(), clock: systemClock }),
);
