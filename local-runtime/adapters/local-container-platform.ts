import type { Clock } from '../../shared/clock';
import { AwsTransientError, PipelineMisconfiguredError } from '../../shared/domain/errors';
import type {
  ContainerPlatform,
  ContainerView,
  DeploymentEnding,
  EcsDeploymentView,
  EcsServiceView,
  EcsTarget,
  EndedDeploymentQuery,
  RolloutState,
  TaskDefinitionView,
} from '../../shared/domain/ports';

/** How a local deployment of an image behaves: the knobs tests and the demo turn to show failures. */
export interface ImageBehaviour {
  /** Tasks never become healthy: ECS's circuit breaker fails the deployment. */
  failsToStart?: boolean;
}

export interface LocalDeploymentEvent {
  target: EcsTarget;
  deploymentId: string;
  outcome: 'COMPLETED' | 'FAILED';
  reason: string;
  taskDefinitionArn: string;
}

/** A deployment started while another of the same service was still in progress. */
export interface DeploymentOverlap {
  target: EcsTarget;
  at: number;
  /** The deployment still rolling out when the new one started. */
  inProgress: string;
  started: string;
  /** What the deployments deploy, for reading a report. */
  inProgressTaskDefinitionArn: string;
  startedTaskDefinitionArn: string;
  /** What served traffic meanwhile: a start of this revision aborts the rollout (a rollback). */
  servingTaskDefinitionArn: string;
}

interface LocalService {
  target: EcsTarget;
  taskDefinitionArn: string;
  /** The revision whose tasks serve traffic: changes only when a deployment completes. */
  servingTaskDefinitionArn: string;
  deployments: EcsDeploymentView[];
}

/** The platform's state as plain JSON, for `pipeline local --data-dir`. */
export interface LocalContainerPlatformSnapshot {
  services: LocalService[];
  taskDefinitions: TaskDefinitionView[];
  revisions: [family: string, revision: number][];
  deploymentCounter: number;
}

export interface LocalContainerPlatformOptions {
  clock: Clock;
  /** How long a deployment takes to reach steady state, in clock time. Default 90 s. */
  deploymentMs?: number;
  behaviourOf?: (container: ContainerView, target: EcsTarget) => ImageBehaviour;
  /** Called when a deployment completes or fails, as ECS would emit its state change event. */
  onDeploymentFinished?: (event: LocalDeploymentEvent) => void;
}

/**
 * ECS on one machine: services, task definition revisions and deployments in memory, with the same
 * semantics the pipeline relies on (a new deployment per update, rollout state, circuit breaker rolling
 * back to the last completed revision, state change notifications).
 */
export class LocalContainerPlatform implements ContainerPlatform {
  private readonly services = new Map<string, LocalService>();
  private readonly taskDefinitions = new Map<string, TaskDefinitionView>();
  private readonly revisions = new Map<string, number>();
  private deploymentCounter = 0;
  /** How each deployment that left a service's list ended: ECS's service deployment history. */
  private readonly endings = new Map<string, DeploymentEnding>();
  private throttledCalls = 0;
  private readonly stopped = new AbortController();
  /** Every call made, in order, for tests to assert on. */
  readonly calls: { method: string; args: unknown[] }[] = [];
  /** Every update that started while a deployment of the same service was still rolling out. */
  readonly overlaps: DeploymentOverlap[] = [];

  constructor(private readonly options: LocalContainerPlatformOptions) {}

  /** Creates a service running a first revision of `family` with one container. */
  seedService(
    target: EcsTarget,
    container: { name: string; image: string },
    family = target.service,
  ): string {
    const td = this.addRevision(target.region, family, [{ ...container, environment: {} }]);
    this.services.set(key(target), {
      target,
      taskDefinitionArn: td.arn,
      servingTaskDefinitionArn: td.arn,
      deployments: [
        {
          id: this.newDeploymentId(),
          taskDefinitionArn: td.arn,
          status: 'PRIMARY',
          rolloutState: 'COMPLETED',
        },
      ],
    });
    return td.arn;
  }

  /** Does this target have a service (seeded, or restored)? */
  hasService(target: EcsTarget): boolean {
    return this.services.has(key(target));
  }

  /** Services, revisions and deployments, as plain JSON. */
  snapshot(): LocalContainerPlatformSnapshot {
    return structuredClone({
      services: [...this.services.values()],
      taskDefinitions: [...this.taskDefinitions.values()],
      revisions: [...this.revisions],
      deploymentCounter: this.deploymentCounter,
    });
  }

