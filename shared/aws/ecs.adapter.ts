import {
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ClientException,
  ClusterNotFoundException,
  ECSClient,
  ListServiceDeploymentsCommand,
  ListTaskDefinitionsCommand,
  paginateListTaskDefinitions,
  RegisterTaskDefinitionCommand,
  ServiceNotActiveException,
  ServiceNotFoundException,
  UpdateServiceCommand,
  type ContainerDefinition,
  type Deployment,
  type KeyValuePair,
  type RegisterTaskDefinitionCommandInput,
  type Service,
  type Tag,
  type ServiceDeploymentBrief,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { PipelineMisconfiguredError, UnsupportedDeploymentStrategyError } from '../domain/errors';
import type {
  ContainerPlatform,
  DeploymentEnding,
  EcsDeploymentView,
  EcsServiceView,
  EcsTarget,
  EndedDeploymentQuery,
  RolloutState,
  ShiftRequest,
  TaskDefinitionView,
} from '../ports/deployment';
import { isAwsError, mapAwsError } from './aws-errors';
import { shiftUpdate } from './ecs-strategies.adapter';
import { clientsFrom, type ClientSource } from './regional-clients';

export interface EcsContainerPlatformOptions {
  /** A ready client (tests) or a per-region factory; defaults to one `ECSClient` per region, shared per container. */
  clients?: ClientSource<ECSClient>;
}

/** What the operator should check when ECS says a cluster or service is not there. */
const FIX_TARGET = 'check the cluster, service and region of this stage in pipeline.config.yml';

/**
 * The container platform on Amazon ECS: reads services and task definitions, registers a revision that
 * differs from a known one only in one container's image and environment, and points a service at it with
 * the deployment circuit breaker on. Only rolling updates (the `ECS` deployment controller) are supported,
 * because the pipeline follows a deployment by its id and rollout state. Resources that do not exist are
 * reported as {@link PipelineMisconfiguredError}; throttling and AWS-side failures as `AwsTransientError`.
 */
export class EcsContainerPlatform implements ContainerPlatform {
  private readonly client: (region: string) => ECSClient;

  constructor(options: EcsContainerPlatformOptions = {}) {
    this.client = clientsFrom(options.clients, ECSClient);
  }

  async describeService(target: EcsTarget): Promise<EcsServiceView> {
    const service = await this.readService(target);
    if (!service.taskDefinition)
      throw new PipelineMisconfiguredError(`ECS service ${describeTarget(target)} has no task definition`);
    return {
      taskDefinitionArn: service.taskDefinition,
      deployments: (service.deployments ?? []).map(toDeploymentView),
    };
  }

  async describeTaskDefinition(region: string, arn: string): Promise<TaskDefinitionView> {
    return toTaskDefinitionView((await this.readTaskDefinition(region, arn)).definition);
  }

  async latestTaskDefinition(region: string, family: string): Promise<TaskDefinitionView | undefined> {
    const arn = await this.newestActiveArn(region, family);
    return arn === undefined ? undefined : this.describeTaskDefinition(region, arn);
  }

  async registerRevision(
    region: string,
    fromArn: string,
    container: string,
    change: { image: string; environment: Record<string, string> },
  ): Promise<TaskDefinitionView> {
    const { definition: from, tags } = await this.readTaskDefinition(region, fromArn);
    const definitions = from.containerDefinitions ?? [];
    if (!definitions.some((c) => c.name === container))
      throw new PipelineMisconfiguredError(
        `task definition ${fromArn} has no container "${container}" (it has: ${
          definitions.map((c) => c.name).join(', ') || 'none'
        }); fix the container name of this stage in pipeline.config.yml`,
      );

    const input = registrableCopy(from);
    input.containerDefinitions = definitions.map((c) =>
      c.name === container
        ? { ...c, image: change.image, environment: mergeEnvironment(c.environment, change.environment) }
        : c,
    );
    // Tags are not part of the described revision; without them the copy would lose cost allocation and
    // ABAC tags. Registering with tags needs ecs:TagResource as well.
    if (tags.length > 0) input.tags = tags;
    try {
      const response = await this.client(region).send(new RegisterTaskDefinitionCommand(input));
      if (!response.taskDefinition)
        throw new Error(`ECS RegisterTaskDefinition returned no task definition for ${from.family}`);
      return toTaskDefinitionView(response.taskDefinition);
    } catch (error) {
      throw mapAwsError(error, `ECS RegisterTaskDefinition of family ${from.family} in ${region}`);
    }
  }

  async updateService(
    target: EcsTarget,
    taskDefinitionArn: string,
    shift?: ShiftRequest,
  ): Promise<{ deploymentId: string }> {
    // Send the service's own deployment settings back (percentages, alarms, circuit breaker thresholds) with
    // only the circuit breaker forced on: fields left out of deploymentConfiguration may fall back to ECS
    // defaults, and a deploy must not quietly change how the operator configured the service to roll out.
    // A stage that shifts traffic sets ECS's blue/green strategy and the pipeline's hook instead.
    const current = await this.readService(target, shift !== undefined);
    const shifting = shift && shiftUpdate(current, shift, describeTarget(target));
    const deploymentConfiguration = shifting?.deploymentConfiguration ?? {
      ...current.deploymentConfiguration,
      deploymentCircuitBreaker: {
        ...current.deploymentConfiguration?.deploymentCircuitBreaker,
        enable: true,
        rollback: true,
      },
    };
    let service: Service | undefined;
    try {
      const response = await this.client(target.region).send(
        new UpdateServiceCommand({
          cluster: target.cluster,
          service: target.service,
          taskDefinition: taskDefinitionArn,
          // A new revision starts a deployment by itself; forcing one would restart tasks on a retry.
          forceNewDeployment: false,
          deploymentConfiguration,
          ...(shifting && { loadBalancers: shifting.loadBalancers }),
        }),
      );
      service = response.service;
    } catch (error) {
      throw this.mapTargetError(error, target, 'UpdateService');
    }
    const primary = service?.deployments?.find((d) => d.status === 'PRIMARY');
    if (!primary?.id)
      throw new Error(`ECS UpdateService of ${describeTarget(target)} returned no PRIMARY deployment`);
    return { deploymentId: primary.id };
  }

  /**
   * ECS's service deployment history has ids of its own (not the `ecs-svc/…` of DescribeServices), so the
   * deployment is found by what it deployed: the newest service deployment created since the waiter began
   * (less a minute of clock skew) whose target revision runs `taskDefinitionArn`. Undefined without a
   * revision to look for, or when the history has no such deployment.
   */
  async endedDeployment(
    target: EcsTarget,
    query: EndedDeploymentQuery,
  ): Promise<DeploymentEnding | undefined> {
    if (query.taskDefinitionArn === undefined) return undefined;
    const client = this.client(target.region);
    let briefs: ServiceDeploymentBrief[];
    try {
      const response = await client.send(
        new ListServiceDeploymentsCommand({
          cluster: target.cluster,
          service: target.service,
          ...(query.since !== undefined && { createdAt: { after: new Date(query.since - 60_000) } }),
          maxResults: 20,
        }),
      );
      briefs = response.serviceDeployments ?? [];
    } catch (error) {
      throw this.mapTargetError(error, target, 'ListServiceDeployments');
    }
    const revisionArns = [...new Set(briefs.flatMap((b) => b.targetServiceRevisionArn ?? []))];
    if (revisionArns.length === 0) return undefined;
    let taskDefinitionOf: Map<string, string>;
    try {
      const response = await client.send(
        new DescribeServiceRevisionsCommand({ serviceRevisionArns: revisionArns }),
      );
      taskDefinitionOf = new Map(
        (response.serviceRevisions ?? []).flatMap((r) =>
          r.serviceRevisionArn && r.taskDefinition ? [[r.serviceRevisionArn, r.taskDefinition] as const] : [],
        ),
      );
    } catch (error) {
      throw this.mapTargetError(error, target, 'DescribeServiceRevisions');
    }
    const ours = briefs
      .filter((b) => taskDefinitionOf.get(b.targetServiceRevisionArn ?? '') === query.taskDefinitionArn)
      .sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0))[0];
    return ours && toDeploymentEnding(ours);
  }

  private async readService(target: EcsTarget, shifting = false): Promise<Service> {
    let response;
    try {
      response = await this.client(target.region).send(
        new DescribeServicesCommand({ cluster: target.cluster, services: [target.service] }),
      );
    } catch (error) {
      throw this.mapTargetError(error, target, 'DescribeServices');
    }
    const failure = response.failures?.[0];
    if (failure)
      throw new PipelineMisconfiguredError(
        `ECS service ${describeTarget(target)} cannot be described (${failure.reason ?? 'unknown reason'}` +
          `${failure.detail ? `: ${failure.detail}` : ''}); ${FIX_TARGET}`,
      );
    const service = response.services?.[0];
    if (!service || service.status !== 'ACTIVE')
      throw new PipelineMisconfiguredError(
        `ECS service ${describeTarget(target)} is ${service?.status ?? 'missing'}, not ACTIVE; ${FIX_TARGET}`,
      );
    // A stage that shifts traffic sets the strategy itself (ecs-strategies.adapter.ts).
    if (!shifting) refuseUnsupportedStrategy(service, target);
    return service;
  }

  private async readTaskDefinition(
    region: string,
    arn: string,
  ): Promise<{ definition: TaskDefinition; tags: Tag[] }> {
    try {
      const response = await this.client(region).send(
        new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] }),
      );
      if (!response.taskDefinition) throw new Error(`ECS DescribeTaskDefinition returned nothing for ${arn}`);
      return { definition: response.taskDefinition, tags: response.tags ?? [] };
    } catch (error) {
      // ECS answers a task definition it cannot find with a plain ClientException.
      if (isAwsError(error, ClientException))
        throw new PipelineMisconfiguredError(
          `ECS task definition ${arn} cannot be described in ${region} (${messageOf(error)}); ` +
            'it may have been deleted: register it again or point the service at an existing revision',
        );
      throw mapAwsError(error, `ECS DescribeTaskDefinition of ${arn} in ${region}`);
    }
  }

  /**
   * `familyPrefix` is documented as the full family name, but behaves as a prefix in places; with DESC sort
   * a longer family (`api-worker` > `api`) would come first. So accept the first result only when its family
   * is exactly the requested one, and otherwise walk the remaining pages (100 a page) until the family appears.
   */
  private async newestActiveArn(region: string, family: string): Promise<string | undefined> {
    const client = this.client(region);
    const input = { familyPrefix: family, status: 'ACTIVE' as const, sort: 'DESC' as const };
    const isFamily = (arn: string) => familyOf(arn) === family;
    try {
      const first = await client.send(new ListTaskDefinitionsCommand({ ...input, maxResults: 1 }));
      const newest = first.taskDefinitionArns?.find(isFamily);
      if (newest !== undefined || first.nextToken === undefined) return newest;
      const rest = paginateListTaskDefinitions(
        { client, pageSize: 100, startingToken: first.nextToken },
        input,
      );
      for await (const page of rest) {
        const match = page.taskDefinitionArns?.find(isFamily);
        if (match !== undefined) return match;
      }
      return undefined;
    } catch (error) {
      throw mapAwsError(error, `ECS ListTaskDefinitions of family ${family} in ${region}`);
    }
  }

  private mapTargetError(error: unknown, target: EcsTarget, operation: string): Error {
    if (isAwsError(error, ClusterNotFoundException))
      return new PipelineMisconfiguredError(
        `ECS cluster ${target.cluster} does not exist in ${target.region}; ${FIX_TARGET}`,
      );
    if (isAwsError(error, ServiceNotFoundException, ServiceNotActiveException))
      return new PipelineMisconfiguredError(
        `ECS service ${describeTarget(target)} does not exist or is not active; ${FIX_TARGET}`,
      );
    return mapAwsError(error, `ECS ${operation} of ${describeTarget(target)}`);
  }
}

