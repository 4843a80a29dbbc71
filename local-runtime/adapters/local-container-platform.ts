import type { DeploymentConfiguration, LoadBalancer } from '@aws-sdk/client-ecs';
import {
  SHIFT_HOOK_STAGE,
  TEST_CHECK_HOOK_STAGE,
  shiftUpdate,
} from '../../shared/aws/ecs-strategies.adapter';
import type { Clock } from '../../shared/clock';
import { AwsTransientError, PipelineMisconfiguredError } from '../../shared/domain/errors';
import type { LifecycleHookEvent } from '../../shared/domain/traffic-shift-hook';
import type { TrafficRouter, TrafficTargets } from '../../shared/ports/traffic';
import type { ServiceDeploymentControl } from '../../shared/ports/traffic-shift';
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
  /** The service's load balancers as ECS has them: blue/green needs one of its wiring's target groups here. */
  loadBalancers?: LoadBalancer[];
  /** The deployment configuration the last UpdateService set (blue/green: strategy, bake time, hooks). */
  deploymentConfiguration?: DeploymentConfiguration;
  /** Which revision's tasks are registered in each target group (services behind a load balancer). */
  targetGroups?: Record<string, string>;
}

/**
 * ECS's blue/green deployments in the local stand-in: the hook ECS invokes, the production listener rules
 * ECS moves after the hook, and the traffic that flows while ECS waits between the hook's calls.
 */
export interface LocalBlueGreenOptions {
  /** Invokes a lifecycle hook's Lambda function as ECS does; rejects when the function fails or is unknown. */
  invokeHook: (functionArn: string, event: LifecycleHookEvent) => Promise<unknown>;
  /** The production listener rules (the local load balancers). */
  router: TrafficRouter & {
    retarget(targets: TrafficTargets): Promise<void>;
    /** The test listener rule's weights: ECS's TEST_TRAFFIC_SHIFT sends all test traffic to green. */
    shiftTestTraffic?(targets: TrafficTargets, greenPercent: number): Promise<void>;
  };
  /** Runs while ECS waits `waitMs` before calling the hook again: the users' requests meanwhile. */
  whileWaiting?: (targets: TrafficTargets, waitMs: number) => Promise<void>;
}

/**
 * Where a blue/green deployment in progress is, as plain JSON: what a restarted local stack needs to carry
 * it on where ECS would be (ECS keeps running while the local stack is stopped; here time stands still).
 */
export interface SavedShift {
  /** The deployment (`ecs-svc/…`) in its service's list. */
  deploymentId: string;
  service: EcsTarget;
  targets: TrafficTargets;
  blueTaskDefinitionArn: string;
  greenTaskDefinitionArn: string;
  /** Where ECS is in the deployment's lifecycle. */
  stage: 'SCALE_UP' | HookStage | 'BAKE_TIME';
  /** The pipeline's hook as UpdateService registered it. */
  hook: {
    functionArn: string;
    /** The lifecycle stages it is registered at. */
    stages: string[];
    /** The hookDetails of the service's configuration: each stage's first call gets these. */
    registeredDetails?: unknown;
    /** Whether the service's load balancer has a test listener rule (ECS then shifts test traffic). */
    testListener: boolean;
    timeoutMs: number;
    bakeMs: number;
  };
  /** Whether the test listener sends green the test traffic now. */
  testTraffic?: boolean;
  /** What ECS passes to the stage's next call: the registered hookDetails, then those the last call returned. */
  hookDetails?: unknown;
  /** When ECS first called the hook at this stage (stack clock): its timeout counts from here. */
  hookStartedAt?: number;
  /** When ECS calls the hook next (stack clock). */
  nextCallAt?: number;
  /** The wait before the next call whose users' traffic is still to be sent, ms. */
  trafficToSendMs?: number;
  /** When blue's bake time ends (stack clock). */
  bakeEndsAt?: number;
}

/** The lifecycle stages the pipeline's hook runs at (the test checks', then the production shift's). */
type HookStage = typeof TEST_CHECK_HOOK_STAGE | typeof SHIFT_HOOK_STAGE;

/** A blue/green deployment in progress, beside its view in the service's list. */
interface Shift {
  deployment: EcsDeploymentView;
  service: LocalService;
  /** Everything a restart needs, kept up to date as the deployment goes. */
  saved: SavedShift;
  /** Ends the deployment's waits when StopServiceDeployment or a newer deployment takes over. */
  stop: AbortController;
}

