import type { ImageRef } from '../domain/image';
import type { Stage } from '../domain/stage';

/**
 * The input of a `promote` execution: one image, pinned by digest, and the stages it goes through.
 * Everything a step needs is here, so a retried or redriven step acts on what the execution started with.
 */
export interface Promotion {
  service: string;
  /** What people call this build: `sha-<commit>` for a push, `vX.Y.Z` for a release. */
  version: string;
  commit: string;
  image: ImageRef;
  trigger: {
    kind: 'push' | 'tag';
    eventId: string;
    at: string;
    /** Set by `pipeline rollback`: deploy this older version on purpose. */
    allowDowngrade?: boolean;
    /** Who ran `pipeline rollback`. */
    rollbackBy?: string;
  };
  stages: Stage[];
}

/**
 * The state one stage iteration carries from step to step. `executionName` comes from the context object
 * (`$$.Execution.Name`), so deterministic names double as idempotency keys.
 */
export interface StageRun {
  executionName: string;
  /** What started the execution: orders deployments of the same service and environment. */
  trigger: {
    kind: 'push' | 'tag';
    at: string;
    createdBy?: string;
    allowDowngrade?: boolean;
    eventId?: string;
    /** Who ran `pipeline rollback`, on the executions it starts. */
    rollbackBy?: string;
  };
  service: string;
  version: string;
  commit: string;
  image: ImageRef;
  stage: Stage;
  deployment?: DeploymentResult;
}

export interface DeploymentResult {
  previousTaskDefinitionArn: string;
  taskDefinitionArn: string;
  deploymentId: string;
  /** Epoch ms when the service was updated (the bake watches alarms from here on). */
  startedAt: number;
}

/** A Step Functions execution name: at most 80 characters of letters, digits, `-` and `_`. */
export function executionName(...parts: string[]): string {
  return parts
    .join('-')
    .replace(/[^A-Za-z0-9_-]/g, '_')
    .slice(0, 80);
}
