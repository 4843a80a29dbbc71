import type { Clock } from '../clock';
import type { PipelineConfig, ServiceConfig } from '../config/config.schema';
import type { ContainerPlatform, ExecutionControl, ExecutionLookup } from '../ports/deployment';
import { pinnedDigest, reconcileVerdict } from '../domain/reconciliation';
import { planStages, type Stage } from '../domain/stage';
import type { ImageRegistry } from '../ports/images';
import { promotionName, startImagePromotion } from './start-promotion';

/** What a promotion the sweep started carries as its trigger's event id: no event ever arrived. */
export const RECONCILIATION_EVENT_ID = 'reconciliation-sweep';

export interface ReconcileImagesDeps {
  config: PipelineConfig;
  registry: ImageRegistry;
  /** The region of the repositories: the pipeline's, where ECR push events reach its rule. */
  registryRegion: string;
  platform: ContainerPlatform;
  executions: ExecutionControl;
  /** Finds a promotion by its deterministic name. */
  lookup: ExecutionLookup;
  promoteStateMachineArn: string;
  clock: Pick<Clock, 'now'>;
}

export type ServiceReconciliation =
  | { service: string; outcome: 'started'; executionName: string; version: string; digest: string }
  | { service: string; outcome: 'up to date'; reason: string }
  | { service: string; outcome: 'failed'; error: { name: string; message: string } };

/**
 * The reconciliation sweep: ECR delivers push events on a best-effort basis, so every few minutes each
 * configured repository's newest `sha-*` image is compared with what PPE runs, and the promotion a lost
 * event would have started is started, once.
 *
 * For each service:
 * 1. List the repository's images and read the image PPE's service runs (its current task definition).
 * 2. Decide (shared/domain/reconciliation.ts): nothing to do when PPE runs that image or a newer one, when
 *    the image is in its grace period or past the lookback.
 * 3. Skip an image whose promotion exists, whatever its outcome: the deterministic name is the record that
 *    it ran, and a promotion that failed on purpose is never restarted.
 * 4. Start it through the start-promotion use case: same name, same stages as the push event's.
 * One service's failure (a missing repository, a throttled call) does not stop the others.
 */
export async function reconcileImages(deps: ReconcileImagesDeps): Promise<ServiceReconciliation[]> {
  const results: ServiceReconciliation[] = [];
  for (const service of deps.config.services) {
    try {
      results.push(await reconcileService(service, deps));
    } catch (error) {
      const { name, message } = error as Error;
      results.push({ service: service.name, outcome: 'failed', error: { name, message } });
    }
  }
  return results;
}

async function reconcileService(
  service: ServiceConfig,
  deps: ReconcileImagesDeps,
): Promise<ServiceReconciliation> {
  const [firstStage] = planStages(deps.config, service.name, 'push');
  if (!firstStage)
    return { service: service.name, outcome: 'up to date', reason: 'no environment is triggered by a push' };

  // 1. The repository's images and what PPE runs.
  const images = await deps.registry.listImages({
    region: deps.registryRegion,
    repository: service.ecrRepository,
  });
  const runningDigest = await runningDigestOf(firstStage, deps.platform);

  // 2. Is the newest build missing from PPE?
  const verdict = reconcileVerdict({
    images,
    runningDigest,
    now: deps.clock.now(),
    policy: deps.config.reconciliation,
  });
  if (!verdict.promote) return { service: service.name, outcome: 'up to date', reason: verdict.reason };
  const { image } = verdict;

  // 3. Did its promotion run already?
  const pushed = { service: service.name, commit: image.commit, digest: image.digest };
  const name = promotionName(pushed);
  const status = await deps.lookup.executionStatus(deps.promoteStateMachineArn, name);
  if (status)
    return {
      service: service.name,
      outcome: 'up to date',
      reason: `the promotion of ${image.tag} exists (${name}, ${status}): never started twice`,
    };

  // 4. Start it as the push event would have.
  const decision = await startImagePromotion(
    {
      ...pushed,
      repository: service.ecrRepository,
      tag: image.tag,
      registry: `${image.registryId}.dkr.ecr.${deps.registryRegion}.amazonaws.com`,
      // ECR's push time, to the second as the push event's `time` has it: pushes are ordered by this,
      // whichever of the two started them (a sweep's milliseconds would put it after a push event of the
      // same second that is in fact newer).
      trigger: { eventId: RECONCILIATION_EVENT_ID, at: pushTime(image.pushedAt) },
    },
    deps,
  );
  if (!decision.started) return { service: service.name, outcome: 'up to date', reason: decision.reason };
  return {
    service: service.name,
    outcome: 'started',
    executionName: decision.name,
    version: image.tag,
    digest: image.digest,
  };
}

/** The digest PPE's container runs: the service's current task definition, its configured container. */
async function runningDigestOf(stage: Stage, platform: ContainerPlatform): Promise<string | undefined> {
  const service = await platform.describeService(stage);
  const revision = await platform.describeTaskDefinition(stage.region, service.taskDefinitionArn);
  const container = revision.containers.find((c) => c.name === stage.container);
  return container && pinnedDigest(container.image);
}

/** An ECR push time as the push event's `time` says it: ISO 8601, to the second (rounded down). */
export function pushTime(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace(/\.000Z$/, 'Z');
}