/** ECS's limit on bakeTimeInMinutes (UpdateService refuses more). */
const MAX_BAKE_MINUTES = 1440;
/** ECS calls an IN_PROGRESS hook again after this many seconds unless it returns a callBackDelay. */
const DEFAULT_CALLBACK_DELAY_SECONDS = 30;

/** The platform's state as plain JSON, for `pipeline local --data-dir`. */
export interface LocalContainerPlatformSnapshot {
  services: LocalService[];
  taskDefinitions: LocalTaskDefinition[];
  revisions: [family: string, revision: number][];
  deploymentCounter: number;
  /** ECS's deployment history per service (absent in snapshots written before it was kept). */
  history?: [service: string, deployments: EndedLocalDeployment[]][];
  /** Blue/green deployments in progress (absent in snapshots written before they were kept). */
  shifts?: SavedShift[];
}

export interface LocalContainerPlatformOptions {
  clock: Clock;
  /** How long a deployment takes to reach steady state, in clock time. Default 90 s. */
  deploymentMs?: number;
  behaviourOf?: (container: ContainerView, target: EcsTarget) => ImageBehaviour;
  /** Called when a deployment completes or fails, as ECS would emit its state change event. */
  onDeploymentFinished?: (event: LocalDeploymentEvent) => void;
  /** Blue/green deployments (stages that shift traffic); without it UpdateService refuses them. */
  blueGreen?: LocalBlueGreenOptions;
}

/**
 * ECS on one machine: services, task definition revisions and deployments in memory, with the same
 * semantics the pipeline relies on (a new deployment per update, rollout state, circuit breaker rolling
 * back to the last completed revision, state change notifications).
 */
export class LocalContainerPlatform implements ContainerPlatform, ServiceDeploymentControl {
  private readonly services = new Map<string, LocalService>();
  /** Blue/green deployments in progress, by deployment id. */
  private readonly shifts = new Map<string, Shift>();
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

  /**
   * Registers the service with a load balancer's target group, as a team creates a service for blue/green:
   * its tasks serve in `targetGroupArn`, the blue one of the pair the config wires.
   */
  attachLoadBalancer(target: EcsTarget, targetGroupArn: string, containerName: string): void {
    const service = this.requireService(target);
    if (service.loadBalancers?.length) return; // restored, or attached before
    service.loadBalancers = [{ targetGroupArn, containerName, containerPort: 8080 }];
    service.targetGroups = { [targetGroupArn]: service.servingTaskDefinitionArn };
  }

