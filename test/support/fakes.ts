import type { Context } from 'aws-lambda';
import { changesWhatRuns, targetKey, type DeploymentRecord } from '../../shared/domain/deployment-record';
import { AwsTransientError } from '../../shared/domain/errors';
import type {
  BakeWatch,
  BakeWatchKey,
  BakeWatchStore,
  ContainerPlatform,
  DeploymentFreezes,
  DeploymentRecordStore,
  DeploymentWaiter,
  DeploymentWaiterStore,
  ExecutionControl,
  StageKey,
  StageRecordStore,
} from '../../shared/ports/deployment';
import { isInForce, type DeploymentFreeze } from '../../shared/domain/deployment-gate';
import { lambdaStep } from '../../shared/middleware/lambda-step';

const keyOf = (key: StageKey): string => `${key.executionName}/${key.environment}/${key.region}`;

/** StageRecordStore in memory, first writer wins (what the DynamoDB adapter guarantees). */
export class InMemoryStageRecordStore implements StageRecordStore {
  private readonly records = new Map<string, string>();
  private readonly deployed = new Map<string, string>();

  async rememberPreviousRevision(key: StageKey, previousTaskDefinitionArn: string): Promise<string> {
    const stored = this.records.get(keyOf(key));
    if (stored !== undefined) return stored;
    this.records.set(keyOf(key), previousTaskDefinitionArn);
    return previousTaskDefinitionArn;
  }

  async previousRevision(key: StageKey): Promise<string | undefined> {
    return this.records.get(keyOf(key));
  }

  async rememberDeployedRevision(key: StageKey, taskDefinitionArn: string): Promise<void> {
    this.deployed.set(keyOf(key), taskDefinitionArn);
  }

  async deployedRevision(key: StageKey): Promise<string | undefined> {
    return this.deployed.get(keyOf(key));
  }
}

/** BakeWatchStore in memory: one watch per stage, removed only by the token it holds. */
export class InMemoryBakeWatchStore implements BakeWatchStore {
  private readonly watches = new Map<string, BakeWatch>();

  async put(watch: BakeWatch): Promise<void> {
    this.watches.set(bakeKeyOf(watch), structuredClone(watch));
  }

  async list(): Promise<BakeWatch[]> {
    return [...this.watches.values()].map((w) => structuredClone(w));
  }

  async remove(key: BakeWatchKey, taskToken: string): Promise<void> {
    if (this.watches.get(bakeKeyOf(key))?.taskToken === taskToken) this.watches.delete(bakeKeyOf(key));
  }
}

const bakeKeyOf = (key: BakeWatchKey): string => `${key.region}#${key.environment}#${key.executionName}`;

/** DeploymentWaiterStore in memory; `take` hands a waiter to exactly one caller. */
export class InMemoryDeploymentWaiterStore implements DeploymentWaiterStore {
  private readonly waiters = new Map<string, DeploymentWaiter>();

  async put(waiter: DeploymentWaiter): Promise<void> {
    this.waiters.set(waiter.deploymentId, structuredClone(waiter));
  }

  async get(deploymentId: string): Promise<DeploymentWaiter | undefined> {
    const waiter = this.waiters.get(deploymentId);
    return waiter && structuredClone(waiter);
  }

  async take(deploymentId: string): Promise<DeploymentWaiter | undefined> {
    const waiter = this.waiters.get(deploymentId);
    this.waiters.delete(deploymentId);
    return waiter;
  }

  async remove(deploymentId: string, taskToken: string): Promise<void> {
    if (this.waiters.get(deploymentId)?.taskToken === taskToken) this.waiters.delete(deploymentId);
  }

  async list(): Promise<DeploymentWaiter[]> {
    return [...this.waiters.values()].map((w) => structuredClone(w));
  }
}

export interface TaskDelivery {
  taskToken: string;
  kind: 'success' | 'failure';
  output?: unknown;
  error?: string;
  cause?: string;
}

/**
 * ExecutionControl that remembers what it was asked: an execution name it has seen before is reported as
 * already existing (as Step Functions does for a running or recent execution of the same name).
 */
export class RecordingExecutionControl implements ExecutionControl {
  readonly started: { stateMachineArn: string; name: string; input: unknown }[] = [];
  readonly deliveries: TaskDelivery[] = [];
  private readonly names = new Set<string>();
  private readonly answered = new Set<string>();
  private throttled = 0;

  async startExecution(request: { stateMachineArn: string; name: string; input: unknown }) {
    const executionArn = `${request.stateMachineArn.replace(':stateMachine:', ':execution:')}:${request.name}`;
    if (this.names.has(request.name)) return { executionArn, alreadyExisted: true };
    this.names.add(request.name);
    this.started.push(structuredClone(request));
    return { executionArn, alreadyExisted: false };
  }

