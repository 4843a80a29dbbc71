/**
 * The ports of deploying a stage: what the promote and release steps need from the outside world, in the
 * pipeline's own words. AWS adapters (`shared/aws/`) implement them with SDK v3 clients; local adapters
 * (`local-runtime/adapters/`) implement them for the local runtime, the tests and the demo.
 */
import type { DeploymentFreeze } from '../domain/deployment-gate';
import type { DeploymentRecord } from '../domain/deployment-record';
import type { AlarmBreach } from '../domain/stage-run.schema';
import type { StageTraffic } from '../domain/traffic-shift-stage';
import type { ShiftEvidence } from '../domain/traffic-shift-evidence';

/** Where an ECS service lives. */
export interface EcsTarget {
  region: string;
  cluster: string;
  service: string;
}

export interface ContainerView {
  name: string;
  image: string;
  environment: Record<string, string>;
}

export interface TaskDefinitionView {
  arn: string;
  family: string;
  containers: ContainerView[];
}

export type RolloutState = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

export interface EcsDeploymentView {
  id: string;
  taskDefinitionArn: string;
  /** PRIMARY is the newest deployment; ACTIVE ones are being replaced. */
  status: string;
  rolloutState: RolloutState;
  rolloutStateReason?: string;
  /** When the deployment started (epoch ms). */
  createdAt?: number;
}

export interface EcsServiceView {
  taskDefinitionArn: string;
  deployments: EcsDeploymentView[];
}

/** The container platform: ECS in AWS, local processes in the local runtime. */
export interface ContainerPlatform {
  /** Throws PipelineMisconfiguredError when the cluster or service does not exist. */
  describeService(target: EcsTarget): Promise<EcsServiceView>;
  describeTaskDefinition(region: string, arn: string): Promise<TaskDefinitionView>;
  /** The newest ACTIVE revision of a family, if any. */
  latestTaskDefinition(region: string, family: string): Promise<TaskDefinitionView | undefined>;
  /** Registers a copy of `fromArn` whose container `container` has the given image and extra environment. */
  registerRevision(
    region: string,
    fromArn: string,
    container: string,
    change: { image: string; environment: Record<string, string> },
  ): Promise<TaskDefinitionView>;
  /**
   * Points the service at a revision, with the deployment circuit breaker on; with `shift`, as a blue/green
   * deployment whose production traffic the pipeline's hook shifts step by step. Returns the new deployment.
   */
  updateService(
    target: EcsTarget,
    taskDefinitionArn: string,
    shift?: ShiftRequest,
  ): Promise<{ deploymentId: string }>;
  /**
   * How a deployment that `describeService` no longer lists ended, from the service's deployment history
   * (ECS drops a deployment from the service once a newer one replaced it, completed or not). Undefined
   * when the history has no record of it.
   */
  endedDeployment(target: EcsTarget, deployment: EndedDeploymentQuery): Promise<DeploymentEnding | undefined>;
}

/** The pipeline's traffic shift function and the role ECS assumes to invoke it. */
export interface TrafficShiftHook {
  functionArn: string;
  invokeRoleArn: string;
}

/** What a stage that shifts traffic asks of the platform besides the revision (ecs-strategies.adapter.ts). */
export interface ShiftRequest {
  traffic: StageTraffic;
  hook: TrafficShiftHook;
  /** Who the hook works for: written into its hookDetails with the plan and the targets. */
  stage: {
    executionName: string;
    service: string;
    environment: string;
    region: string;
    /** The version each side runs (PIPELINE_VERSION), for KPIs selected by a revision dimension. */
    versions?: { blue?: string; green: string };
  };
}

/** What is known of a deployment that left the service's list: its id, and what and when it deployed. */
export interface EndedDeploymentQuery {
  deploymentId: string;
  /** The revision the deployment rolled out (needed to find it in ECS's history, which has other ids). */
  taskDefinitionArn?: string;
  /** Epoch ms no later than the deployment's start (when the pipeline began waiting for it). */
  since?: number;
}

export interface DeploymentEnding {
  outcome: 'completed' | 'failed' | 'pending';
  reason?: string;
}

/** CloudWatch alarms, read-only. */
export interface AlarmSource {
  /** Alarms matching the names/prefixes that are in ALARM now or entered ALARM at or after `since`. */
  breaches(
    region: string,
    selector: { names: string[]; prefixes: string[] },
    since: number,
  ): Promise<AlarmBreach[]>;
  /** Names from `names` that do not exist in the region (a typo would make a bake watch nothing). */
  missing(region: string, names: string[]): Promise<string[]>;
}