/**
 * Only rolling updates are driven by this pipeline: it follows one deployment by id and rollout state, and
 * sends the service's deployment configuration back with the circuit breaker on. Blue/green, linear and
 * canary (deploymentConfiguration.strategy) and the CODE_DEPLOY / EXTERNAL controllers carry lifecycle
 * hooks, hook roles and traffic shifting that a resend would pass on half-understood, so they are refused.
 */
function refuseUnsupportedStrategy(service: Service, target: EcsTarget): void {
  const controller = service.deploymentController?.type;
  if (controller !== undefined && controller !== 'ECS')
    throw new UnsupportedDeploymentStrategyError(
      `ECS service ${describeTarget(target)} uses the ${controller} deployment controller; ` +
        'the pipeline deploys with rolling updates only: switch the service to the ECS deployment controller',
    );
  const strategy = service.deploymentConfiguration?.strategy;
  if (strategy !== undefined && strategy !== 'ROLLING')
    throw new UnsupportedDeploymentStrategyError(
      `ECS service ${describeTarget(target)} deploys with the ${strategy} strategy; the pipeline drives ` +
        "rolling updates only: set the service's deploymentConfiguration.strategy to ROLLING, or deploy it " +
        'outside the pipeline until blue/green, linear and canary are supported',
    );
}

