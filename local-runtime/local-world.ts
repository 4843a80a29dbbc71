/**
 * The AWS world the local pipeline deploys into: the local stand-ins for ECS, CloudWatch alarms, ECR and the
 * environments' endpoints, seeded from the config, and how each version behaves in them (the knobs that
 * show the failure paths).
 */
import type { Clock } from '../shared/clock';
import type { PipelineConfig } from '../shared/config/config.schema';
import type { ContainerView, EcsTarget } from '../shared/ports/deployment';
import { planStages, type Stage } from '../shared/domain/stage';
import { DEPLOYED_ENV } from '../shared/domain/deployment-record';
import { DIGEST } from '../shared/domain/image';
import { ALARM_EVENT_DETAIL_TYPE, ALARM_EVENT_SOURCE } from '../shared/events/alarm-state-change.schema';
import { LocalAlarmSource, type LocalAlarmChange } from './adapters/local-alarm-source';
import {
  LocalContainerPlatform,
  teamTaskDefinition,
  type LocalDeploymentEvent,
} from './adapters/local-container-platform';
import { LocalImageRegistry } from './adapters/local-image-registry';
import { LocalServiceFleet, sampleStateOf } from './adapters/local-service-fleet';
import type { LifecycleHookEvent } from '../shared/domain/traffic-shift-hook';
import type { TrafficTargets } from '../shared/ports/traffic';
import { LocalLoadBalancers } from './traffic/local-load-balancers';
import { LOCAL_ACCOUNT } from './state-machine-definitions';

/** How a version behaves locally, keyed by commit (prefix): the knobs that show the failure paths. */
export interface VersionBehaviour {
  /** ECS tasks never become healthy: the circuit breaker fails the deployment. */
  failsToStart?: boolean;
  /** The health check answers 503: smoke tests fail. */
  failsHealthCheck?: boolean;
  /** The environment's alarms go to ALARM while it serves: the bake fails. */
  breachesAlarms?: boolean;
  /**
   * With `breachesAlarms`: the alarms go to ALARM this many minutes (pipeline time) into the bake instead of
   * as soon as the version serves, so the bake's reaction time shows.
   */
  alarmAfterMinutes?: number;
  /** This share (0–1) of its requests, other than the health check, answer 500: a canary catches it. */
  errorRate?: number;
  /** Its requests, other than the health check, take this many times longer: a canary catches it. */
  latencyFactor?: number;
  /**
   * This share (0–1) of its checkouts that would succeed fail quietly (answered 200, reported as failed in
   * its business metric): errors and latency stay healthy, a canary judging KPIs catches it.
   */
  kpiDrop?: number;
  /**
   * Its build ships a migration that fails (a real SQL error in the local database): the stage stops at
   * "Run migrations", before anything deploys. Only for services with `migrations:` in the config.
   */
  breaksMigration?: boolean;
  /** Misbehave only in these targets (cluster optional), e.g. one production region. Default: everywhere. */
  only?: { region: string; cluster?: string }[];
}

export interface LocalWorldOptions {
  config: PipelineConfig;
  clock: Clock;
  /** Behaviour per commit prefix. */
  behaviours?: Record<string, VersionBehaviour>;
  /** How long an ECS deployment takes, in pipeline time. Default 90 s. */
  deploymentMs?: number;
  /** Called once the world reacted to a finished ECS deployment (the alarms moved). */
  onDeploymentFinished: (event: LocalDeploymentEvent) => void;
  /** How ECS invokes a blue/green deployment's lifecycle hook (the pipeline's traffic shift function). */
  invokeHook?: (functionArn: string, event: LifecycleHookEvent) => Promise<unknown>;
  /**
   * The users' requests to each load balancer, per minute of pipeline time, sent while a blue/green
   * deployment's hook waits. Default 1,600: at a 5% step of 10 minutes green serves the default judgement's
   * 800 requests.
   */
  trafficPerMinute?: number;
  /** Holds the stack's clock while real requests are on their way (virtual time must not move meanwhile). */
  track?: <T>(work: Promise<T>) => Promise<T>;
}

