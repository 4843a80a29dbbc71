import {
  ConditionalCheckFailedException,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-dynamodb';
import { ClientException, ECSServiceException, ServerException } from '@aws-sdk/client-ecs';
import { mapAwsError } from '../../../shared/aws/aws-errors';
import { AwsTransientError, PipelineMisconfiguredError } from '../../../shared/domain/errors';

function serviceError(
  name: string,
  httpStatusCode: number,
  extra: Record<string, unknown> = {},
): ECSServiceException {
  return Object.assign(
    new ECSServiceException({
      name,
      $fault: httpStatusCode >= 500 ? 'server' : 'client',
      $metadata: { httpStatusCode, requestId: 'req-123' },
      message: `${name} happened`,
    }),
    extra,
  );
}

function networkError(code: string): Error {
  return Object.assign(new Error(`socket hang up (${code})`), { code });
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
