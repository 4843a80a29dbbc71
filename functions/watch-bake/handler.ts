import { lambdaStep } from '../../shared/middleware/lambda-step';
import { watchBake, type WatchBakeDeps } from '../../shared/use-cases/watch-bake';
import { awsWatchBakeDeps } from '../../shared/wiring/watch-bake-deps';
import { watchBakeSchema } from './watch-bake.schema';

/** "Bake" (callback): parks the token until an alarm breaches (event or sweep) or the bake times out. */
export function createWatchBake(deps: Pick<WatchBakeDeps, 'watches' | 'alarms' | 'clock'>) {
  return async (event: unknown) => watchBake(watchBakeSchema.parse(event), deps);
}

export const handler = lambdaStep('watch-bake', () => createWatchBake(awsWatchBakeDeps()));
