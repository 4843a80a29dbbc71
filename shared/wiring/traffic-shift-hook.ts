import { ConfigError } from '../config/config-error';
import { readRuntimeEnv } from '../config/runtime-env';
import type { TrafficShiftHook } from '../ports/traffic-shift';

/**
 * The pipeline's traffic shift hook as serverless.yml hands it to the functions that deploy and roll back:
 * the shift-traffic function and the role ECS assumes to invoke it. Undefined when neither is set (a
 * deployment without the hook): a stage that shifts traffic then fails saying so, a rolling one deploys.
 */
export function trafficShiftHook(env?: NodeJS.ProcessEnv): TrafficShiftHook | undefined {
  const read = readRuntimeEnv(['TRAFFIC_SHIFT_HOOK_FUNCTION_ARN', 'TRAFFIC_SHIFT_HOOK_ROLE_ARN'], env);
  const functionArn = read.TRAFFIC_SHIFT_HOOK_FUNCTION_ARN;
  const invokeRoleArn = read.TRAFFIC_SHIFT_HOOK_ROLE_ARN;
  if (functionArn === undefined && invokeRoleArn === undefined) return undefined;
  if (functionArn === undefined || invokeRoleArn === undefined)
    throw new ConfigError(
      'the function environment',
      [
        `${functionArn === undefined ? 'TRAFFIC_SHIFT_HOOK_FUNCTION_ARN' : 'TRAFFIC_SHIFT_HOOK_ROLE_ARN'}: ` +
          'is not set, though the other variable of the traffic shift hook is (set both, or neither)',
      ],
      'variables',
    );
  return { functionArn, invokeRoleArn };
}
