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
  ShiftRequest,
  TaskDefinitionView,
} from '../../shared/ports/deployment';
import { endingOfListed } from '../../shared/use-cases/settle-deployment';

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

/** A container as a team writes it: environment and secrets (name → Secrets Manager or SSM ARN). */
export interface LocalContainer extends ContainerView {
  secrets?: Record<string, string>;
}

/**
 * A task definition revision with what differs between a team's environments besides the image: the
 * container's environment and secrets, and the task and execution roles. A copy keeps them all.
 */
export interface LocalTaskDefinition extends TaskDefinitionView {
  containers: LocalContainer[];
  taskRoleArn?: string;
  executionRoleArn?: string;
}

/** What a team registers for a service before the pipeline first deploys it. */
export interface SeedDefinition {
  /** Default: the service name. Teams often keep one family per service across environments. */
  family?: string;
  taskRoleArn?: string;
  executionRoleArn?: string;
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
  taskDefinitions: LocalTaskDefinition[];
  revisions: [family: string, revision: number][];
  deploymentCounter: number;
  /** ECS's deployment history per service (absent in snapshots written before it was kept). */
  history?: [service: string, deployments: EndedLocalDeployment[]][];
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
  private readonly taskDefinitions = new Map<string, LocalTaskDefinition>();
  private readonly revisions = new Map<string, number>();
  private deploymentCounter = 0;
  /**
   * ECS's service deployment history, per service: each deployment that left the service's list, what it
   * deployed, when, and how it ended. Like ECS's, it is searched by revision and time, not by the
   * `ecs-svc/…` id DescribeServices gave (ListServiceDeployments has ids of its own).
   */
  private readonly history = new Map<string, EndedLocalDeployment[]>();
  private throttledCalls = 0;
  private readonly stopped = new AbortController();
  /** Every call made, in order, for tests to assert on. */
  readonly calls: { method: string; args: unknown[] }[] = [];
  /** Every update that started while a deployment of the same service was still rolling out. */
  readonly overlaps: DeploymentOverlap[] = [];

  constructor(private readonly options: LocalContainerPlatformOptions) {}

