import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { SmokeCheckResult } from '../domain/stage-run.schema';
import { testCheckAnswerSchema, type TestCheckRequest } from '../domain/test-check-request.schema';
import type { TestCheck } from '../domain/traffic-shift-hook';
import type { TestCheckRunner } from '../ports/traffic-shift';
import { awsClient } from './aws-clients';

/** Invokes a function synchronously with `payload` and resolves to its answer, or rejects with why not. */
export type InvokeFunction = (functionName: string, payload: unknown) => Promise<unknown>;

/** Time the invoked function gets beyond its checks' own timeouts: its start (in a VPC) and the answer. */
export const INVOKE_MARGIN_MS = 15_000;

export interface InvokedTestCheckRunnerOptions {
  /** The smoke-test function (its name or ARN), in the VPC that reaches the test listener. */
  functionName: string;
  /** How it is invoked: Lambda's synchronous Invoke by default; the local stack passes its own functions. */
  invoke?: InvokeFunction;
  /** A ready client (tests); defaults to the container's client of the function's region. */
  client?: LambdaClient;
}

/**
 * Blue-green's test checks run by the smoke-test function, which sits in the region's `smokeTestVpc` and so
 * reaches a test listener on an internal load balancer (the hook itself stays out of the VPC: it calls ELB,
 * CloudWatch and DynamoDB, which a VPC without NAT or endpoints does not reach). The function is asked with
 * a small request (endpoint and checks) and answers one result per check.
 *
 * When the function cannot answer (throttled, its own error or timeout, no such function) or answers
 * something that is not the checks' results, every check counts as not answered, with that cause naming
 * the function: the hook then retries and, after its bounded attempts, fails with it, as when green's
 * listener refuses connections. Never throws.
 */
export class InvokedTestCheckRunner implements TestCheckRunner {
  private readonly functionName: string;
  private readonly invoke: InvokeFunction;

  constructor(options: InvokedTestCheckRunnerOptions) {
    this.functionName = options.functionName;
    this.invoke =
      options.invoke ??
      ((name, payload) => lambdaInvoke(options.client ?? awsClient(LambdaClient), name, payload));
  }

  async run(endpoint: string, checks: readonly TestCheck[]): Promise<SmokeCheckResult[]> {
    const request: TestCheckRequest = { request: 'test-checks', endpoint, checks: [...checks] };
    const notAnswered = (why: string) =>
      checks.map((check) => ({
        name: check.name,
        url: urlOf(check, endpoint),
        passed: false,
        problem: `the smoke-test function ${this.functionName} ${why}`,
      }));
    let answer: unknown;
    try {
      answer = await this.invoke(this.functionName, request);
    } catch (error) {
      return notAnswered(`did not answer: ${describe(error)}`);
    }
    const parsed = testCheckAnswerSchema.safeParse(answer);
    if (!parsed.success)
      return notAnswered(
        `answered no test check results (${parsed.error.issues
          .map((i) => `${i.path.join('.') || '(answer)'}: ${i.message}`)
          .join('; ')}): deploy the pipeline's functions together`,
      );
    const { results } = parsed.data;
    const names = results.map((r) => r.name);
    if (results.length !== checks.length || checks.some((check, i) => names[i] !== check.name))
      return notAnswered(
        `answered results for [${names.join(', ')}], asked [${checks.map((c) => c.name).join(', ')}]`,
      );
    return results;
  }
}

/**
 * Lambda's synchronous Invoke: the function's answer as JSON. The function's own error (an exception, its
 * timeout, out of memory) comes back as `FunctionError` with Lambda's error payload, and is rejected with
 * its type and message; so are the SDK's errors (throttled after its retries, no such function, no access).
 * The call is bounded by the checks' timeouts plus {@link INVOKE_MARGIN_MS}.
 */
async function lambdaInvoke(client: LambdaClient, functionName: string, payload: unknown): Promise<unknown> {
  const checks = (payload as TestCheckRequest).checks ?? [];
  const deadline = checks.reduce((sum, check) => sum + check.timeoutMs, 0) + INVOKE_MARGIN_MS;
  const output = await client.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'RequestResponse',
      Payload: new TextEncoder().encode(JSON.stringify(payload)),
    }),
    { abortSignal: AbortSignal.timeout(deadline) },
  );
  const text = output.Payload ? new TextDecoder().decode(output.Payload) : '';
  if (output.FunctionError) {
    const failure = parseJson(text) as { errorType?: unknown; errorMessage?: unknown } | undefined;
    const type = typeof failure?.errorType === 'string' ? failure.errorType : output.FunctionError;
    const message = typeof failure?.errorMessage === 'string' ? failure.errorMessage : text.slice(0, 200);
    throw new Error(`function error ${type}: ${message}`);
  }
  const answer = parseJson(text);
  if (answer === undefined) throw new Error(`its answer is not JSON: ${JSON.stringify(text.slice(0, 200))}`);
  return answer;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function urlOf(check: TestCheck, endpoint: string): string {
  try {
    return new URL(check.path, endpoint).toString();
  } catch {
    return `${endpoint}${check.path}`;
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message;
}
