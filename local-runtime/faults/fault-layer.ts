import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Mailer } from '../../shared/ports/approvals';
import type { Clock } from '../../shared/clock';
import type { AlarmSource, ContainerPlatform, HttpProbe } from '../../shared/ports/deployment';
import { AutoAdvanceClock } from '../auto-advance-clock';
import type { FaultInjector } from './fault-injector';
import {
  FaultyAlarmSource,
  FaultyContainerPlatform,
  FaultyMailer,
  HangingEndpointProbe,
  injectDynamoFaults,
} from './faulty-adapters';

/** The ports the local handlers call AWS through. */
export interface HandlerPorts {
  platform: ContainerPlatform;
  alarms: AlarmSource;
  probe: HttpProbe;
  /** Wraps the mailer approval emails go through. */
  mailer: (mailer: Mailer) => Mailer;
}

/**
 * What the handlers get: the local stand-ins, behind the fault layer when faults are injected (issue #8),
 * and the DynamoDB client made to fail at the injector's rates. Tests and the dashboard read the stand-ins
 * themselves, which never fail.
 */
export function handlerPorts(
  standIns: { platform: ContainerPlatform; alarms: AlarmSource; probe: HttpProbe },
  deps: { faults?: FaultInjector; dynamo: DynamoDBClient; clock: Clock },
): HandlerPorts {
  const { faults, clock } = deps;
  if (!faults) return { ...standIns, mailer: (mailer) => mailer };
  injectDynamoFaults(deps.dynamo, faults);
  return {
    platform: new FaultyContainerPlatform(standIns.platform, faults),
    alarms: new FaultyAlarmSource(standIns.alarms, faults),
    probe: new HangingEndpointProbe(standIns.probe, faults, (ms) =>
      clock instanceof AutoAdvanceClock ? clock.waitIdle(ms) : clock.sleep(ms),
    ),
    mailer: (mailer) => new FaultyMailer(mailer, faults),
  };
}
