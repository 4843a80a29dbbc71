/**
 * AWS SDK v3 errors as the SDK itself builds them from a service's answer, for tests that make a mocked
 * client (aws-sdk-client-mock) reject. Modelled errors are instances of the class their client package
 * exports, which is what the adapters match with `instanceof`; errors a service returns without the SDK
 * modelling them are the package's base exception carrying the name, which is all the SDK gives them too.
 */
/** The part of the SDK's response metadata the adapters read. */
interface ResponseMetadata {
  httpStatusCode?: number;
  requestId?: string;
}

export interface SdkErrorOptions {
  /** HTTP status of the answer; 400 unless given (500 for server faults). */
  status?: number;
  requestId?: string;
  message?: string;
}

type ModelledErrorClass<E> = new (options: { $metadata: ResponseMetadata; message: string }) => E;

type ServiceExceptionClass<E> = new (options: {
  name: string;
  $fault: 'client' | 'server';
  $metadata: ResponseMetadata;
  message: string;
}) => E;

/** A modelled exception: `sdkError(ConditionalCheckFailedException)`. */
export function sdkError<E extends Error>(type: ModelledErrorClass<E>, options: SdkErrorOptions = {}): E {
  return new type({
    $metadata: metadata(options.status ?? 400, options.requestId),
    message: options.message ?? 'the service refused the request',
  });
}

/**
 * An error the service answers with but the SDK package does not model (no exported class), such as
 * `AccessDeniedException` from SES v2, or a throttling name: `unmodelledSdkError(SESv2ServiceException,
 * 'AccessDeniedException')`. A status of 500 or more makes it a server fault.
 */
export function unmodelledSdkError<E extends Error>(
  base: ServiceExceptionClass<E>,
  name: string,
  options: SdkErrorOptions = {},
): E {
  const status = options.status ?? 400;
  return new base({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: metadata(status, options.requestId),
    message: options.message ?? `${name} happened`,
  });
}

/** What Node.js rejects with when the network drops a request (no AWS answer at all). */
export function networkError(code: string): Error {
  return Object.assign(new Error(`socket hang up (${code})`), { code });
}

function metadata(httpStatusCode: number, requestId: string | undefined): ResponseMetadata {
  return { httpStatusCode, ...(requestId !== undefined && { requestId }) };
}
