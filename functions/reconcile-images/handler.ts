import { EcrImageRegistry } from '../../shared/aws/ecr.adapter';
import { EcsContainerPlatform } from '../../shared/aws/ecs.adapter';
import { StepFunctionsExecutionLookup } from '../../shared/aws/execution-lookup.adapter';
import { StepFunctionsExecutionControl } from '../../shared/aws/step-functions.adapter';
import { systemClock } from '../../shared/clock';
import { readRuntimeEnv } from '../../shared/config/runtime-env';
import { ReconciliationIncompleteError } from '../../shared/domain/errors';
import { logger, lambdaStep } from '../../shared/middleware/lambda-step';
import { reconcileImages, type ReconcileImagesDeps } from '../../shared/use-cases/reconcile-images';
import { promoteStateMachineArn } from '../../shared/wiring/lambda-environment';
import { pipelineConfig } from '../../shared/wiring/pipeline-config';

/**
 * Scheduled (`reconciliation.everyMinutes`): starts the PPE promotion of each repository's newest `sha-*`
 * image whose push event never arrived. The schedule's event carries nothing the sweep needs.
 */
export function createReconcileImages(deps: ReconcileImagesDeps) {
  return async () => {
    const results = await reconcileImages(deps);
    const started = results.filter((r) => r.outcome === 'started');
    const failed = results.filter((r) => r.outcome === 'failed');
    if (started.length > 0) logger.info('reconciliation started missed promotions', { started });
    // Thrown after the others were reconciled, so the failure shows in the step's metrics and logs.
    if (failed.length > 0)
      throw new ReconciliationIncompleteError(
        `could not reconcile ${failed.map((f) => `${f.service} (${f.error.name}: ${f.error.message})`).join('; ')}`,
      );
    return { checked: results.length, started: started.length, results };
  };
}

export const handler = lambdaStep('reconcile-images', () =>
  createReconcileImages({
    config: pipelineConfig(),
    registry: new EcrImageRegistry(),
    registryRegion: readRuntimeEnv([]).AWS_REGION,
    platform: new EcsContainerPlatform(),
    executions: new StepFunctionsExecutionControl(),
    lookup: new StepFunctionsExecutionLookup(),
    promoteStateMachineArn: promoteStateMachineArn(),
    clock: systemClock,
  }),
);
