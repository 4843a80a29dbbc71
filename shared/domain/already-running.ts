/**
 * Two tags on one commit (v1.4.0 and v1.4.1 pushed together, or a release tagged again) resolve to the same
 * image digest. Where that digest already runs, deploying it again would change nothing but cost an
 * approval, a deployment and a bake per region. This rule decides, per environment/region, whether a
 * stage deploys or only records its version as running there.
 */
import type { DeploymentRecord } from './deployment-record';

/** What ECS serves in the stage's environment/region now, read only when the records say the digest runs. */
export interface ServingNow {
  /** The stage's container image in the service's current task definition (`registry/repo@sha256:…`). */
  image: string | undefined;
  /** True while a deployment of the service has not completed (or has failed). */
  unsettled: boolean;
}

export interface AlreadyRunningQuestion {
  /** The image this stage would deploy, as a task definition names it. */
  image: string;
  digest: string;
  /** The tag event asked for the full path (`"redeploy": true`). */
  redeploy: boolean;
  /** `pipeline rollback` started the stage: an operator asked for this deploy. */
  rollback: boolean;
  /** The deployment record of what runs in this environment/region now, if the pipeline ever deployed there. */
  running: DeploymentRecord | undefined;
  /** What ECS serves there now; undefined when it was not read. */
  serving: ServingNow | undefined;
}

export type AlreadyRunningDecision =
  | { action: 'deploy'; reason: string }
  | {
      action: 'record';
      /** The version that put the digest there (the first of a chain of records without a redeploy). */
      deployedAs: string;
      /** Epoch ms since when the digest runs there. */
      since: number;
    };

/**
 * Records instead of deploying only when all of these hold: no redeploy was asked for, the stage is not an
 * operator's rollback, the deployment records say this digest runs here, and ECS agrees (the container runs
 * exactly this image and no deployment is under way). Anything else, including a change made outside the
 * pipeline, deploys as usual.
 */
export function decideAlreadyRunning(question: AlreadyRunningQuestion): AlreadyRunningDecision {
  const { running, serving } = question;
  if (question.redeploy) return { action: 'deploy', reason: 'a redeploy was asked for' };
  if (question.rollback) return { action: 'deploy', reason: 'an operator rollback always deploys' };
  if (!running) return { action: 'deploy', reason: 'the pipeline never deployed here' };
  if (running.digest !== question.digest)
    return { action: 'deploy', reason: `${running.version} runs here, another image` };
  if (!serving) return { action: 'deploy', reason: 'what ECS runs here is not known' };
  if (serving.image !== question.image)
    return {
      action: 'deploy',
      reason: `ECS runs ${serving.image ?? 'no such container'}, not what the records say (changed outside the pipeline)`,
    };
  if (serving.unsettled) return { action: 'deploy', reason: 'an ECS deployment is under way or failed' };
  return {
    action: 'record',
    deployedAs: running.deployedAs ?? running.version,
    since: running.runningSince ?? running.startedAt ?? running.at,
  };
}

/** The one-line detail of a record made without a redeploy, as `pipeline history` shows it. */
export function alreadyRunningDetail(decision: { deployedAs: string; since: number }): string {
  return (
    `since ${new Date(decision.since).toISOString()} ` +
    `(deployed as ${decision.deployedAs}); recorded without a redeploy`
  );
}
