import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient } from '@aws-sdk/client-sfn';
import type { ExecutionLookup, ExecutionStatus } from '../ports/deployment';
import { isAwsError, mapAwsError } from './aws-errors';
import { clientsFrom, type ClientSource } from './regional-clients';
import { executionArnOf, regionOf } from './step-functions.adapter';

/**
 * Finds an execution by its name with DescribeExecution (the ARN is derived from the state machine's).
 * Apart from the execution control so that only the functions that look executions up carry the command
 * (and need states:DescribeExecution in their role).
 */
export class StepFunctionsExecutionLookup implements ExecutionLookup {
  private readonly client: (region: string) => SFNClient;

  constructor(options: { clients?: ClientSource<SFNClient> } = {}) {
    this.client = clientsFrom(options.clients, SFNClient);
  }

  async executionStatus(stateMachineArn: string, name: string): Promise<ExecutionStatus | undefined> {
    const executionArn = executionArnOf(stateMachineArn, name);
    try {
      const response = await this.client(regionOf(stateMachineArn)).send(
        new DescribeExecutionCommand({ executionArn }),
      );
      return response.status;
    } catch (error) {
      if (isAwsError(error, ExecutionDoesNotExist)) return undefined;
      throw mapAwsError(error, `Step Functions DescribeExecution of ${name}`);
    }
  }
}
