import { DEPLOYED_ENV } from '../domain/deployment-record';
import { DeploymentFailedError, PipelineMisconfiguredError } from '../domain/errors';
import { imageUri } from '../domain/image';
import type { Clock } from '../clock';
import type {
  ContainerPlatform,
  EcsTarget,
  ShiftRequest,
  StageRecordStore,
  TaskDefinitionView,
} from '../ports/deployment';
import type { DeploymentResult, StageRun } from '../domain/stage-run.schema';
import type { TrafficShiftHook } from '../ports/traffic-shift';

export interface DeployServiceDeps {
  platform: ContainerPlatform;
  stageRecords: StageRecordStore;
  clock: Clock;
  /** The traffic shift hook, for stages that shift traffic (blue-green, canary, linear). */
  trafficShiftHook?: TrafficShiftHook;
}

/**
 * Deploys the run's image by digest to the stage's ECS service. Idempotent: a retry or redrive of the
 * same execution finds its own revision and deployment instead of making new ones.
 *
 * 1. Read the service and remember the revision it runs (first writer wins: a retry after the update
 *    must not remember the new revision as "previous").
 * 2. Find the revision this execution registered for this stage before, or register one: a copy of the
 *    stage's previous revision with the container image set to `repository@sha256:…`
 *    ({@link findOrRegisterRevision}, which "Run migrations" uses too).
 * 3. Update the service unless it already runs that revision (remembering the revision first), and return
 *    the ECS deployment to wait for.
 */
export async function deployService(run: StageRun, deps: DeployServiceDeps): Promise<DeploymentResult> {
  const target = targetOf(run);
  const service = await deps.platform.describeService(target);
  const stageKey = {
    executionName: run.executionName,
    environment: run.stage.environment,
    region: run.stage.region,
  };
  const previousArn = await deps.stageRecords.rememberPreviousRevision(stageKey, service.taskDefinitionArn);

  const { base: previous, revision } = await findOrRegisterRevision(run, previousArn, deps.platform);

  const existing = service.deployments.find(
    (d) => d.taskDefinitionArn === revision.arn && d.status === 'PRIMARY',
  );
  if (existing?.rolloutState === 'FAILED')
    throw new DeploymentFailedError(
      `ECS deployment ${existing.id} failed: ${existing.rolloutStateReason ?? 'no reason given'}`,
    );
  let deploymentId = existing?.id;
  if (deploymentId === undefined) {
    // Before ECS takes the update: a step that dies right after it loses its result, and the stage's
    // record must still be able to say which revision may run (a rollback that then fails too).
    await deps.stageRecords.rememberDeployedRevision(stageKey, revision.arn);
    const blueVersion = previous.containers.find((c) => c.name === run.stage.container)?.environment[
      DEPLOYED_ENV.version
    ];
    deploymentId = (await deps.platform.updateService(target, revision.arn, shiftOf(run, deps, blueVersion)))
      .deploymentId;
  }

  return {
    previousTaskDefinitionArn: previous.arn,
    taskDefinitionArn: revision.arn,
    deploymentId,
    // A re-run keeps the original start, so the bake still covers alarms since the first update.
    startedAt: existing?.createdAt ?? deps.clock.now(),
  };
}

/** The part of a stage run that says which revision it deploys. */
export type RevisionRun = Pick<
  StageRun,
  'executionName' | 'service' | 'version' | 'commit' | 'image' | 'stage'
>;

/**
 * The revision of the run's image for its stage: the one this execution registered here before (a retry,
 * a redrive, or "Run migrations" before "Deploy to region"), else a new copy of `baseArn` with the stage's
 * container set to the image by digest and the pipeline's environment variables. Both the migration and
 * the deploy go through here, so the migration runs the very revision the deploy then finds and deploys.
 * Returns the base revision read too. Throws {@link PipelineMisconfiguredError} when the base revision has
 * no container of the configured name.
 */
export async function findOrRegisterRevision(
  run: RevisionRun,
  baseArn: string,
  platform: ContainerPlatform,
): Promise<{ base: TaskDefinitionView; revision: TaskDefinitionView }> {
  const { region } = run.stage;
  const base = await platform.describeTaskDefinition(region, baseArn);
  if (!base.containers.some((c) => c.name === run.stage.container))
    throw new PipelineMisconfiguredError(
      `task definition ${base.arn} has no container "${run.stage.container}"; ` +
        `fix services.${run.service}.environments.${run.stage.environment}.regions.${run.stage.region}.container`,
    );
  const image = imageUri(run.image);
  const latest = await platform.latestTaskDefinition(region, base.family);
  if (latest && isRevisionOf(latest, run, image)) return { base, revision: latest };
  const revision = await platform.registerRevision(region, base.arn, run.stage.container, {
    image,
    environment: {
      [DEPLOYED_ENV.version]: run.version,
      [DEPLOYED_ENV.commit]: run.commit,
      [DEPLOYED_ENV.execution]: run.executionName,
      [DEPLOYED_ENV.stage]: stageName(run),
    },
  });
  return { base, revision };
}

/** What a stage that shifts traffic adds to the update: its plan, the hook, and whose stage it is. */
function shiftOf(run: StageRun, deps: DeployServiceDeps, blueVersion?: string): ShiftRequest | undefined {
  const traffic = run.stage.traffic;
  if (!traffic) return undefined;
  if (!deps.trafficShiftHook)
    throw new PipelineMisconfiguredError(
      `stage ${stageName(run)} shifts traffic (strategy "${traffic.strategy}") but the pipeline has no traffic ` +
        'shift hook configured; deploy the pipeline with its shift-traffic function',
    );
  return {
    traffic,
    hook: deps.trafficShiftHook,
    stage: {
      executionName: run.executionName,
      service: run.service,
      environment: run.stage.environment,
      region: run.stage.region,
      // Blue's version as its revision reports it: a revision deployed outside the pipeline has none.
      versions: { ...(blueVersion !== undefined && { blue: blueVersion }), green: run.version },
    },
  };
}

export function targetOf(run: Pick<StageRun, 'stage'>): EcsTarget {
  return { region: run.stage.region, cluster: run.stage.cluster, service: run.stage.service };
}

/**
 * Our own revision is this execution's and this stage's: staging and production often share a family in a
 * region, and staging's revision of the same image carries staging's environment, secrets and roles.
 */
export function isRevisionOf(
  revision: TaskDefinitionView,
  run: Pick<StageRun, 'executionName' | 'stage'>,
  image: string,
): boolean {
  const container = revision.containers.find((c) => c.name === run.stage.container);
  return (
    container?.image === image &&
    container.environment[DEPLOYED_ENV.execution] === run.executionName &&
    container.environment[DEPLOYED_ENV.stage] === stageName(run)
  );
}

function stageName(run: Pick<StageRun, 'stage'>): string {
  return `${run.stage.environment}/${run.stage.region}`;
}
