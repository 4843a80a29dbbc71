import { InternalServerError, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { SeededRandom } from '../seeded-random';

/** The AWS services the local runtime stands in for, as the fault layer names them. */
export type FaultyService = 'ecs' | 'cloudwatch' | 'ses' | 'dynamodb';

/** How an AWS call fails once the SDK's own retries gave up: slowed down, broken on AWS's side, or timed out. */
export type TransientFault = 'throttling' | 'server' | 'timeout';

export interface FaultPlan {
  /** Same seed, same faults in the same calls: a failing run can be replayed. */
  seed: number;
  /** Share of calls to each service that fail with a transient fault (0–1). Default 0. */
  rates?: Partial<Record<FaultyService, number>>;
  /** Which transient faults to draw from. Default: all three. */
  kinds?: TransientFault[];
  /** Share of ECS UpdateService calls after which the calling Lambda dies before it returns. */
  crashAfterUpdateService?: number;
  /** Share of smoke-check requests that get no answer until their timeout. */
  hangingSmokeChecks?: number;
}

/** What the calling Lambda sees when its process dies mid-invocation (OOM, a kill): Lambda.Unknown in SFN. */
export class LambdaRuntimeCrash extends Error {
  override readonly name = 'LambdaRuntimeCrash';
}

/**
 * Decides, from a seeded sequence, which calls to the local stand-ins of AWS fail and how, and counts what
 * it injected. The wrappers in `faulty-adapters.ts` consult it; `stop()` ends the faults (the outage is over)
 * so that redrives can show the pipeline recovers.
 */
export class FaultInjector {
  private readonly random: SeededRandom;
  private active = true;
  /** What was injected, by `<service> <fault>` (e.g. `ecs throttling`), for the report. */
  readonly injected: Record<string, number> = {};

  constructor(readonly plan: FaultPlan) {
    this.random = new SeededRandom(plan.seed);
  }

  get isActive(): boolean {
    return this.active;
  }

  /** The outage ends: no call fails from now on. */
  stop(): void {
    this.active = false;
  }

  /** The transient fault this call to `service` suffers, if any. */
  transientFault(service: FaultyService): TransientFault | undefined {
    if (!this.active || !this.random.chance(this.plan.rates?.[service] ?? 0)) return undefined;
    const fault = this.random.pick<TransientFault>(this.plan.kinds ?? ['throttling', 'server', 'timeout']);
    this.count(`${service} ${fault}`);
    return fault;
  }

  crashesAfterUpdateService(): boolean {
    return this.draw(this.plan.crashAfterUpdateService, 'lambda crash after UpdateService');
  }

  smokeCheckHangs(): boolean {
    return this.draw(this.plan.hangingSmokeChecks, 'smoke endpoint hang');
  }

  private draw(rate: number | undefined, what: string): boolean {
    if (!this.active || !this.random.chance(rate ?? 0)) return false;
    this.count(what);
    return true;
  }

  private count(what: string): void {
    this.injected[what] = (this.injected[what] ?? 0) + 1;
  }
}

/**
 * The error an AWS SDK v3 client throws for a fault, shaped as the SDK shapes it (name, `$fault`,
 * `$metadata.httpStatusCode`, `$retryable`), so the adapters' own mapping (`mapAwsError`) classifies it.
 */
export function sdkError(service: FaultyService, fault: TransientFault, operation: string): Error {
  const $metadata = { httpStatusCode: 0, requestId: `fault-${operation}`, attempts: 3 };
  if (service === 'dynamodb' && fault !== 'timeout') {
    // The client's own exception classes, as its deserializer would build them from the response.
    return fault === 'throttling'
      ? new ProvisionedThroughputExceededException({
          message: 'The level of configured provisioned throughput for the table was exceeded.',
          $metadata: { ...$metadata, httpStatusCode: 400 },
        })
      : new InternalServerError({
          message: 'Internal server error',
          $metadata: { ...$metadata, httpStatusCode: 500 },
        });
  }
  const shapes: Record<TransientFault, { name: string; status?: number; throttling?: boolean }> = {
    throttling: { name: service === 'ses' ? 'TooManyRequestsException' : 'ThrottlingException', status: 400 },
    server: { name: service === 'ecs' ? 'ServerException' : 'ServiceUnavailable', status: 503 },
    timeout: { name: 'TimeoutError' },
  };
  const shape = shapes[fault];
  return Object.assign(new Error(`${operation}: injected ${fault}`), {
    name: shape.name,
    $fault: fault === 'throttling' ? 'client' : 'server',
    ...(fault === 'throttling' && { $retryable: { throttling: true } }),
    $metadata: shape.status ? { ...$metadata, httpStatusCode: shape.status } : { attempts: 3 },
  });
}
