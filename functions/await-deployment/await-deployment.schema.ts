import * as z from 'zod';
import { stageSchema } from '../../shared/domain/stage';
import { lazySchema } from '../../shared/domain/lazy-schema';

/** "Wait for ECS deployment" / "Wait for rollback deployment": the task's token and the deployment to wait for. */
export const awaitDeploymentSchema = lazySchema(() =>
  z.object({
    // Task tokens are opaque and up to 2 KB (beyond 1024 in practice); never logged.
    taskToken: z.string().min(1).max(8192),
    stage: stageSchema,
    deploymentId: z.string().min(1).max(256),
    taskDefinitionArn: z.string().startsWith('arn:').max(2048).optional(),
  }),
);