export interface HttpProbeResult {
  status: number;
  /** The first 64 KiB of the body, decoded as UTF-8. */
  body: string;
  latencyMs: number;
}

/** Makes one HTTP request for a smoke check. Rejects on network errors and on `timeoutMs`. */
export interface HttpProbe {
  request(request: { url: string; method: 'GET' | 'HEAD'; timeoutMs: number }): Promise<HttpProbeResult>;
}

/** Step Functions as the steps and the event router see it. */
export interface ExecutionControl {
  /** Starts an execution; a name that already exists is reported, not thrown (at-least-once delivery). */
  startExecution(request: {
    stateMachineArn: string;
    name: string;
    input: unknown;
  }): Promise<{ executionArn: string; alreadyExisted: boolean }>;
  /** Resumes a task waiting on `taskToken`. Returns false when the task no longer waits. */
  sendTaskSuccess(taskToken: string, output: unknown): Promise<boolean>;
  sendTaskFailure(taskToken: string, error: string, cause: string): Promise<boolean>;
}

export type ExecutionStatus =
  'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

/**
 * Finds an execution by name. Names are deterministic, so this is how a sweep tells that a promotion of an
 * image already ran, whatever its outcome.
 */
export interface ExecutionLookup {
  /** The status, or undefined when no execution has the name (Step Functions forgets closed ones after 90 days). */
  executionStatus(stateMachineArn: string, name: string): Promise<ExecutionStatus | undefined>;
}

/**
 * Remembers, per execution and stage, the revision that ran before the deploy (what a rollback restores)
 * and the revision the deploy sends to ECS, written before the UpdateService call: a step that dies after
 * ECS took the update loses its result, but the stage's record can still name what it deployed.
 */
export interface StageRecordStore {
  /** Stores `previousTaskDefinitionArn` unless one is already stored; returns the stored value (first wins). */
  rememberPreviousRevision(key: StageKey, previousTaskDefinitionArn: string): Promise<string>;
  previousRevision(key: StageKey): Promise<string | undefined>;
  /** Stores the revision the stage is about to deploy (the last call wins: a redrive may register another). */
  rememberDeployedRevision(key: StageKey, taskDefinitionArn: string): Promise<void>;
  /** The revision the stage last sent to ECS, if it got that far. */
  deployedRevision(key: StageKey): Promise<string | undefined>;
}

export interface StageKey {
  executionName: string;
  environment: string;
  region: string;
}

export interface DeploymentWaiter {
  deploymentId: string;
  taskToken: string;
  target: EcsTarget;
  /** Epoch ms after which the waiter is dropped (the state machine has timed out by then). */
  expiresAt: number;
  /** The revision the deployment rolls out, and since when the waiter waits: to find it in ECS's history. */
  taskDefinitionArn?: string;
  since?: number;
}

/** Task tokens of steps waiting for an ECS deployment to finish, keyed by ECS deployment id. */
export interface DeploymentWaiterStore {
  put(waiter: DeploymentWaiter): Promise<void>;
  get(deploymentId: string): Promise<DeploymentWaiter | undefined>;
  /** Removes the waiter; true for exactly one caller when several race (event and sweep). */
  take(deploymentId: string): Promise<DeploymentWaiter | undefined>;
  /**
   * Removes the waiter only while it still holds `taskToken`: a retried wait that stored a new token
   * meanwhile keeps its waiter. Nothing to remove is not an error.
   */
  remove(deploymentId: string, taskToken: string): Promise<void>;
  /** Waiters still pending, for the sweep that catches ECS events that never arrived. */
  list(): Promise<DeploymentWaiter[]>;
}

/**
 * A stage baking: the task token of its "Bake" state, which an alarm's state change event or the sweep
 * answers with AlarmBreached as soon as a watched alarm goes to ALARM (the bake times out otherwise).
 */
export interface BakeWatch {
  executionName: string;
  service: string;
  environment: string;
  region: string;
  taskToken: string;
  /** The stage's watched alarms, as its execution planned them. */
  alarms: { names: string[]; prefixes: string[] };
  /** Epoch ms the service was updated: alarms that went to ALARM since then count. */
  deployedAt: number;
  /** Epoch ms the bake began, and how long it lasts. */
  bakeStartedAt: number;
  bakeSeconds: number;
  /** Epoch ms after which the watch is dropped: the bake has timed out and the final check reads the alarms. */
  expiresAt: number;
}

/** Which stage a watch belongs to: one execution bakes one environment/region at a time. */
export type BakeWatchKey = Pick<BakeWatch, 'executionName' | 'environment' | 'region'>;

