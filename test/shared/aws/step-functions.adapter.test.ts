import {
  ExecutionAlreadyExists,
  InvalidToken,
  SFNClient,
  SFNServiceException,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { StepFunctionsExecutionControl, executionArnOf } from '../../../shared/aws/step-functions.adapter';
import { AwsTransientError } from '../../../shared/domain/errors';
import { sdkError, unmodelledSdkError } from '../../helpers/sdk-errors';

const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:promotion';
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAf-secret-task-token';

describe('StepFunctionsExecutionControl', () => {
  const sfn = mockClient(SFNClient);
  const control = new StepFunctionsExecutionControl({ clients: new SFNClient({ region: 'eu-west-1' }) });

  beforeEach(() => sfn.reset());

  describe('startExecution', () => {
    it('when the name is new, it starts the execution with the input as JSON', async () => {
      // Prepare
      sfn.on(StartExecutionCommand).resolves({
        executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:promotion:api-1-2-3',
        startDate: new Date(),
      });

      // Act
      const result = await control.startExecution({
        stateMachineArn: MACHINE,
        name: 'api-1-2-3',
        input: { version: '1.2.3' },
      });

      // Assess
      expect(sfn).toReceiveCommandWith(StartExecutionCommand, {
        stateMachineArn: MACHINE,
        name: 'api-1-2-3',
        input: '{"version":"1.2.3"}',
      });
      expect(result).toEqual({
        executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:promotion:api-1-2-3',
        alreadyExisted: false,
      });
    });

    it('when the name exists already, it reports alreadyExisted with the execution ARN built from the machine', async () => {
      // Prepare
      sfn
        .on(StartExecutionCommand)
        .rejects(sdkError(ExecutionAlreadyExists, { message: 'Execution Already Exists' }));

      // Act
      const result = await control.startExecution({ stateMachineArn: MACHINE, name: 'api-1-2-3', input: {} });

      // Assess
      expect(result).toEqual({
        executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:promotion:api-1-2-3',
        alreadyExisted: true,
      });
    });

    it('when Step Functions throttles, it throws AwsTransientError', async () => {
      // Prepare
      sfn.on(StartExecutionCommand).rejects(
        new SFNServiceException({
          name: 'ThrottlingException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          $retryable: { throttling: true },
          message: 'Rate exceeded',
        }),
      );

      // Act
      const result = control.startExecution({ stateMachineArn: MACHINE, name: 'api-1-2-3', input: {} });

      // Assess
      await expect(result).rejects.toThrow(AwsTransientError);
    });

    it('when the state machine is in another region, it uses a client for that region', async () => {
      // Prepare
      const factory = jest.fn((region: string) => new SFNClient({ region: region || 'eu-west-1' }));
      const perRegion = new StepFunctionsExecutionControl({ clients: factory });
      sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn', startDate: new Date() });

      // Act
      await perRegion.startExecution({
        stateMachineArn: MACHINE.replace('eu-west-1', 'us-east-1'),
        name: 'n',
        input: {},
      });
      await perRegion.startExecution({
        stateMachineArn: MACHINE.replace('eu-west-1', 'us-east-1'),
        name: 'm',
        input: {},
      });

      // Assess
      expect(factory.mock.calls).toEqual([['us-east-1']]);
    });
  });

  describe('sendTaskSuccess', () => {
    it('when the task waits, it sends the output as JSON and returns true', async () => {
      // Prepare
      sfn.on(SendTaskSuccessCommand).resolves({});

      // Act
      const delivered = await control.sendTaskSuccess(TOKEN, { outcome: 'completed' });

      // Assess
      expect(sfn).toReceiveCommandWith(SendTaskSuccessCommand, {
        taskToken: TOKEN,
        output: '{"outcome":"completed"}',
      });
      expect(delivered).toBe(true);
    });

    it('when the task timed out, it returns false', async () => {
      // Prepare
      sfn.on(SendTaskSuccessCommand).rejects(sdkError(TaskTimedOut, { message: 'Task Timed Out' }));

      // Act
      const delivered = await control.sendTaskSuccess(TOKEN, {});

      // Assess
      expect(delivered).toBe(false);
    });

    it('when the task no longer exists, it returns false', async () => {
      // Prepare
      sfn.on(SendTaskSuccessCommand).rejects(sdkError(TaskDoesNotExist, { message: 'Task Does Not Exist' }));

      // Act
      const delivered = await control.sendTaskSuccess(TOKEN, {});

      // Assess
      expect(delivered).toBe(false);
    });

    it('when Step Functions echoes the token in an error, it keeps the token out of the message', async () => {
      // Prepare
      sfn
        .on(SendTaskSuccessCommand)
        .rejects(sdkError(InvalidToken, { message: `Invalid Token: '${TOKEN}'` }));

      // Act
      const error = await control.sendTaskSuccess(TOKEN, {}).catch((e: unknown) => e as Error);

      // Assess
      expect(error).toBeInstanceOf(InvalidToken);
      expect((error as Error).message).not.toContain(TOKEN);
      expect((error as Error).message).toContain('<task token>');
      expect((error as Error).stack ?? '').not.toContain(TOKEN);
    });

    it('when Step Functions fails on its side, it throws AwsTransientError without the token', async () => {
      // Prepare
      sfn.on(SendTaskSuccessCommand).rejects(
        unmodelledSdkError(SFNServiceException, 'ServiceUnavailable', {
          status: 503,
          message: `unavailable for ${TOKEN}`,
        }),
      );

      // Act
      const error = await control.sendTaskSuccess(TOKEN, {}).catch((e: unknown) => e as Error);

      // Assess
      expect(error).toBeInstanceOf(AwsTransientError);
      expect((error as Error).message).not.toContain(TOKEN);
    });
  });

  describe('sendTaskFailure', () => {
    it('when error and cause are within limits, it sends them unchanged', async () => {
      // Prepare
      sfn.on(SendTaskFailureCommand).resolves({});

      // Act
      const delivered = await control.sendTaskFailure(TOKEN, 'DeploymentFailed', 'circuit breaker tripped');

      // Assess
      expect(sfn).toReceiveCommandWith(SendTaskFailureCommand, {
        taskToken: TOKEN,
        error: 'DeploymentFailed',
        cause: 'circuit breaker tripped',
      });
      expect(delivered).toBe(true);
    });

    it('when error and cause are too long, it truncates them to 256 and 32768 characters', async () => {
      // Prepare
      sfn.on(SendTaskFailureCommand).resolves({});

      // Act
      await control.sendTaskFailure(TOKEN, 'E'.repeat(1000), 'c'.repeat(100_000));

      // Assess
      const input = sfn.commandCalls(SendTaskFailureCommand)[0]?.args[0].input;
      expect(input?.error).toHaveLength(256);
      expect(input?.cause).toHaveLength(32768);
    });

    it('when the task timed out, it returns false', async () => {
      // Prepare
      sfn.on(SendTaskFailureCommand).rejects(sdkError(TaskTimedOut, { message: 'Task Timed Out' }));

      // Act
      const delivered = await control.sendTaskFailure(TOKEN, 'DeploymentFailed', 'x');

      // Assess
      expect(delivered).toBe(false);
    });
  });

  describe('executionArnOf', () => {
    it('when given a state machine ARN, it builds the execution ARN in the same partition, region and account', () => {
      // Act
      const arn = executionArnOf('arn:aws-cn:states:cn-north-1:123456789012:stateMachine:promotion', 'run-1');

      // Assess
      expect(arn).toBe('arn:aws-cn:states:cn-north-1:123456789012:execution:promotion:run-1');
    });
  });
});