  /**
   * Takes the state of a snapshot in place of this platform's. Deployments in progress then finish when
   * they would have: their full duration after they started, on the clock.
   */
  restore(snapshot: LocalContainerPlatformSnapshot): void {
    const copy = structuredClone(snapshot);
    this.services.clear();
    this.taskDefinitions.clear();
    this.revisions.clear();
    for (const service of copy.services) this.services.set(key(service.target), service);
    for (const td of copy.taskDefinitions) this.taskDefinitions.set(td.arn, td);
    for (const [family, revision] of copy.revisions) this.revisions.set(family, revision);
    this.deploymentCounter = copy.deploymentCounter;
    for (const service of this.services.values())
      for (const deployment of service.deployments) {
        const td = this.taskDefinitions.get(deployment.taskDefinitionArn);
        if (deployment.rolloutState === 'IN_PROGRESS' && td) void this.finishLater(service, deployment, td);
      }
  }

  /** Drops deployments still in progress: nothing completes after the local stack stops. */
  stop(): void {
    this.stopped.abort();
  }

  /** Deployments started but not finished yet. */
  get deploymentsInProgress(): number {
    let count = 0;
    for (const service of this.services.values())
      count += service.deployments.filter((d) => d.rolloutState === 'IN_PROGRESS').length;
    return count;
  }

  /** The next `count` calls fail with a throttling error, as ECS does under load. */
  throttleNext(count: number): void {
    this.throttledCalls += count;
  }

  /** What serves traffic for a target now: the serving revision and its containers. */
  serving(target: EcsTarget): TaskDefinitionView | undefined {
    const service = this.services.get(key(target));
    return service && this.taskDefinitions.get(service.servingTaskDefinitionArn);
  }

  async describeService(target: EcsTarget): Promise<EcsServiceView> {
    this.enter('describeService', target);
    const service = this.requireService(target);
    return {
      taskDefinitionArn: service.taskDefinitionArn,
      deployments: service.deployments.map((d) => ({ ...d })),
    };
  }

  async describeTaskDefinition(region: string, arn: string): Promise<TaskDefinitionView> {
    this.enter('describeTaskDefinition', region, arn);
    const td = this.taskDefinitions.get(arn);
    if (!td || !arn.includes(`:${region}:`))
      throw new PipelineMisconfiguredError(`task definition ${arn} does not exist in ${region}`);
    return structuredClone(td);
  }

  async latestTaskDefinition(region: string, family: string): Promise<TaskDefinitionView | undefined> {
    this.enter('latestTaskDefinition', region, family);
    const revision = this.revisions.get(`${region}/${family}`);
    const td = revision && this.taskDefinitions.get(arnOf(region, family, revision));
    return td ? structuredClone(td) : undefined;
  }

  async registerRevision(
    region: string,
    fromArn: string,
    container: string,
    change: { image: string; environment: Record<string, string> },
  ): Promise<TaskDefinitionView> {
    this.enter('registerRevision', region, fromArn, container, change);
    const from = this.taskDefinitions.get(fromArn);
    if (!from) throw new PipelineMisconfiguredError(`task definition ${fromArn} does not exist`);
    if (!from.containers.some((c) => c.name === container))
      throw new PipelineMisconfiguredError(`task definition ${fromArn} has no container "${container}"`);
    const containers = from.containers.map((c) =>
      c.name === container
        ? { name: c.name, image: change.image, environment: { ...c.environment, ...change.environment } }
        : structuredClone(c),
    );
    return structuredClone(this.addRevision(region, from.family, containers));
  }

  async updateService(target: EcsTarget, taskDefinitionArn: string): Promise<{ deploymentId: string }> {
    this.enter('updateService', target, taskDefinitionArn);
    const service = this.requireService(target);
    const td = this.taskDefinitions.get(taskDefinitionArn);
    if (!td) throw new PipelineMisconfiguredError(`task definition ${taskDefinitionArn} does not exist`);

    const deployment: EcsDeploymentView = {
      id: this.newDeploymentId(),
      taskDefinitionArn,
      status: 'PRIMARY',
      rolloutState: 'IN_PROGRESS',
      createdAt: this.options.clock.now(),
    };
    const rollingOut = service.deployments.find((d) => d.rolloutState === 'IN_PROGRESS');
    if (rollingOut)
      this.overlaps.push({
        target,
        at: this.options.clock.now(),
        inProgress: rollingOut.id,
        started: deployment.id,
        inProgressTaskDefinitionArn: rollingOut.taskDefinitionArn,
        startedTaskDefinitionArn: taskDefinitionArn,
        servingTaskDefinitionArn: service.servingTaskDefinitionArn,
      });
    // The deployments this one replaces stop counting; ECS keeps them ACTIVE until drained.
    this.replaceDeployments(service, [
      deployment,
      ...service.deployments.filter((d) => d.rolloutState === 'COMPLETED').slice(0, 1),
    ]);
    for (const d of service.deployments) if (d !== deployment) d.status = 'ACTIVE';
    service.taskDefinitionArn = taskDefinitionArn;
    void this.finishLater(service, deployment, td);
    return { deploymentId: deployment.id };
  }