/**
 * The fields RegisterTaskDefinition accepts, copied from a described revision. Listed one by one (not
 * spread) so that read-only fields (arn, revision, status, requiresAttributes, compatibilities,
 * registeredAt/By, deregisteredAt) never reach the request, and a field ECS adds later is a visible gap in
 * this list rather than a request ECS rejects.
 */
export function registrableCopy(from: TaskDefinition): RegisterTaskDefinitionCommandInput {
  const copy: RegisterTaskDefinitionCommandInput = {
    family: from.family,
    taskRoleArn: from.taskRoleArn,
    executionRoleArn: from.executionRoleArn,
    networkMode: from.networkMode,
    containerDefinitions: from.containerDefinitions,
    volumes: from.volumes,
    placementConstraints: from.placementConstraints,
    requiresCompatibilities: from.requiresCompatibilities,
    cpu: from.cpu,
    memory: from.memory,
    pidMode: from.pidMode,
    ipcMode: from.ipcMode,
    proxyConfiguration: from.proxyConfiguration,
    inferenceAccelerators: from.inferenceAccelerators,
    ephemeralStorage: from.ephemeralStorage,
    runtimePlatform: from.runtimePlatform,
    enableFaultInjection: from.enableFaultInjection,
  };
  // Drop absent fields so the request says only what the original revision said.
  for (const key of Object.keys(copy) as (keyof RegisterTaskDefinitionCommandInput)[])
    if (copy[key] === undefined) delete copy[key];
  return copy;
}

