import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { TaskHandler } from './engine/types';
import { LambdaRuntimeCrash } from './faults/fault-injector';
import { functionNameOf } from './state-machine-definitions';

export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

/** A failed invocation as Step Functions sees it: the error type as name, Lambda's JSON as cause. */
export class LambdaInvocationError extends Error {
  constructor(
    readonly errorName: string,
    override readonly cause: string,
    message: string,
  ) {
    super(message);
    this.name = errorName;
  }
}

export interface InvocationRecord {
  functionName: string;
  at: number;
  errorName?: string;
}

/**
 * Lambda on one machine: runs the real (middy-wrapped) handlers in-process, with payloads copied through
 * JSON as Lambda does, and errors reported the way Step Functions reports Lambda errors (Error = the
 * error's name, Cause = `{"errorType","errorMessage","trace"}`).
 */
export class LocalLambdaService {
  readonly invocations: InvocationRecord[] = [];
  private readonly failures = new Map<string, { name: string; remaining: number }>();

  constructor(
    private readonly functions: Record<string, LambdaHandler>,
    private readonly now: () => number = Date.now,
    /** Wraps every invocation, so a virtual clock stands still while a handler runs. */
    private readonly track: <T>(work: Promise<T>) => Promise<T> = (work) => work,
  ) {}

  /** The next `count` invocations of `functionName` fail with a Lambda service error (fault injection). */
  failNext(functionName: string, count: number, errorName = 'Lambda.TooManyRequestsException'): void {
    this.failures.set(functionName, { name: errorName, remaining: count });
  }

  invoke(functionName: string, payload: unknown): Promise<unknown> {
    return this.track(this.run(functionName, payload));
  }

  private async run(functionName: string, payload: unknown): Promise<unknown> {
    const handler = this.functions[functionName];
    if (!handler)
      throw new LambdaInvocationError(
        'Lambda.ResourceNotFoundException',
        JSON.stringify({ errorMessage: `Function not found: ${functionName}` }),
        `no local function ${functionName}`,
      );
    const record: InvocationRecord = { functionName, at: this.now() };
    this.invocations.push(record);

    const injected = this.failures.get(functionName);
    if (injected && injected.remaining > 0) {
      injected.remaining--;
      record.errorName = injected.name;
      throw new LambdaInvocationError(
        injected.name,
        JSON.stringify({ errorMessage: 'Rate Exceeded.' }),
        injected.name,
      );
    }
    try {
      const result = await handler(copy(payload), fakeContext(functionName));
      return copy(result);
    } catch (error) {
      if (error instanceof LambdaRuntimeCrash) {
        // The process died: Lambda reports no handled error, Step Functions sees Lambda.Unknown.
        record.errorName = 'Lambda.Unknown';
        throw new LambdaInvocationError(
          'Lambda.Unknown',
          JSON.stringify({
            errorType: 'Runtime.ExitError',
            errorMessage: `Runtime exited: ${error.message}`,
          }),
          error.message,
        );
      }
      const err = error instanceof Error ? error : new Error(String(error));
      record.errorName = err.name;
      throw new LambdaInvocationError(
        err.name,
        JSON.stringify({ errorType: err.name, errorMessage: err.message, trace: [] }),
        err.message,
      );
    }
  }

  /**
   * The engine's Task handler: a Lambda ARN invokes that function with the input; the optimised
   * `lambda:invoke` integration takes FunctionName/Payload and, unless it waits for a task token,
   * returns Lambda's response shape.
   */
  readonly taskHandler: TaskHandler = async (request) => {
    const direct = functionNameOf(request.resource);
    if (direct) return this.invoke(direct, request.input);

    if (request.resource.startsWith('arn:aws:states:::lambda:invoke')) {
      const { FunctionName, Payload } = (request.input ?? {}) as { FunctionName?: string; Payload?: unknown };
      const name = FunctionName && (functionNameOf(FunctionName) ?? FunctionName);
      if (!name)
        throw new LambdaInvocationError(
          'States.Runtime',
          'lambda:invoke needs FunctionName',
          'no FunctionName',
        );
      const result = await this.invoke(name, Payload);
      return request.resource.endsWith('.waitForTaskToken')
        ? result
        : { ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 };
    }
    throw new LambdaInvocationError(
      'States.Runtime',
      `unsupported resource ${request.resource}`,
      request.resource,
    );
  };
}

function copy<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/** The Lambda context a local invocation gets (what Powertools reads from it). */
export function fakeContext(functionName: string): Context {
  const deadline = Date.now() + 60_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