/** Requests per minute of pipeline time the local load balancers get while a deployment shifts traffic. */
export const DEFAULT_TRAFFIC_PER_MINUTE = 1_600;

/** Every stage of every service, in every environment (what the local world must contain). */
export function allStages(config: PipelineConfig): Stage[] {
  return config.services.flatMap((service) => [
    ...planStages(config, service.name, 'push'),
    ...planStages(config, service.name, 'tag'),
  ]);
}

export class LocalWorld {
  readonly platform: LocalContainerPlatform;
  readonly alarms: LocalAlarmSource;
  readonly fleet: LocalServiceFleet;
  readonly registry = new LocalImageRegistry();
  /** One real load balancer per environment/region whose strategy shifts traffic (started when first used). */
  readonly loadBalancers: LocalLoadBalancers;
  /** The pipeline's own region: its event bus and the ECR repositories whose pushes reach its rules. */
  readonly region: string;
  /** Ends the alarms still to fire later in a bake (`alarmAfterMinutes`) when the stack closes. */
  private readonly timers = new AbortController();

  constructor(private readonly options: LocalWorldOptions) {
    const { config, clock } = options;
    this.region = config.environments[0]?.regions[0] ?? 'eu-west-1';
    this.alarms = new LocalAlarmSource(clock);
    const behaviourOf = (container: ContainerView, target: EcsTarget) => this.behaviourOf(container, target);
    this.loadBalancers = new LocalLoadBalancers({ clock });
    const track = options.track ?? (<T>(work: Promise<T>) => work);
    const invokeHook = options.invokeHook;
    this.platform = new LocalContainerPlatform({
      clock,
      deploymentMs: options.deploymentMs ?? 90_000,
      behaviourOf,
      onDeploymentFinished: (event) => {
        this.moveAlarms(event);
        options.onDeploymentFinished(event);
      },
      ...(invokeHook && {
        blueGreen: {
          invokeHook,
          router: this.loadBalancers,
          whileWaiting: (targets: TrafficTargets, waitMs: number) => track(this.sendTraffic(targets, waitMs)),
        },
      }),
    });
    const stages = allStages(config);
    for (const stage of stages) {
      const wiring = stage.traffic?.loadBalancer;
      if (!wiring) continue;
      this.loadBalancers.define({
        region: stage.region,
        loadBalancer: wiring.loadBalancerArn,
        listenerRule: wiring.productionListenerRuleArn,
        blueTargetGroup: wiring.blueTargetGroupArn,
        greenTargetGroup: wiring.greenTargetGroupArn,
        stateOf: (targetGroup) => {
          const container = this.platform
            .servingIn(stage, targetGroup)
            ?.containers.find((c) => c.name === stage.container);
          return container && sampleStateOf(container, behaviourOf(container, stage));
        },
      });
    }
    // Requests to an environment behind a local load balancer go through it, as they do through the ALB;
    // requests to its test endpoint (blue-green's test checks) through its test listener.
    const behind = new Map<string, () => Promise<string>>();
    const testEndpoints: Stage[] = [];
    for (const s of stages) {
      const wiring = s.traffic?.loadBalancer;
      if (!wiring) continue;
      const rule = wiring.productionListenerRuleArn;
      behind.set(new URL(s.endpoint).origin, () => this.loadBalancers.urlOf(rule));
      if (wiring.testEndpoint === undefined) continue;
      behind.set(new URL(wiring.testEndpoint).origin, () => this.loadBalancers.testUrlOf(rule));
      testEndpoints.push({ ...s, endpoint: wiring.testEndpoint });
    }
    this.fleet = new LocalServiceFleet(this.platform, [...stages, ...testEndpoints], behaviourOf, (origin) =>
      behind.get(origin)?.(),
    );
  }

  /** The users' requests while a deployment's hook waits `waitMs`: the configured rate, all answered. */
  private async sendTraffic(targets: TrafficTargets, waitMs: number): Promise<void> {
    const perMinute = this.options.trafficPerMinute ?? DEFAULT_TRAFFIC_PER_MINUTE;
    await this.loadBalancers.send(targets.listenerRule, Math.round((perMinute * waitMs) / 60_000));
  }