  /** The next `count` callbacks fail with a throttling error, as Step Functions does under load. */
  throttleNext(count: number): void {
    this.throttled += count;
  }

  /** Like Step Functions, a token answers once: later callbacks return false (TaskTimedOut). */
  async sendTaskSuccess(taskToken: string, output: unknown): Promise<boolean> {
    return this.answer({ taskToken, kind: 'success', output });
  }

  async sendTaskFailure(taskToken: string, error: string, cause: string): Promise<boolean> {
    return this.answer({ taskToken, kind: 'failure', error, cause });
  }

  private answer(delivery: TaskDelivery): boolean {
    if (this.throttled > 0) {
      this.throttled--;
      throw new AwsTransientError('Step Functions SendTask*: Rate exceeded (ThrottlingException)');
    }
    if (this.answered.has(delivery.taskToken)) return false;
    this.answered.add(delivery.taskToken);
    this.deliveries.push(delivery);
    return true;
  }
}

/** A Lambda context as the runtime passes it, for invoking middy handlers in-process. */
export function fakeLambdaContext(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/01/01/[$LATEST]abcdef0123456789',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** A ContainerPlatform that behaves like `platform` except for the methods given (a failure to inject). */
export function overriding(
  platform: ContainerPlatform,
  overrides: Partial<ContainerPlatform>,
): ContainerPlatform {
  return {
    describeService: overrides.describeService ?? ((...a) => platform.describeService(...a)),
    describeTaskDefinition:
      overrides.describeTaskDefinition ?? ((...a) => platform.describeTaskDefinition(...a)),
    latestTaskDefinition: overrides.latestTaskDefinition ?? ((...a) => platform.latestTaskDefinition(...a)),
    registerRevision: overrides.registerRevision ?? ((...a) => platform.registerRevision(...a)),
    updateService: overrides.updateService ?? ((...a) => platform.updateService(...a)),
    endedDeployment: overrides.endedDeployment ?? ((...a) => platform.endedDeployment(...a)),
  };
}

/** Invokes `step` the way Lambda invokes a function: through the middleware stack every handler uses. */
export async function invokeThroughMiddleware<E, R>(
  name: string,
  step: (event: E) => Promise<R>,
  event: E,
): Promise<R> {
  const handler = lambdaStep(name, () => step);
  return handler(event, fakeLambdaContext(name));
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    (value: unknown) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`);
  if (!(outcome.error instanceof Error)) throw new Error(`expected an Error, got ${String(outcome.error)}`);
  return outcome.error;
}

/** DeploymentRecordStore in memory, with the DynamoDB adapter's semantics (one record per execution, stage and outcome). */
export class InMemoryDeploymentRecords implements DeploymentRecordStore {
  private readonly records = new Map<string, DeploymentRecord>();

  async put(record: DeploymentRecord): Promise<{ created: boolean }> {
    const key = `${record.service}/${targetKey(record)}/${record.execution}/${record.outcome}`;
    const created = !this.records.has(key);
    this.records.set(key, record);
    return { created };
  }

  async history(service: string): Promise<DeploymentRecord[]> {
    return [...this.records.values()].filter((r) => r.service === service).sort((a, b) => b.at - a.at);
  }

  async recordedBetween(service: string, span: { from: number; to: number }): Promise<DeploymentRecord[]> {
    return (await this.history(service)).filter((r) => r.at >= span.from && r.at <= span.to);
  }

  async running(service: string): Promise<DeploymentRecord[]> {
    const latest = new Map<string, DeploymentRecord>();
    for (const record of (await this.history(service)).reverse())
      if (changesWhatRuns(record)) latest.set(targetKey(record), record);
    return [...latest.values()];
  }

  async runningIn(
    service: string,
    target: { environment: string; region: string },
  ): Promise<DeploymentRecord | undefined> {
    return (await this.running(service)).find((r) => targetKey(r) === targetKey(target));
  }

  /** Every record, oldest first, for assertions. */
  all(): DeploymentRecord[] {
    return [...this.records.values()].sort((a, b) => a.at - b.at);
  }
}

/** Freezes in memory, with the adapter's semantics: a freeze past its `until` no longer counts. */
export class InMemoryDeploymentFreezes implements DeploymentFreezes {
  readonly freezes = new Map<string, DeploymentFreeze>();

  async freeze(environment: string, freeze: Omit<DeploymentFreeze, 'environment'>) {
    const stored = { environment, ...freeze };
    this.freezes.set(environment, stored);
    return stored;
  }

  async unfreeze(environment: string) {
    const lifted = this.freezes.get(environment);
    this.freezes.delete(environment);
    return lifted;
  }

  async current(environment: string, now: number) {
    const freeze = this.freezes.get(environment);
    return freeze && isInForce(freeze, now) ? freeze : undefined;
  }

  async list(now: number) {
    return [...this.freezes.values()].filter((f) => isInForce(f, now));
  }
}
