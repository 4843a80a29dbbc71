import { ConfigError } from '../../../shared/config/config-error';
import { trafficShiftHook } from '../../../shared/wiring/traffic-shift-hook';

const FUNCTION = 'arn:aws:lambda:eu-west-1:123456789012:function:ecs-promotion-pipeline-prod-shiftTraffic';
const ROLE = 'arn:aws:iam::123456789012:role/ecs-promotion-pipeline-prod-hook-invoke';

describe('trafficShiftHook (the wiring of deploy-service and roll-back-service)', () => {
  it('when both variables are set, it is the function and the role ECS invokes it with', () => {
    // Act
    const hook = trafficShiftHook({
      TRAFFIC_SHIFT_HOOK_FUNCTION_ARN: FUNCTION,
      TRAFFIC_SHIFT_HOOK_ROLE_ARN: ROLE,
    });

    // Assess
    expect(hook).toEqual({ functionArn: FUNCTION, invokeRoleArn: ROLE });
  });

  it('when neither is set, there is no hook (rolling stages still deploy)', () => {
    // Act / Assess
    expect(trafficShiftHook({})).toBeUndefined();
  });

  it.each([
    [
      { TRAFFIC_SHIFT_HOOK_FUNCTION_ARN: FUNCTION },
      /TRAFFIC_SHIFT_HOOK_ROLE_ARN: is not set, though the other/,
    ],
    [{ TRAFFIC_SHIFT_HOOK_ROLE_ARN: ROLE }, /TRAFFIC_SHIFT_HOOK_FUNCTION_ARN: is not set, though the other/],
    [
      { TRAFFIC_SHIFT_HOOK_FUNCTION_ARN: 'shiftTraffic', TRAFFIC_SHIFT_HOOK_ROLE_ARN: ROLE },
      /TRAFFIC_SHIFT_HOOK_FUNCTION_ARN: must be a Lambda function ARN/,
    ],
  ])('when the variables are %j, it fails naming the variable', (env, message) => {
    // Act / Assess
    expect(() => trafficShiftHook(env)).toThrow(ConfigError);
    expect(() => trafficShiftHook(env)).toThrow(message);
  });
});
