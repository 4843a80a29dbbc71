import type { ExecutionControl, ExecutionLookup, ExecutionStatus } from '../shared/ports/deployment';
import type { LocalStepFunctions } from './engine';

/** ExecutionControl over the local Step Functions engine, with the AWS adapter's semantics. */
export class LocalExecutionControl implements ExecutionControl, ExecutionLookup {
  constructor(private readonly engine: LocalStepFunctions) {}

  async executionStatus(stateMachineArn: string, name: string): Promise<ExecutionStatus | undefined> {
    const executionArn = stateMachineArn.replace(':stateMachine:', ':execution:') + `:${name}`;
    try {
      return (await this.engine.describeExecution({ executionArn })).status;
    } catch (error) {
      if ((error as Error).name === 'ExecutionDoesNotExist') return undefined;
      throw error;
    }
  }

  async startExecution(request: { stateMachineArn: string; name: string; input: unknown }) {
    try {
      const { executionArn } = await this.engine.startExecution({
        stateMachineArn: request.stateMachineArn,
        name: request.name,
        input: JSON.stringify(request.input),
      });
      return { executionArn, alreadyExisted: false };
    } catch (error) {
      if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
      const arn = request.stateMachineArn.replace(':stateMachine:', ':execution:') + `:${request.name}`;
      return { executionArn: arn, alreadyExisted: true };
    }
  }

  sendTaskSuccess(taskToken: string, output: unknown): Promise<boolean> {
    return this.deliver(() => this.engine.sendTaskSuccess({ taskToken, output: JSON.stringify(output) }));
  }

  sendTaskFailure(taskToken: string, error: string, cause: string): Promise<boolean> {
    return this.deliver(() => this.engine.sendTaskFailure({ taskToken, error, cause }));
  }

  private async deliver(send: () => unknown): Promise<boolean> {
    try {
      await send();
      return true;
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'TaskDoesNotExist' || name === 'TaskTimedOut') return false;
      throw error;
    }
  }
}