/** Sets `changes` on top of `existing`, keeping the original order and replacing same-named variables. */
function mergeEnvironment(
  existing: KeyValuePair[] | undefined,
  changes: Record<string, string>,
): KeyValuePair[] {
  const merged = (existing ?? [])
    .filter((pair) => pair.name === undefined || !(pair.name in changes))
    .map((pair) => ({ ...pair }));
  for (const [name, value] of Object.entries(changes)) merged.push({ name, value });
  return merged;
}

function toTaskDefinitionView(definition: TaskDefinition): TaskDefinitionView {
  if (!definition.taskDefinitionArn || !definition.family)
    throw new Error('ECS returned a task definition without an ARN or family');
  return {
    arn: definition.taskDefinitionArn,
    family: definition.family,
    containers: (definition.containerDefinitions ?? []).map(toContainerView),
  };
}

function toContainerView(container: ContainerDefinition): TaskDefinitionView['containers'][number] {
  const environment: Record<string, string> = {};
  for (const pair of container.environment ?? [])
    if (pair.name !== undefined) environment[pair.name] = pair.value ?? '';
  return { name: container.name ?? '', image: container.image ?? '', environment };
}

/** ECS's service deployment states: SUCCESSFUL is the only good end; the ongoing ones are still pending. */
function toDeploymentEnding(brief: ServiceDeploymentBrief): DeploymentEnding {
  switch (brief.status) {
    case 'SUCCESSFUL':
      return { outcome: 'completed' };
    case 'PENDING':
    case 'IN_PROGRESS':
    case 'STOP_REQUESTED':
    case 'ROLLBACK_REQUESTED':
    case 'ROLLBACK_IN_PROGRESS':
      return { outcome: 'pending' };
    default:
      return {
        outcome: 'failed',
        reason: `service deployment ${brief.status ?? 'in an unknown state'}${brief.statusReason ? `: ${brief.statusReason}` : ''}`,
      };
  }
}

function toDeploymentView(deployment: Deployment): EcsDeploymentView {
  return {
    id: deployment.id ?? '',
    taskDefinitionArn: deployment.taskDefinition ?? '',
    status: deployment.status ?? 'UNKNOWN',
    // ECS leaves rolloutState out for services it cannot track (Classic Load Balancer). Treat that as still
    // in progress: the deployment timeout then fails it, where COMPLETED would pass an unchecked deploy.
    rolloutState: (deployment.rolloutState ?? 'IN_PROGRESS') as RolloutState,
    ...(deployment.createdAt !== undefined ? { createdAt: deployment.createdAt.getTime() } : {}),
    ...(deployment.rolloutStateReason !== undefined
      ? { rolloutStateReason: deployment.rolloutStateReason }
      : {}),
  };
}

/** `arn:aws:ecs:eu-west-1:123456789012:task-definition/api:42` → `api`. */
function familyOf(arn: string): string | undefined {
  return /:task-definition\/(.+):\d+$/.exec(arn)?.[1];
}

function describeTarget(target: EcsTarget): string {
  return `${target.service} in cluster ${target.cluster} (${target.region})`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