  /**
   * Creates a service running a new revision of its family with one container. Services of several
   * environments in one region may share a family, as teams often do: each then runs its own revision.
   */
  seedService(
    target: EcsTarget,
    container: { name: string; image: string; environment?: Record<string, string> } & Pick<
      LocalContainer,
      'secrets'
    >,
    definition: SeedDefinition = {},
  ): string {
    const td = this.addRevision(
      target.region,
      definition.family ?? target.service,
      [{ ...structuredClone(container), environment: { ...container.environment } }],
      {
        ...(definition.taskRoleArn !== undefined && { taskRoleArn: definition.taskRoleArn }),
        ...(definition.executionRoleArn !== undefined && { executionRoleArn: definition.executionRoleArn }),
      },
    );
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
      history: [...this.history],
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
    this.history.clear();
    for (const [service, deployments] of copy.history ?? []) this.history.set(service, deployments);
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

  /** What serves traffic for a target now: the serving revision, its containers, secrets and roles. */
  serving(target: EcsTarget): LocalTaskDefinition | undefined {
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
    // A copy keeps everything but the image and the pipeline's variables: other containers, secrets, roles.
    const containers = from.containers.map((c) =>
      c.name === container
        ? {
            ...structuredClone(c),
            image: change.image,
            environment: { ...c.environment, ...change.environment },
          }
        : structuredClone(c),
    );
    const roles = {
      ...(from.taskRoleArn !== undefined && { taskRoleArn: from.taskRoleArn }),
      ...(from.executionRoleArn !== undefined && { executionRoleArn: from.executionRoleArn }),
    };
    return structuredClone(this.addRevision(region, from.family, containers, roles));
  }

  /**
   * `shift` (a stage that shifts traffic) is accepted and recorded; the local stand-in deploys it as a
   * rolling update for now (ECS blue/green with the hook locally is not built yet).
   */
  async updateService(
    target: EcsTarget,
    taskDefinitionArn: string,
    shift?: ShiftRequest,
  ): Promise<{ deploymentId: string }> {
    this.enter('updateService', target, taskDefinitionArn, ...(shift ? [shift] : []));
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

  private async finishLater(service: LocalService, deployment: EcsDeploymentView, td: LocalTaskDefinition) {
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
      deployment.status = 'ACTIVE';
      deployment.rolloutStateReason = reason;
      // The circuit breaker's rollback is a deployment of its own, as in ECS: a new PRIMARY deployment of
      // the last completed revision, IN_PROGRESS until its tasks are healthy; the failed one drains.
      const lastGood = service.deployments.find((d) => d !== deployment && d.rolloutState === 'COMPLETED');
      const lastGoodTd = lastGood && this.taskDefinitions.get(lastGood.taskDefinitionArn);
      if (lastGood && lastGoodTd) {
        const rollback: EcsDeploymentView = {
          id: this.newDeploymentId(),
          taskDefinitionArn: lastGood.taskDefinitionArn,
          status: 'PRIMARY',
          rolloutState: 'IN_PROGRESS',
          createdAt: this.options.clock.now(),
        };
        lastGood.status = 'ACTIVE';
        service.taskDefinitionArn = lastGood.taskDefinitionArn;
        service.deployments = [rollback, deployment, lastGood];
        void this.finishLater(service, rollback, lastGoodTd);
      }
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

  private addRevision(
    region: string,
    family: string,
    containers: LocalContainer[],
    roles: Pick<LocalTaskDefinition, 'taskRoleArn' | 'executionRoleArn'> = {},
  ): LocalTaskDefinition {
    const revision = (this.revisions.get(`${region}/${family}`) ?? 0) + 1;
    this.revisions.set(`${region}/${family}`, revision);
    const td: LocalTaskDefinition = { arn: arnOf(region, family, revision), family, containers, ...roles };
    this.taskDefinitions.set(td.arn, td);
    return td;
  }

  async endedDeployment(
    target: EcsTarget,
    query: EndedDeploymentQuery,
  ): Promise<DeploymentEnding | undefined> {
    const service = this.requireService(target);
    // Same search as the ECS adapter: without the revision there is nothing to find it by.
    if (query.taskDefinitionArn === undefined) return undefined;
    const after = query.since === undefined ? -Infinity : query.since - 60_000;
    const listed = service.deployments.map((d) => ({ ...d, ending: endingOfListed(d) }));
    const ours = [...listed, ...(this.history.get(key(target)) ?? [])]
      .filter((d) => d.taskDefinitionArn === query.taskDefinitionArn && (d.createdAt ?? 0) > after)
      .sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0))[0];
    return ours && { ...ours.ending };
  }

  /** Like ECS, a deployment that leaves the list stays in the history: completed, or stopped by a newer one. */
  private replaceDeployments(service: LocalService, next: EcsDeploymentView[]): void {
    const history = this.history.get(key(service.target)) ?? [];
    for (const d of service.deployments)
      if (!next.includes(d))
        history.push({
          taskDefinitionArn: d.taskDefinitionArn,
          ...(d.createdAt !== undefined && { createdAt: d.createdAt }),
          ending:
            d.rolloutState === 'IN_PROGRESS'
              ? { outcome: 'failed', reason: 'the deployment was replaced before it completed' }
              : endingOfListed(d),
        });
    this.history.set(key(service.target), history);
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

/** A deployment that left its service's list, as ECS's service deployment history keeps it. */
interface EndedLocalDeployment {
  taskDefinitionArn: string;
  createdAt?: number;
  ending: DeploymentEnding;
}

/** What a deployment still in the service's list says of its end: ECS reports these as in progress or done. */
function key(target: EcsTarget): string {
  return `${target.region}/${target.cluster}/${target.service}`;
}

function arnOf(region: string, family: string, revision: number): string {
  return `arn:aws:ecs:${region}:000000000000:task-definition/${family}:${revision}`;
}

/**
 * The task definition a team would register for one environment of a service: one family per service
 * (shared by the environments of a region), with the environment's own variables, secrets and roles, so
 * that a revision deployed to the wrong environment shows.
 */
export function teamTaskDefinition(stage: {
  region: string;
  environment: string;
  service: string;
  container: string;
}): { container: Parameters<LocalContainerPlatform['seedService']>[1]; definition: SeedDefinition } {
  const { region, environment, service } = stage;
  const account = '000000000000';
  return {
    container: {
      name: stage.container,
      image: `${service}:bootstrap`,
      environment: { APP_ENV: environment },
      secrets: {
        DATABASE_URL: `arn:aws:secretsmanager:${region}:${account}:secret:${service}/${environment}/database-url`,
      },
    },
    definition: {
      family: service,
      taskRoleArn: `arn:aws:iam::${account}:role/${service}-${environment}-task`,
      executionRoleArn: `arn:aws:iam::${account}:role/${service}-${environment}-execution`,
    },
  };
}
