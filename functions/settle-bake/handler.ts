import { alarmStateChangeSchema } from '../../shared/events/alarm-state-change.schema';
import { parseEvent } from '../../shared/events/event-envelope.schema';
import { logger, lambdaStep } from '../../shared/middleware/lambda-step';
import { onAlarmStateChange, type WatchBakeDeps } from '../../shared/use-cases/watch-bake';
import { awsSettleBakeDeps } from '../../shared/wiring/watch-bake-deps';

/**
 * Target of the alarm state change rule: a watched alarm that went to ALARM ends the bakes watching it at
 * once (AlarmBreached), and those stages roll back. A malformed event changes nothing (MalformedEvent).
 */
export function createSettleBake(deps: Pick<WatchBakeDeps, 'watches' | 'executions' | 'clock'>) {
  return async (event: unknown) => {
    const change = parseEvent(alarmStateChangeSchema, event, 'CloudWatch Alarm State Change event');
    const { alarmName, state } = change.detail;
    const verdicts = await onAlarmStateChange(
      {
        region: change.region,
        alarmName,
        state: state.value,
        at: Date.parse(state.timestamp),
        reason: state.reason ?? `${alarmName} is in ${state.value}`,
      },
      deps,
    );
    if (verdicts.length > 0) logger.info('alarm ended bakes', { alarmName, verdicts });
    else
      logger.info('alarm state change changed nothing', {
        alarmName,
        state: state.value,
        why: state.value === 'ALARM' ? 'no stage bakes while watching this alarm' : 'not a move to ALARM',
      });
    return { alarmName, state: state.value, verdicts };
  };
}

export const handler = lambdaStep('settle-bake', () => createSettleBake(awsSettleBakeDeps()));