  /** The config's services and alarms, where the restored state does not have them yet. */
  seed(): void {
    const { config } = this.options;
    // The repositories exist before the first push, as they do in AWS.
    for (const service of config.services) this.registry.createRepository(this.region, service.ecrRepository);
    for (const stage of allStages(config)) {
      if (!this.platform.hasService(stage)) {
        const { container, definition } = teamTaskDefinition(stage);
        this.platform.seedService(stage, container, definition);
      }
      // A service that shifts traffic serves behind the blue target group of its wiring.
      if (stage.traffic)
        this.platform.attachLoadBalancer(
          stage,
          stage.traffic.loadBalancer.blueTargetGroupArn,
          stage.container,
        );
      for (const name of stage.alarms.names) this.alarms.define(stage.region, name);
      for (const prefix of stage.alarms.prefixes) this.alarms.define(stage.region, `${prefix}-p99`);
    }
  }

  /**
   * ECR stores the image before it announces the push: the local registry learns it the same way, pushed at
   * the event's `time`. Returns that time for an ECR push event, undefined for any other event.
   */
  recordImagePush(event: unknown): number | undefined {
    const push = event as {
      source?: string;
      time?: string;
      region?: string;
      account?: string;
      detail?: Record<string, unknown>;
    };
    const detail = push.detail ?? {};
    if (push.source !== 'aws.ecr' || detail['action-type'] !== 'PUSH' || detail.result !== 'SUCCESS')
      return undefined;
    const [repository, tag, digest] = [
      detail['repository-name'],
      detail['image-tag'],
      detail['image-digest'],
    ];
    if (
      typeof repository !== 'string' ||
      typeof tag !== 'string' ||
      typeof digest !== 'string' ||
      // ECR names every image by its sha256 digest: a push event without one is a malformed event, not an
      // image (start-promotion ignores it, and a later release must not find it and fail halfway).
      !DIGEST.test(digest) ||
      !push.region
    )
      return undefined;
    // ECR's push event says when the push happened, and ECR's DescribeImages says the same (imagePushedAt):
    // the sweep orders a push it finds by that time, so it must be the event's, not when the event arrived.
    const eventTime = typeof push.time === 'string' ? Date.parse(push.time) : Number.NaN;
    const pushedAt = Number.isNaN(eventTime) ? this.options.clock.now() : eventTime;
    this.registry.recordPush({
      region: push.region,
      repository,
      tag,
      digest,
      pushedAt,
      ...(typeof push.account === 'string' && { registryId: push.account }),
    });
    return pushedAt;
  }

  /**
   * A stage began its bake (the local "Bake" step says so): a version that breaches its alarms some minutes
   * into the bake (`alarmAfterMinutes`) drives them into ALARM then, if it still serves.
   */
  bakeStarted(target: EcsTarget): void {
    const stage = this.stageAt(target);
    const serving = this.platform.serving(target);
    const container = serving?.containers.find((c) => c.name === stage?.container);
    if (!stage || !serving || !container) return;
    const behaviour = this.behaviourOf(container, target);
    if (!behaviour.breachesAlarms || behaviour.alarmAfterMinutes === undefined) return;
    const minutes = behaviour.alarmAfterMinutes;
    this.options.clock.sleep(minutes * 60_000, this.timers.signal).then(
      () => {
        if (this.platform.serving(target)?.arn !== serving.arn) return; // rolled back meanwhile
        for (const name of this.alarms.matching(stage.region, stage.alarms))
          this.alarms.set(
            stage.region,
            name,
            'ALARM',
            `Threshold Crossed: 5xx rate above 5% (minute ${minutes} of the bake)`,
          );
      },
      () => undefined,
    );
  }

  /** Drops the alarms still to fire (the stack is closing). */
  stop(): void {
    this.timers.abort();
  }

  /** Closes the local load balancers and their services. */
  async close(): Promise<void> {
    await this.loadBalancers.close();
  }

