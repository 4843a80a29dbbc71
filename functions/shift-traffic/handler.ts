import { CloudWatchTrafficMetrics } from '../../shared/aws/traffic-metrics.adapter';
import { ListenerRuleTrafficRouter } from '../../shared/aws/traffic-router.adapter';
import { DynamoTrafficShiftLog } from '../../shared/aws/traffic-shift-log.adapter';
import { InvokedTestCheckRunner } from '../../shared/aws/test-check-runner.adapter';
import { systemClock } from '../../shared/clock';
import { readRuntimeEnv } from '../../shared/config/runtime-env';
import { fetchProbe } from '../../shared/http-probe';
import { AwsTransientError } from '../../shared/domain/errors';
import {
  lifecycleHookEventSchema,
  trafficShiftHookDetailsSchema,
  type LifecycleHookResponse,
} from '../../shared/domain/traffic-shift-hook';
import { parseEvent } from '../../shared/events/event-envelope.schema';
import { lambdaStep, logger } from '../../shared/middleware/lambda-step';
import { shiftTraffic, type ShiftTrafficDeps } from '../../shared/use-cases/shift-traffic';
import { lambdaPipelineTable } from '../../shared/wiring/aws-clients';

/** How soon ECS calls again after an AWS API was throttled or unavailable (ECS's own default delay). */
export const TRANSIENT_RETRY_SECONDS = 30;

/**
 * The lifecycle hook ECS invokes at PRE_PRODUCTION_TRAFFIC_SHIFT of a stage that shifts traffic: moves the
 * listener rule's weights step by step, judging green against blue, and answers ECS's hook response
 * (`hookStatus`, `callBackDelay`, `hookDetails`). With blue-green test checks it is invoked at
 * POST_TEST_TRAFFIC_SHIFT first, and checks green through the test listener. A malformed event fails with MalformedEvent, which ECS
 * takes as a failed hook and rolls back. A throttled or unavailable AWS API is no verdict, yet a failed
 * invocation would roll the deployment back: the hook answers IN_PROGRESS with the hookDetails it got, so
 * the same move is tried again on the next call (the hook's timeout bounds how long).
 */
export function createShiftTraffic(deps: ShiftTrafficDeps) {
  return async (event: unknown): Promise<LifecycleHookResponse> => {
    const hook = parseEvent(lifecycleHookEventSchema, event, 'ECS lifecycle hook event');
    let response: LifecycleHookResponse;
    try {
      response = await shiftTraffic(hook, deps);
    } catch (error) {
      if (!(error instanceof AwsTransientError)) throw error;
      // shiftTraffic reaches AWS only with hookDetails that are the pipeline's.
      const hookDetails = trafficShiftHookDetailsSchema.parse(hook.hookDetails);
      logger.warn('traffic shift hook: an AWS call failed for now; ECS calls again', {
        resourceArn: hook.resourceArn,
        errorMessage: error.message,
        callBackDelay: TRANSIENT_RETRY_SECONDS,
      });
      return { hookStatus: 'IN_PROGRESS', callBackDelay: TRANSIENT_RETRY_SECONDS, hookDetails };
    }
    const progress = response.hookDetails?.progress;
    logger.info('traffic shift hook answered', {
      resourceArn: hook.resourceArn,
      lifecycleStage: hook.lifecycleStage,
      hookStatus: response.hookStatus,
      ...(response.callBackDelay !== undefined && { callBackDelay: response.callBackDelay }),
      ...(response.hookDetails && {
        executionName: response.hookDetails.executionName,
        environment: response.hookDetails.environment,
        region: response.hookDetails.region,
      }),
      ...(progress && { step: progress.step, shift: progress.status, cause: progress.cause }),
    });
    return response;
  };
}

export const handler = lambdaStep('shift-traffic', () =>
  (() => {
    // One client per region serves the load balancer's metrics and the service's own KPIs.
    const metrics = new CloudWatchTrafficMetrics();
    // The smoke-test function in the region's smokeTestVpc, when there is one (serverless.yml sets it).
    const testChecksFunction = readRuntimeEnv(['TEST_CHECKS_FUNCTION_ARN']).TEST_CHECKS_FUNCTION_ARN;
    return createShiftTraffic({
      metrics,
      kpis: metrics,
      router: new ListenerRuleTrafficRouter(),
      log: new DynamoTrafficShiftLog({ table: lambdaPipelineTable() }),
      clock: systemClock,
      probe: fetchProbe,
      // Set when the region has a smokeTestVpc: the test checks run in the smoke-test function, in that VPC.
      ...(testChecksFunction && {
        testChecks: new InvokedTestCheckRunner({ functionName: testChecksFunction }),
      }),
    });
  })(),
);
