import {
  ExecutionAlreadyExists,
  SFNClient,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import type { ExecutionControl } from '../ports/deployment';
import { isAwsError, mapAwsError } from './aws-errors';
import { clientsFrom, type ClientSource } from './regional-clients';

export interface StepFunctionsExecutionControlOptions {
  /**
   * A ready client (tests) or a per-region factory. Executions start in the state machine's region (read
   * from its ARN); task tokens carry no readable region, so callbacks go to `region`.
   */
  clients?: ClientSource<SFNClient>;
  /** Where the pipeline's state machines run, for callbacks; defaults to the SDK's (AWS_REGION in Lambda). */
  region?: string;
}

/** Step Functions limits on SendTaskFailure. */
const MAX_ERROR_LENGTH = 256;
const MAX_CAUSE_LENGTH = 32768;

/**
 * Starts executions and answers task-token callbacks. Starting is idempotent by execution name: a name that
 * exists already (EventBridge delivers at least once) is reported as `alreadyExisted` with the execution's
 * ARN, which is derived from the state machine's ARN since the error does not carry it. A callback whose
 * task no longer waits returns false rather than throwing, because the event and the sweep race to answer
 * the same token. Task tokens are credentials for the execution: they never appear in errors or logs.
 */
export class StepFunctionsExecutionControl implements ExecutionControl {
  private readonly client: (region: string) => SFNClient;
  /** '' stands for the SDK's default region (AWS_REGION in Lambda). */
  private readonly callbackRegion: string;

  constructor(options: StepFunctionsExecutionControlOptions = {}) {
    this.client = clientsFrom(options.clients, SFNClient);
    this.callbackRegion = options.region ?? '';
  }

  async startExecution(request: {
    stateMachineArn: string;
    name: string;
    input: unknown;
  }): Promise<{ executionArn: string; alreadyExisted: boolean }> {
    try {
      const response = await this.client(regionOf(request.stateMachineArn)).send(
        new StartExecutionCommand({
          stateMachineArn: request.stateMachineArn,
          name: request.name,
          input: JSON.stringify(request.input ?? {}),
        }),
      );
      return {
        executionArn: response.executionArn ?? executionArnOf(request.stateMachineArn, request.name),
        alreadyExisted: false,
      };
    } catch (error) {
      if (isAwsError(error, ExecutionAlreadyExists))
        return { executionArn: executionArnOf(request.stateMachineArn, request.name), alreadyExisted: true };
      throw mapAwsError(error, `Step Functions StartExecution of ${request.name}`);
    }
  }

  async sendTaskSuccess(taskToken: string, output: unknown): Promise<boolean> {
    return this.answer(
      taskToken,
      new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output ?? {}) }),
      'SendTaskSuccess',
    );
  }

  async sendTaskFailure(taskToken: string, error: string, cause: string): Promise<boolean> {
    return this.answer(
      taskToken,
      new SendTaskFailureCommand({
        taskToken,
        error: truncate(error, MAX_ERROR_LENGTH),
        cause: truncate(cause, MAX_CAUSE_LENGTH),
      }),
      'SendTaskFailure',
    );
  }

  private async answer(
    taskToken: string,
    command: SendTaskSuccessCommand | SendTaskFailureCommand,
    operation: string,
  ): Promise<boolean> {
    try {
      // Both commands share the client's send signature; the union needs a nudge for the overloads.
      await this.client(this.callbackRegion).send(command as SendTaskSuccessCommand);
      return true;
    } catch (error) {
      // The task no longer waits: it timed out, was answered already, or its execution ended.
      if (isAwsError(error, TaskDoesNotExist, TaskTimedOut)) return false;
      throw withoutToken(mapAwsError(error, `Step Functions ${operation}`), taskToken);
    }
  }
}

/** `arn:aws:states:REGION:ACCOUNT:stateMachine:NAME` → `arn:aws:states:REGION:ACCOUNT:execution:NAME:EXECUTION`. */
export function executionArnOf(stateMachineArn: string, executionName: string): string {
  const parts = stateMachineArn.split(':');
  if (parts.length < 7 || parts[5] !== 'stateMachine')
    throw new Error(`not a state machine ARN: ${stateMachineArn}`);
  return [...parts.slice(0, 5), 'execution', parts[6], executionName].join(':');
}

export function regionOf(arn: string): string {
  return arn.split(':')[3] ?? '';
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Services echo invalid tokens in their messages (InvalidToken); scrub before the error travels on. */
function withoutToken(error: Error, taskToken: string): Error {
  if (taskToken.length === 0 || !error.message.includes(taskToken)) return error;
  error.message = error.message.split(taskToken).join('<task token>');
  if (error.stack) error.stack = error.stack.split(taskToken).join('<task token>');
  return error;
}