  private stageAt(target: EcsTarget): Stage | undefined {
    return allStages(this.options.config).find(
      (s) => s.region === target.region && s.cluster === target.cluster && s.service === target.service,
    );
  }

  /** Serving a version that breaches alarms drives them into ALARM; any other version brings them back. */
  private moveAlarms(event: LocalDeploymentEvent): void {
    const stage = this.stageAt(event.target);
    if (!stage || event.outcome !== 'COMPLETED') return;
    const container = this.platform.serving(event.target)?.containers.find((c) => c.name === stage.container);
    const behaviour = container ? this.behaviourOf(container, event.target) : {};
    // A breach timed into the bake waits for it (bakeStarted); until then the alarms are OK.
    const breach = behaviour.breachesAlarms === true && behaviour.alarmAfterMinutes === undefined;
    for (const name of this.alarms.matching(stage.region, stage.alarms))
      this.alarms.set(
        stage.region,
        name,
        breach ? 'ALARM' : 'OK',
        breach ? 'Threshold Crossed: 5xx rate above 5%' : 'back to normal',
      );
  }

  /** The behaviour of the commit a container runs (the pipeline sets PIPELINE_COMMIT on every deploy). */
  private behaviourOf(container: ContainerView, target: EcsTarget): VersionBehaviour {
    return this.behaviourOfCommit(container.environment[DEPLOYED_ENV.commit] ?? '', target);
  }

  /** How a commit behaves in a target (`behaviours`, by commit prefix, where `only` allows). */
  behaviourOfCommit(commit: string, target: EcsTarget): VersionBehaviour {
    if (!commit) return {};
    const entry = Object.entries(this.options.behaviours ?? {}).find(([prefix]) => commit.startsWith(prefix));
    const behaviour = entry?.[1] ?? {};
    const where = behaviour.only;
    if (
      where &&
      !where.some((w) => w.region === target.region && (!w.cluster || w.cluster === target.cluster))
    )
      return {};
    return behaviour;
  }
}

/** The `CloudWatch Alarm State Change` event CloudWatch puts on its region's default bus. */
export function alarmStateChange(change: LocalAlarmChange): unknown {
  // CloudWatch writes state timestamps with a +0000 offset, not Z.
  const stamp = (at: number): string => new Date(at).toISOString().replace('Z', '+0000');
  return {
    version: '0',
    id: `alarm-${change.region}-${change.name}-${change.at}-${change.state}`,
    'detail-type': ALARM_EVENT_DETAIL_TYPE,
    source: ALARM_EVENT_SOURCE,
    account: LOCAL_ACCOUNT,
    time: new Date(change.at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: change.region,
    resources: [`arn:aws:cloudwatch:${change.region}:${LOCAL_ACCOUNT}:alarm:${change.name}`],
    detail: {
      alarmName: change.name,
      state: { value: change.state, reason: change.reason, timestamp: stamp(change.at) },
      previousState: { value: change.previous, reason: 'earlier state', timestamp: stamp(change.at) },
    },
  };
}

/** The `ECS Deployment State Change` event ECS puts on the default bus when a deployment finishes. */
export function ecsDeploymentStateChange(event: LocalDeploymentEvent, now: number): unknown {
  return {
    version: '0',
    id: `ecs-${event.deploymentId}-${event.outcome}`,
    'detail-type': 'ECS Deployment State Change',
    source: 'aws.ecs',
    account: LOCAL_ACCOUNT,
    time: new Date(now).toISOString(),
    region: event.target.region,
    resources: [
      `arn:aws:ecs:${event.target.region}:${LOCAL_ACCOUNT}:service/${event.target.cluster}/${event.target.service}`,
    ],
    detail: {
      eventType: event.outcome === 'COMPLETED' ? 'INFO' : 'ERROR',
      eventName: event.outcome === 'COMPLETED' ? 'SERVICE_DEPLOYMENT_COMPLETED' : 'SERVICE_DEPLOYMENT_FAILED',
      deploymentId: event.deploymentId,
      updatedAt: new Date(now).toISOString(),
      reason: event.reason,
    },
  };
}
