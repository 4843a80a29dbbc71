import { readRuntimeEnv } from '../config/runtime-env';

/**
 * What a Lambda function reads from its environment, each read once per container. Handlers wire their
 * own adapters (and import only those), so every bundle carries just the AWS clients its function uses.
 */
export function pipelineTableName(): string {
  return readRuntimeEnv(['PIPELINE_TABLE']).PIPELINE_TABLE;
}

export function promoteStateMachineArn(): string {
  return readRuntimeEnv(['PROMOTE_STATE_MACHINE_ARN']).PROMOTE_STATE_MACHINE_ARN;
}

export function releaseStateMachineArn(): string {
  return readRuntimeEnv(['RELEASE_STATE_MACHINE_ARN']).RELEASE_STATE_MACHINE_ARN;
}