  /** The revision whose tasks are registered in a target group of the service, if any. */
  servingIn(target: EcsTarget, targetGroupArn: string): LocalTaskDefinition | undefined {
    const arn = this.services.get(key(target))?.targetGroups?.[targetGroupArn];
    return arn === undefined ? undefined : this.taskDefinitions.get(arn);
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
      shifts: [...this.shifts.values()].map((shift) => shift.saved),
    });
  }

  /**
   * Takes the state of a snapshot in place of this platform's. Deployments in progress then finish when
   * they would have: their full duration after they started, on the clock. A blue/green deployment goes on
   * from where it was: green scaling up, the hook called again when it was due with the hookDetails its
   * last call returned, or blue's bake time (the load balancers restore their own weights).
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
    this.shifts.clear();
    for (const saved of copy.shifts ?? []) {
      const service = this.services.get(key(saved.service));
      const deployment = service?.deployments.find((d) => d.id === saved.deploymentId);
      const td = this.taskDefinitions.get(saved.greenTaskDefinitionArn);
      const blueGreen = this.options.blueGreen;
      if (!service || !deployment || deployment.rolloutState !== 'IN_PROGRESS' || !td || !blueGreen) continue;
      const shift: Shift = { deployment, service, saved, stop: new AbortController() };
      this.shifts.set(deployment.id, shift);
      void this.runBlueGreen(shift, td, blueGreen);
    }
    for (const service of this.services.values())
      for (const deployment of service.deployments) {
        const td = this.taskDefinitions.get(deployment.taskDefinitionArn);
        if (deployment.rolloutState === 'IN_PROGRESS' && td && !this.shifts.has(deployment.id))
          void this.finishLater(service, deployment, td);
      }
  }

  /** Drops deployments still in progress: nothing completes after the local stack stops. */
  stop(): void {
    this.stopped.abort();
    for (const shift of this.shifts.values()) shift.stop.abort();
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
   * Without `shift`, a rolling update. With `shift` (a stage that shifts traffic), an ECS blue/green
   * deployment with the pipeline's hook at PRE_PRODUCTION_TRAFFIC_SHIFT: green starts beside blue, the hook
   * is called until it answers SUCCEEDED (green then gets everything and blue is kept `keepBlueMinutes`)
   * or FAILED (back to blue). UpdateService refuses what ECS refuses: a service behind no target group of
   * the wiring, a hook of the team's at the hook's stage, a bake time beyond 24 hours.
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
    if (shift) return this.startBlueGreen(service, td, shift);
    this.abandonShifts(service);

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

  private startBlueGreen(
    service: LocalService,
    td: LocalTaskDefinition,
    request: ShiftRequest,
  ): { deploymentId: string } {
    const { target } = service;
    const where = `${target.service} in cluster ${target.cluster} (${target.region})`;
    const blueGreen = this.options.blueGreen;
    if (!blueGreen)
      throw new PipelineMisconfiguredError(
        `ECS UpdateService of ${where}: this local stack has no load balancers for blue/green deployments`,
      );
    if (!service.loadBalancers?.length)
      throw new PipelineMisconfiguredError(
        `ECS UpdateService of ${where}: InvalidParameterException: a BLUE_GREEN deployment needs the service ` +
          'registered with a load balancer target group; create the service with the blue target group of its wiring',
      );
    // The same UpdateService the ECS adapter sends: its hookDetails, load balancers and refusals.
    const { deploymentConfiguration, loadBalancers } = shiftUpdate(
      {
        ...(service.deploymentConfiguration && { deploymentConfiguration: service.deploymentConfiguration }),
        loadBalancers: service.loadBalancers,
      },
      request,
      where,
    );
    const bake = deploymentConfiguration.bakeTimeInMinutes ?? 0;
    if (!Number.isInteger(bake) || bake < 0 || bake > MAX_BAKE_MINUTES)
      throw new PipelineMisconfiguredError(
        `ECS UpdateService of ${where}: InvalidParameterException: bakeTimeInMinutes must be a whole number from 0 to ${MAX_BAKE_MINUTES}, got ${bake}`,
      );
    const hook = deploymentConfiguration.lifecycleHooks?.find(
      (h) => h.hookTargetArn === request.hook.functionArn,
    );
    const advanced = loadBalancers.find((lb) => lb.advancedConfiguration)!;
    const targets: TrafficTargets = {
      region: target.region,
      loadBalancer: request.traffic.loadBalancer.loadBalancerArn,
      listenerRule: request.traffic.loadBalancer.productionListenerRuleArn,
      blueTargetGroup: advanced.targetGroupArn!,
      greenTargetGroup: advanced.advancedConfiguration!.alternateTargetGroupArn!,
    };

    const blueTaskDefinitionArn = service.servingTaskDefinitionArn;
    const deployment: EcsDeploymentView = {
      id: this.newDeploymentId(),
      taskDefinitionArn: td.arn,
      status: 'PRIMARY',
      rolloutState: 'IN_PROGRESS',
      createdAt: this.options.clock.now(),
    };
    this.abandonShifts(service);
    const blue = service.deployments.find((d) => d.taskDefinitionArn === blueTaskDefinitionArn);
    this.replaceDeployments(service, [deployment, ...(blue ? [blue] : [])]);
    for (const d of service.deployments) if (d !== deployment) d.status = 'ACTIVE';
    service.taskDefinitionArn = td.arn;
    service.deploymentConfiguration = deploymentConfiguration;
    service.loadBalancers = loadBalancers;
    const shift: Shift = {
      deployment,
      service,
      saved: {
        deploymentId: deployment.id,
        service: target,
        targets,
        blueTaskDefinitionArn,
        greenTaskDefinitionArn: td.arn,
        stage: 'SCALE_UP',
        hook: {
          functionArn: request.hook.functionArn,
          stages: hook?.lifecycleStages ?? [],
          ...(hook?.hookDetails !== undefined && { registeredDetails: hook.hookDetails }),
          testListener: advanced.advancedConfiguration!.testListenerRule !== undefined,
          timeoutMs: (hook?.timeoutConfiguration?.timeoutInMinutes ?? 60) * 60_000,
          bakeMs: bake * 60_000,
        },
      },
      stop: new AbortController(),
    };
    this.shifts.set(deployment.id, shift);
    void this.runBlueGreen(shift, td, blueGreen);
    return { deploymentId: deployment.id };
  }

  /**
   * ECS's blue/green lifecycle: scale green up beside blue; with a test listener rule, send it all the test
   * traffic (TEST_TRAFFIC_SHIFT) and call the hook at POST_TEST_TRAFFIC_SHIFT if it is registered there;
   * then the hook before the production shift; each hook again after each `callBackDelay` while it answers
   * IN_PROGRESS, with the `hookDetails` it returned. Then green gets everything and blue is kept for the
   * bake time, or everything goes back to blue. Each move is written to `shift.saved` before the wait after
   * it, so a restarted stack goes on from the last one.
   */
  private async runBlueGreen(
    shift: Shift,
    td: LocalTaskDefinition,
    blueGreen: LocalBlueGreenOptions,
  ): Promise<void> {
    const { clock } = this.options;
    const { service, deployment, saved } = shift;
    const { targets, hook } = saved;
    const signal = AbortSignal.any([shift.stop.signal, this.stopped.signal]);
    const sleepUntil = (at: number) => clock.sleep(Math.max(0, at - clock.now()), signal);
    // A restarted stack goes on from the stage it saved (the load balancers restore their own weights).
    try {
      if (saved.stage === 'SCALE_UP') {
        await sleepUntil((deployment.createdAt ?? clock.now()) + (this.options.deploymentMs ?? 90_000));
        if (td.containers.some((c) => this.options.behaviourOf?.(c, service.target).failsToStart))
          return await this.endShift(
            shift,
            'FAILED',
            'ECS deployment failed: green tasks failed to start; blue kept serving.',
          );
        // Green's tasks are registered in the alternate target group; the listener still sends all to blue.
        service.targetGroups = { ...service.targetGroups, [targets.greenTargetGroup]: td.arn };
        await blueGreen.router.retarget(targets);
        if (hook.testListener) {
          await blueGreen.router.shiftTestTraffic?.(targets, 100);
          saved.testTraffic = true;
        }
        this.enterHookStage(
          saved,
          hook.stages.includes(TEST_CHECK_HOOK_STAGE) ? TEST_CHECK_HOOK_STAGE : SHIFT_HOOK_STAGE,
        );
      }

      if (saved.stage === TEST_CHECK_HOOK_STAGE) {
        if (!(await this.callHookUntilDone(shift, td, blueGreen, signal))) return;
        this.enterHookStage(saved, SHIFT_HOOK_STAGE);
      }

      if (saved.stage === SHIFT_HOOK_STAGE) {
        if (!(await this.callHookUntilDone(shift, td, blueGreen, signal))) return;

        // The hook succeeded: ECS sends green everything and keeps blue for the bake time.
        await blueGreen.router.setGreenWeight(targets, 100);
        service.servingTaskDefinitionArn = td.arn;
        saved.stage = 'BAKE_TIME';
        saved.bakeEndsAt = clock.now() + hook.bakeMs;
        delete saved.nextCallAt;
        delete saved.trafficToSendMs;
      }

      await sleepUntil(saved.bakeEndsAt ?? clock.now());
      await this.endShift(shift, 'COMPLETED', `ECS deployment ${deployment.id} completed.`);
    } catch {
      // Stopped (StopServiceDeployment, a newer deployment) or the local stack is shutting down.
    }
  }

  /** Sets the deployment at a hook's stage: its first call now, with the registered hookDetails. */
  private enterHookStage(saved: SavedShift, stage: HookStage): void {
    const now = this.options.clock.now();
    saved.stage = stage;
    saved.hookStartedAt = now;
    saved.nextCallAt = now;
    if (saved.hook.registeredDetails === undefined) delete saved.hookDetails;
    else saved.hookDetails = saved.hook.registeredDetails;
    delete saved.trafficToSendMs;
  }

  /**
   * The hook at the deployment's stage, called until it answers SUCCEEDED (true); anything else ends the
   * deployment with a rollback, as ECS does (false, also when the stack stops). Each stage starts from the
   * hookDetails of the service's configuration: what a hook returned at one stage is not relied on at the
   * next. Its timeout counts from the stage's first call.
   */
  private async callHookUntilDone(
    shift: Shift,
    td: LocalTaskDefinition,
    blueGreen: LocalBlueGreenOptions,
    signal: AbortSignal,
  ): Promise<boolean> {
    const { clock } = this.options;
    const { service, deployment, saved } = shift;
    const { targets, hook } = saved;
    const stage = saved.stage as HookStage;
    const sleepUntil = (at: number) => clock.sleep(Math.max(0, at - clock.now()), signal);
    const started = saved.hookStartedAt ?? clock.now();
    for (;;) {
      // ECS gives up on a hook whose next call would come after its timeout.
      if ((saved.nextCallAt ?? clock.now()) - started > hook.timeoutMs) {
        await sleepUntil(started + hook.timeoutMs);
        return await this.rollBack(
          shift,
          `lifecycle hook at ${stage} timed out after ${Math.round(hook.timeoutMs / 60_000)} minutes (action ROLLBACK)`,
        );
      }
      if (saved.trafficToSendMs !== undefined) {
        await blueGreen.whileWaiting?.(targets, saved.trafficToSendMs);
        delete saved.trafficToSendMs;
      }
      await sleepUntil(saved.nextCallAt ?? clock.now());
      let answer: { hookStatus?: unknown; callBackDelay?: unknown; hookDetails?: unknown };
      try {
        answer = ((await blueGreen.invokeHook(hook.functionArn, {
          executionId: `${deployment.id}-${stage}`,
          lifecycleStage: stage,
          resourceArn: this.serviceDeploymentArn(service.target, deployment.id),
          executionDetails: {
            serviceArn: serviceArnOf(service.target),
            targetServiceRevisionArn: td.arn,
          },
          ...(saved.hookDetails !== undefined && { hookDetails: saved.hookDetails }),
        })) ?? {}) as typeof answer;
      } catch (error) {
        if (signal.aborted) return false;
        return await this.rollBack(
          shift,
          `lifecycle hook ${hook.functionArn} failed at ${stage}: ${(error as Error).message}`,
        );
      }
      if (answer.hookStatus === 'IN_PROGRESS') {
        // Kept before the check below: a stack stopping during the call saves its answer and goes on from it.
        if (answer.hookDetails !== undefined) saved.hookDetails = answer.hookDetails;
        const delay =
          typeof answer.callBackDelay === 'number' && answer.callBackDelay > 0
            ? answer.callBackDelay
            : DEFAULT_CALLBACK_DELAY_SECONDS;
        saved.nextCallAt = clock.now() + delay * 1000;
        saved.trafficToSendMs = delay * 1000;
      }
      // Otherwise a stack stopping now calls the hook again on its next start, as ECS retries an invocation.
      if (signal.aborted) return false;
      if (answer.hookStatus === 'SUCCEEDED') return true;
      if (answer.hookStatus !== 'IN_PROGRESS')
        return await this.rollBack(
          shift,
          answer.hookStatus === 'FAILED'
            ? `lifecycle hook at ${stage} returned FAILED`
            : `lifecycle hook at ${stage} returned no valid hookStatus (${JSON.stringify(answer.hookStatus) ?? 'none'})`,
        );
    }
  }

  /** Ends the deployment with ECS's rollback; false, so a caller can `return` it as the hook's outcome. */
  private async rollBack(shift: Shift, reason: string): Promise<false> {
    await this.endShift(shift, 'ROLLBACK', reason);
    return false;
  }

  /**
   * Ends a blue/green deployment. COMPLETED: blue's tasks stop and the service's load balancer entry names
   * green's target group from now on (ECS alternates the two). FAILED/ROLLBACK: production traffic goes back
   * to blue, which still runs, and green's tasks stop.
   */
  private async endShift(
    shift: Shift,
    outcome: 'COMPLETED' | 'FAILED' | 'ROLLBACK',
    reason: string,
  ): Promise<void> {
    const { service, deployment } = shift;
    const { targets } = shift.saved;
    if (this.shifts.get(deployment.id) !== shift) return;
    this.shifts.delete(deployment.id);
    const groups = { ...service.targetGroups };
    if (outcome === 'COMPLETED') {
      delete groups[targets.blueTargetGroup];
      service.loadBalancers = (service.loadBalancers ?? []).map((lb) =>
        lb.targetGroupArn === targets.blueTargetGroup
          ? { ...lb, targetGroupArn: targets.greenTargetGroup }
          : lb,
      );
      service.servingTaskDefinitionArn = shift.saved.greenTaskDefinitionArn;
      deployment.rolloutState = 'COMPLETED';
      this.replaceDeployments(service, [deployment]);
    } else {
      if (outcome === 'ROLLBACK' && shift.saved.stage !== 'SCALE_UP')
        await this.options.blueGreen?.router.setGreenWeight(targets, 0);
      if (shift.saved.testTraffic) await this.options.blueGreen?.router.shiftTestTraffic?.(targets, 0);
      delete groups[targets.greenTargetGroup];
      service.servingTaskDefinitionArn = shift.saved.blueTaskDefinitionArn;
      service.taskDefinitionArn = shift.saved.blueTaskDefinitionArn;
      deployment.rolloutState = 'FAILED';
      deployment.status = 'ACTIVE';
      deployment.rolloutStateReason = reason;
      const blue = service.deployments.find((d) => d.taskDefinitionArn === shift.saved.blueTaskDefinitionArn);
      if (blue) blue.status = 'PRIMARY';
      service.deployments = [...(blue ? [blue] : []), deployment];
    }
    service.targetGroups = groups;
    this.options.onDeploymentFinished?.({
      target: service.target,
      deploymentId: deployment.id,
      outcome: outcome === 'COMPLETED' ? 'COMPLETED' : 'FAILED',
      reason,
      taskDefinitionArn: deployment.taskDefinitionArn,
    });
  }

  /**
   * StopServiceDeployment: stops a blue/green deployment in progress (green scaling up, the hook shifting,
   * or blue's bake time) with ROLLBACK. Refuses, as ECS does, a deployment that is not in progress and any
   * stop type but ROLLBACK.
   */
  async stopServiceDeployment(
    serviceDeploymentArn: string,
    stopType: string,
  ): Promise<{ serviceDeploymentArn: string }> {
    this.enter('stopServiceDeployment', serviceDeploymentArn, stopType);
    const id = /service-deployment\/[^/]+\/[^/]+\/(.+)$/.exec(serviceDeploymentArn)?.[1];
    const shift = id === undefined ? undefined : this.shifts.get(`ecs-svc/${id}`);
    if (stopType !== 'ROLLBACK')
      throw new PipelineMisconfiguredError(
        `ECS StopServiceDeployment of ${serviceDeploymentArn}: InvalidParameterException: stopType must be ROLLBACK, got ${stopType}`,
      );
    if (!shift)
      throw new PipelineMisconfiguredError(
        `ECS StopServiceDeployment of ${serviceDeploymentArn}: ConflictException: the service deployment is not in progress (only PENDING or IN_PROGRESS deployments can be stopped)`,
      );
    shift.stop.abort();
    await this.endShift(
      shift,
      'ROLLBACK',
      `ECS deployment ${shift.deployment.id} stopped with ROLLBACK (StopServiceDeployment): production traffic back on blue`,
    );
    return { serviceDeploymentArn };
  }

  /** The ServiceDeploymentControl port: stops the service's blue/green deployment in progress, if any. */
  async rollBackInProgress(target: EcsTarget): Promise<{ serviceDeploymentArn: string } | undefined> {
    this.enter('rollBackInProgress', target);
    this.requireService(target);
    const shift = [...this.shifts.values()].find((s) => key(s.service.target) === key(target));
    if (!shift) return undefined;
    return this.stopServiceDeployment(this.serviceDeploymentArn(target, shift.deployment.id), 'ROLLBACK');
  }

  /** A newer deployment takes over from a blue/green one still in progress, as from a rolling update. */
  private abandonShifts(service: LocalService): void {
    for (const older of this.shifts.values())
      if (older.service === service) {
        older.stop.abort();
        this.shifts.delete(older.deployment.id);
      }
  }

  /** Where a blue/green deployment of a service is now: its lifecycle stage, or undefined when none runs. */
  blueGreenStage(target: EcsTarget): SavedShift['stage'] | undefined {
    return [...this.shifts.values()].find((s) => key(s.service.target) === key(target))?.saved.stage;
  }

  private serviceDeploymentArn(target: EcsTarget, deploymentId: string): string {
    return `arn:aws:ecs:${target.region}:000000000000:service-deployment/${target.cluster}/${target.service}/${deploymentId.replace('ecs-svc/', '')}`;
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
      // A rolling update replaces the tasks in the target group the service is registered with.
      const registered = service.loadBalancers?.[0]?.targetGroupArn;
      if (registered && service.targetGroups) service.targetGroups[registered] = td.arn;
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

function serviceArnOf(target: EcsTarget): string {
  return `arn:aws:ecs:${target.region}:000000000000:service/${target.cluster}/${target.service}`;
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
