import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  SFNClient,
  SFNServiceException,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { StepFunctionsExecutionLookup } from '../../../shared/aws/execution-lookup.adapter';
import { AwsTransientError } from '../../../shared/domain/errors';
import { sdkError, unmodelledSdkError } from '../../helpers/sdk-errors';

const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:promotion';

describe('StepFunctionsExecutionLookup', () => {
  const sfn = mockClient(SFNClient);
  const lookup = new StepFunctionsExecutionLookup({ clients: new SFNClient({ region: 'eu-west-1' }) });

  beforeEach(() => sfn.reset());

  describe('executionStatus', () => {
    it('when an execution has the name, it describes it by the ARN built from the machine and returns its status', async () => {
      // Prepare
      sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED' });

      // Act
      const status = await lookup.executionStatus(MACHINE, 'push-orders-api-1');

      // Assess
      expect(sfn).toReceiveCommandWith(DescribeExecutionCommand, {
        executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:promotion:push-orders-api-1',
      });
      expect(status).toBe('FAILED');
    });

    it('when no execution has the name, it returns undefined', async () => {
      // Prepare
      sfn
        .on(DescribeExecutionCommand)
        .rejects(sdkError(ExecutionDoesNotExist, { message: 'does not exist' }));

      // Act / Assess
      await expect(lookup.executionStatus(MACHINE, 'push-orders-api-2')).resolves.toBeUndefined();
    });

    it('when Step Functions throttles, it is transient', async () => {
      // Prepare
      sfn
        .on(DescribeExecutionCommand)
        .rejects(
          unmodelledSdkError(SFNServiceException, 'ThrottlingException', { message: 'Rate exceeded' }),
        );

      // Act / Assess
      await expect(lookup.executionStatus(MACHINE, 'push-orders-api-3')).rejects.toThrow(AwsTransientError);
    });
  });
});