/** Task tokens of baking stages, for the alarm events and the sweep. */
export interface BakeWatchStore {
  /** Stores the watch; a retried bake's new token replaces the old one. */
  put(watch: BakeWatch): Promise<void>;
  /** Every stage baking now (few: one per environment/region and service at most). */
  list(): Promise<BakeWatch[]>;
  /** Removes the watch only while it still holds `taskToken`; nothing to remove is not an error. */
  remove(key: BakeWatchKey, taskToken: string): Promise<void>;
}

/** What orders two deployments of one service and environment: push time for pushes, version for tags. */
export interface DeploymentOrder {
  kind: 'push' | 'tag';
  /** `sha-<commit>` or `vX.Y.Z`. */
  version: string;
  /** When the push or tag happened (ISO 8601). */
  at: string;
  /** The execution that deployed it. */
  owner: string;
}

export interface LockKey {
  service: string;
  environment: string;
}

/**
 * One deployment per service and environment at a time. The lock is a lease (it frees itself if its
 * holder dies) and remembers the last version deployed under it, so an older version that waited can see
 * it was superseded.
 */
export interface DeploymentLocks {
  acquire(
    key: LockKey,
    owner: string,
    leaseUntil: number,
    now: number,
  ): Promise<
    | { acquired: true; last?: DeploymentOrder; waiting?: DeploymentOrder }
    | { acquired: false; holder: string; since: number; waiting?: DeploymentOrder }
  >;
  /**
   * Records `order` as the newest deployment waiting for the lock, if the one recorded is still `replacing`
   * (compare-and-set). Returns false when another waiter changed it first.
   */
  markWaiting(key: LockKey, order: DeploymentOrder, replacing?: DeploymentOrder): Promise<boolean>;
  /** Frees the lock if `owner` holds it; `deployed` records what now runs. */
  release(key: LockKey, owner: string, deployed?: DeploymentOrder): Promise<void>;
}

/** What a deployed stage showed, for the approvers of the stages after it. */
export interface StageEvidence {
  environment: string;
  region: string;
  version: string;
  /** Epoch ms when the stage finished. */
  at: number;
  smoke: { name: string; passed: boolean; status?: number; latencyMs?: number }[];
  bake: { minutes: number; alarmsWatched: string[]; breaches: number };
  /** A stage that shifted traffic: its steps, verdicts and numbers, from the TrafficShiftLog. */
  traffic?: ShiftEvidence;
}

/** Evidence of an execution's deployed stages, in the order they finished. */
export interface StageEvidenceStore {
  record(executionName: string, evidence: StageEvidence): Promise<void>;
  list(executionName: string): Promise<StageEvidence[]>;
}

/**
 * Where freezes live (the pipeline table in AWS and locally). `current` is the read the gate and the
 * operator CLI's redrive guard use: the environment's freeze in force at `now`, if any.
 */
export interface DeploymentFreezes {
  /** Freezes the environment (or replaces its freeze, e.g. with a new reason); returns what is stored. */
  freeze(
    environment: string,
    freeze: { reason: string; by: string; at: number; until?: number },
  ): Promise<DeploymentFreeze>;
  /** Lifts the environment's freeze; returns the freeze that was lifted, undefined if there was none. */
  unfreeze(environment: string, lift: { by: string; at: number }): Promise<DeploymentFreeze | undefined>;
  /** The environment's freeze in force at `now` (one whose `until` has passed no longer counts). */
  current(environment: string, now: number): Promise<DeploymentFreeze | undefined>;
  /** Every freeze in force at `now`, by environment name. */
  list(now: number): Promise<DeploymentFreeze[]>;
}

/** The deployment records table. Writes are idempotent: one record per execution, stage and outcome. */
export interface DeploymentRecordStore {
  /**
   * Writes a record; a retried or redriven step that writes the same record (service, environment/region,
   * execution, outcome) again overwrites it. `created` says whether this put wrote it first.
   */
  put(record: DeploymentRecord): Promise<{ created: boolean }>;
  /** Every record of a service, newest first. */
  history(service: string): Promise<DeploymentRecord[]>;
  /**
   * The records of a service whose `at` is within `span` (epoch ms, inclusive), in any order: what the
   * delivery metrics read (through the table's time index, so the read grows with the span, not the history).
   */
  recordedBetween(service: string, span: { from: number; to: number }): Promise<DeploymentRecord[]>;
  /** Per environment/region, the record of what runs there now (the last `deployed` one). */
  running(service: string): Promise<DeploymentRecord[]>;
  /** The record of what runs in one environment/region now (the last `deployed` one there), if any. */
  runningIn(
    service: string,
    target: { environment: string; region: string },
  ): Promise<DeploymentRecord | undefined>;
}
