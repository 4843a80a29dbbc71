import {
  ConditionalCheckFailedException,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-dynamodb';
import { ClientException, ECSServiceException, ServerException } from '@aws-sdk/client-ecs';
import {
  isAwsError,
  isThrottlingError,
  isTransientAwsError,
  isUnmodelledAwsError,
  mapAwsError,
  UNMODELLED_AWS_ERRORS,
} from '../../../shared/aws/aws-errors';
import { AwsTransientError, PipelineMisconfiguredError } from '../../../shared/domain/errors';
import { networkError, sdkError, unmodelledSdkError } from '../../helpers/sdk-errors';

function serviceError(
  name: string,
  httpStatusCode: number,
  extra: Record<string, unknown> = {},
): ECSServiceException {
  const error = unmodelledSdkError(ECSServiceException, name, {
    status: httpStatusCode,
    requestId: 'req-123',
    message: `${name} happened`,
  });
  return Object.assign(error, extra);
}

describe('mapAwsError', () => {
  it.each([
    ['ThrottlingException', serviceError('ThrottlingException', 400)],
    ['TooManyRequestsException', serviceError('TooManyRequestsException', 400)],
    ['CloudWatch Throttling', serviceError('Throttling', 400)],
    ['RequestLimitExceeded', serviceError('RequestLimitExceeded', 400)],
    [
      'ProvisionedThroughputExceededException',
      new ProvisionedThroughputExceededException({
        $metadata: { httpStatusCode: 400, requestId: 'req-123' },
        message: 'slow down',
      }),
    ],
    ['$retryable.throttling', serviceError('SomethingNew', 400, { $retryable: { throttling: true } })],
    ['HTTP 429', serviceError('UnknownError', 429)],
  ])('when AWS throttles (%s), it returns an AwsTransientError', (_, error) => {
    // Act
    const mapped = mapAwsError(error, 'ECS DescribeServices of api');

    // Assess
    expect(mapped).toBeInstanceOf(AwsTransientError);
    expect(mapped.name).toBe('AwsTransientError');
    expect(mapped.message).toMatch(
      /^ECS DescribeServices of api throttled \(.*request id req-123.*\); safe to retry later$/,
    );
  });

  it.each([
    ['ECS ServerException', new ServerException({ $metadata: { httpStatusCode: 500 }, message: 'oops' })],
    ['ServiceUnavailable', serviceError('ServiceUnavailable', 503)],
    ['InternalServerError', serviceError('InternalServerError', 500)],
    ['any 5xx', serviceError('WhateverError', 502)],
  ])('when AWS fails on its side (%s), it returns an AwsTransientError', (_, error) => {
    // Act
    const mapped = mapAwsError(error, 'ctx');

    // Assess
    expect(mapped).toBeInstanceOf(AwsTransientError);
    expect(mapped.message).toContain('failed on the AWS side');
  });

  it.each([
    [
      'TimeoutError',
      Object.assign(new Error('Connection timed out after 1000 ms'), { name: 'TimeoutError' }),
    ],
    ['ECONNRESET', networkError('ECONNRESET')],
    ['ETIMEDOUT', networkError('ETIMEDOUT')],
    ['EAI_AGAIN', networkError('EAI_AGAIN')],
  ])(
    'when the request times out or the network drops it (%s), it returns an AwsTransientError',
    (_, error) => {
      // Act
      const mapped = mapAwsError(error, 'ctx');

      // Assess
      expect(mapped).toBeInstanceOf(AwsTransientError);
      expect(mapped.message).toContain('timed out or lost its connection');
    },
  );

  it.each([
    ['ClientException', new ClientException({ $metadata: { httpStatusCode: 400 }, message: 'bad request' })],
    [
      'ConditionalCheckFailedException',
      new ConditionalCheckFailedException({
        $metadata: { httpStatusCode: 400 },
        message: 'condition failed',
      }),
    ],
    ['AccessDeniedException', serviceError('AccessDeniedException', 403)],
    ['a plain Error', new Error('bug')],
    ['a domain error', new PipelineMisconfiguredError('no such container')],
  ])('when the error is not transient (%s), it returns it unchanged', (_, error) => {
    // Act
    const mapped = mapAwsError(error, 'ctx');

    // Assess
    expect(mapped).toBe(error);
  });

  it('when the thrown value is not an Error, it wraps it with the context', () => {
    // Act
    const mapped = mapAwsError('boom', 'SFN SendTaskSuccess');

    // Assess
    expect(mapped).toBeInstanceOf(Error);
    expect(mapped.message).toBe('SFN SendTaskSuccess failed: boom');
  });

  it('when the service message could echo the request, it leaves the message out of the transient error', () => {
    // Prepare
    const error = serviceError('ThrottlingException', 400);
    error.message = 'Rate exceeded for token AQCE-secret';

    // Act
    const mapped = mapAwsError(error, 'SFN SendTaskSuccess');

    // Assess
    expect(mapped.message).not.toContain('AQCE-secret');
  });
});

describe('isAwsError', () => {
  it('when the error is an instance of one of the SDK classes, it matches', () => {
    // Prepare
    const error = sdkError(ConditionalCheckFailedException);

    // Act / Assess
    expect(isAwsError(error, ConditionalCheckFailedException)).toBe(true);
    expect(isAwsError(error, ClientException, ConditionalCheckFailedException)).toBe(true);
  });

  it('when another error merely carries the same name, it does not match', () => {
    // Prepare
    const lookalike = Object.assign(new Error('condition'), { name: 'ConditionalCheckFailedException' });
    const otherService = unmodelledSdkError(ECSServiceException, 'ConditionalCheckFailedException');

    // Act / Assess
    expect(isAwsError(lookalike, ConditionalCheckFailedException)).toBe(false);
    expect(isAwsError(otherService, ConditionalCheckFailedException)).toBe(false);
    expect(isAwsError(undefined, ConditionalCheckFailedException)).toBe(false);
  });
});

describe('isUnmodelledAwsError', () => {
  it('when a service answers an error its SDK does not model, it matches by name', () => {
    // Prepare
    const denied = unmodelledSdkError(ECSServiceException, 'AccessDeniedException');

    // Act / Assess
    expect(isUnmodelledAwsError(denied, UNMODELLED_AWS_ERRORS.accessDenied)).toBe(true);
    expect(isUnmodelledAwsError(sdkError(ClientException), UNMODELLED_AWS_ERRORS.accessDenied)).toBe(false);
  });
});

describe('isThrottlingError and isTransientAwsError', () => {
  it.each([
    ['throttling by name', serviceError('ThrottlingException', 400), true, true],
    ['HTTP 429', serviceError('UnknownError', 429), true, true],
    ['a 5xx', sdkError(ServerException, { status: 500 }), false, true],
    ['a dropped connection', networkError('ECONNRESET'), false, true],
    ['an AwsTransientError', new AwsTransientError('throttled'), false, true],
    ['a condition that failed', sdkError(ConditionalCheckFailedException), false, false],
    ['a client error', sdkError(ClientException), false, false],
  ])('when the error is %s, it classifies it', (_, error, throttled, transient) => {
    // Act / Assess
    expect(isThrottlingError(error)).toBe(throttled);
    expect(isTransientAwsError(error)).toBe(transient);
  });
});