  private async finishLater(service: LocalService, deployment: EcsDeploymentView, td: TaskDefinitionView) {
    const duration = this.options.deploymentMs ?? 90_000;
    const startedAt = deployment.createdAt ?? this.options.clock.now();
    try {
      await this.options.clock.sleep(
        Math.max(0, startedAt + duration - this.options.clock.now()),
        this.stopped.signal,
      );
    } catch {
      return; // the local stack is shutting down
    }
    if (service.deployments[0] !== deployment) return; // superseded by a newer update
    const fails = td.containers.some((c) => this.options.behaviourOf?.(c, service.target).failsToStart);
    let outcome: RolloutState = 'COMPLETED';
    let reason = `ECS deployment ${deployment.id} completed.`;
    if (fails) {
      outcome = 'FAILED';
      reason = 'ECS deployment circuit breaker: tasks failed to start.';
      // The circuit breaker's rollback: back to the revision of the last completed deployment.
      const lastGood = service.deployments.find((d) => d !== deployment && d.rolloutState === 'COMPLETED');
      if (lastGood) {
        service.taskDefinitionArn = lastGood.taskDefinitionArn;
        lastGood.status = 'PRIMARY';
      }
      deployment.status = 'INACTIVE';
      deployment.rolloutStateReason = reason;
    } else {
      service.servingTaskDefinitionArn = td.arn;
      this.replaceDeployments(service, [deployment]);
    }
    deployment.rolloutState = outcome;
    this.options.onDeploymentFinished?.({
      target: service.target,
      deploymentId: deployment.id,
      outcome,
      reason,
      taskDefinitionArn: td.arn,
    });
  }

  private addRevision(region: string, family: string, containers: TaskDefinitionView['containers']) {
    const revision = (this.revisions.get(`${region}/${family}`) ?? 0) + 1;
    this.revisions.set(`${region}/${family}`, revision);
    const td: TaskDefinitionView = { arn: arnOf(region, family, revision), family, containers };
    this.taskDefinitions.set(td.arn, td);
    return td;
  }

  async endedDeployment(
    target: EcsTarget,
    query: EndedDeploymentQuery,
  ): Promise<DeploymentEnding | undefined> {
    this.requireService(target);
    const ending = this.endings.get(query.deploymentId);
    return ending && { ...ending };
  }

  /** Like ECS, a deployment that leaves the list stays in the history: completed, or stopped by a newer one. */
  private replaceDeployments(service: LocalService, next: EcsDeploymentView[]): void {
    for (const d of service.deployments)
      if (!next.includes(d))
        this.endings.set(
          d.id,
          d.rolloutState === 'COMPLETED'
            ? { outcome: 'completed' }
            : d.rolloutState === 'FAILED'
              ? { outcome: 'failed', reason: d.rolloutStateReason ?? 'rollout failed' }
              : { outcome: 'failed', reason: 'the deployment was replaced before it completed' },
        );
    service.deployments = next;
  }

  private requireService(target: EcsTarget): LocalService {
    const service = this.services.get(key(target));
    if (!service)
      throw new PipelineMisconfiguredError(
        `service ${target.service} not found in cluster ${target.cluster} (${target.region})`,
      );
    return service;
  }

  private enter(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
    if (this.throttledCalls > 0) {
      this.throttledCalls--;
      throw new AwsTransientError(`ECS ${method}: Rate exceeded (ThrottlingException)`);
    }
  }

  private newDeploymentId(): string {
    return `ecs-svc/${String(++this.deploymentCounter).padStart(19, '0')}`;
  }
}

function key(target: EcsTarget): string {
  return `${target.region}/${target.cluster}/${target.service}`;
}

function arnOf(region: string, family: string, revision: number): string {
  return `arn:aws:ecs:${region}:000000000000:task-definition/${family}:${revision}`;
}
