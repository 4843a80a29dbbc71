import { DynamoDeploymentWaiterStore } from '../aws/deployment-waiters.adapter';
import { EcsContainerPlatform } from '../aws/ecs.adapter';
import { StepFunctionsExecutionControl } from '../aws/step-functions.adapter';
import { systemClock } from '../clock';
import type { SettleDeploymentDeps } from '../use-cases/settle-deployment';
import { lambdaPipelineTable } from './aws-clients';

/** The adapters the three deployment-settling functions share (await, ECS event, sweep). */
export function awsSettleDeploymentDeps(): SettleDeploymentDeps {
  return {
    platform: new EcsContainerPlatform(),
    waiters: new DynamoDeploymentWaiterStore({ table: lambdaPipelineTable() }),
    executions: new StepFunctionsExecutionControl(),
    clock: systemClock,
  };
}
