import { AwsTransientError } from '../domain/errors';

/**
 * Error names AWS uses for "slow down". Mirrors the SDK's own list (`@smithy/core` retry classification)
 * minus `LimitExceededException`, which ECS and others also use for hard quotas that no retry fixes.
 */
const THROTTLING_NAMES = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
  'KmsThrottlingException',
]);

/** Failures on AWS's side; ECS reports them as `ServerException`, other services by these names. */
const SERVER_NAMES = new Set([
  'InternalFailure',
  'InternalServerError',
  'InternalServerException',
  'ServerException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
]);

/** Timeouts from the SDK itself or a service; the request may or may not have been applied. */
const TIMEOUT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);

/** Node.js socket errors: the network dropped the request, not AWS rejecting it. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  $fault?: unknown;
  $retryable?: { throttling?: boolean };
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

/** The kind of transient failure, or undefined when the error is not transient. */
function transientKind(error: SdkErrorShape): string | undefined {
  const name = typeof error.name === 'string' ? error.name : '';
  const status = error.$metadata?.httpStatusCode;
  if (THROTTLING_NAMES.has(name) || error.$retryable?.throttling === true || status === 429)
    return 'throttled';
  if (SERVER_NAMES.has(name) || (status !== undefined && status >= 500)) return 'failed on the AWS side';
  if (TIMEOUT_NAMES.has(name) || (typeof error.code === 'string' && NETWORK_CODES.has(error.code)))
    return 'timed out or lost its connection';
  return undefined;
}

/**
 * Classifies an error from an AWS SDK v3 call, after the SDK's own retries have given up. Throttling, 5xx
 * and network timeouts become an {@link AwsTransientError}, which the state machines retry with back-off;
 * anything else is returned unchanged so that the caller can map the errors it understands (a missing
 * service, a timed-out task token) and let the rest surface as bugs. The transient message carries only
 * the context, the error name, the HTTP status and the request id: never the request, which may hold a
 * task token, and never the service's message, which may echo it.
 */
export function mapAwsError(error: unknown, context: string): Error {
  if (error instanceof AwsTransientError) return error;
  const shaped = shapeOf(error);
  const kind = transientKind(shaped);
  if (kind === undefined)
    return error instanceof Error ? error : new Error(`${context} failed: ${String(error)}`);

  const details = [
    typeof shaped.name === 'string' ? shaped.name : 'unknown error',
    shaped.$metadata?.httpStatusCode !== undefined ? `HTTP ${shaped.$metadata.httpStatusCode}` : undefined,
    typeof shaped.code === 'string' && shaped.code !== shaped.name ? shaped.code : undefined,
    shaped.$metadata?.requestId !== undefined ? `request id ${shaped.$metadata.requestId}` : undefined,
  ].filter((d): d is string => d !== undefined);
  return new AwsTransientError(`${context} ${kind} (${details.join(', ')}); safe to retry later`);
}

/** The SDK error's name (its exception type), for messages; match errors with {@link isAwsError}. */
export function awsErrorName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const name = (error as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}

/** An exception class as an AWS SDK v3 client package exports it (`ConditionalCheckFailedException`, …). */
export type AwsErrorClass<E extends Error = Error> = abstract new (...args: never[]) => E;

/**
 * Whether `error` is one of the SDK exceptions `types`, by `instanceof`: each adapter passes the classes its
 * own client package exports (`ConditionalCheckFailedException` from `@aws-sdk/client-dynamodb`,
 * `ExecutionAlreadyExists` from `@aws-sdk/client-sfn`, …), which the SDK instantiates when it reads a modelled
 * error. Matching by class cannot confuse two services' errors of the same name, and this module imports no
 * client package, so that a function loads only the clients it uses (esbuild keeps every SDK `require`).
 */
export function isAwsError<T extends AwsErrorClass[]>(
  error: unknown,
  ...types: T
): error is InstanceType<T[number]> {
  return types.some((type) => error instanceof type);
}

/**
 * Errors services answer with although their SDK package exports no class for them (the service does not
 * model them): only their name tells them apart. Anything with a class goes through {@link isAwsError}.
 */
export const UNMODELLED_AWS_ERRORS = {
  /** IAM refused the call; Secrets Manager and SES v2 do not model it. */
  accessDenied: 'AccessDeniedException',
} as const;

export type UnmodelledAwsError = (typeof UNMODELLED_AWS_ERRORS)[keyof typeof UNMODELLED_AWS_ERRORS];

/** Whether `error` is the unmodelled AWS error `name` (see {@link UNMODELLED_AWS_ERRORS}). */
export function isUnmodelledAwsError(error: unknown, name: UnmodelledAwsError): boolean {
  return awsErrorName(error) === name;
}

/** Whether AWS asked the caller to slow down (throttling names, `$retryable.throttling`, HTTP 429). */
export function isThrottlingError(error: unknown): boolean {
  return transientKind(shapeOf(error)) === 'throttled';
}

/** Whether a retry may succeed: throttling, a failure on AWS's side, a timeout or a dropped connection. */
export function isTransientAwsError(error: unknown): boolean {
  return error instanceof AwsTransientError || transientKind(shapeOf(error)) !== undefined;
}

function shapeOf(error: unknown): SdkErrorShape {
  return (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
}
