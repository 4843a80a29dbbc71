import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  paginateGetExecutionHistory,
  paginateListExecutions,
  paginateListStateMachines,
  RedriveExecutionCommand,
  SFNClient,
  StartExecutionCommand,
  type ExecutionStatus,
  type HistoryEvent as SfnHistoryEvent,
} from '@aws-sdk/client-sfn';
import { PipelineMisconfiguredError } from '../domain/errors';
import type { ExecutionEvent } from '../operations/execution-view';
import type {
  ExecutionDetail,
  ExecutionListing,
  PipelineExecutions,
  PipelineMachine,
} from '../ports/operations';
import { isAwsError, mapAwsError } from './aws-errors';
import { executionArnOf } from './step-functions.adapter';

export interface PipelineExecutionsOptions {
  client: SFNClient;
  /** The state machines' names: `<service>-<stage>-promote` in AWS, `promote` locally. */
  machineNames: Record<PipelineMachine, string>;
}

/**
 * The operator's view of Step Functions: lists, describes, reads the history of, redrives and starts the
 * pipeline's executions. The same adapter serves `pipeline … --local`, pointed at the local stack's
 * Step Functions endpoint.
 */
export class StepFunctionsPipelineExecutions implements PipelineExecutions {
  private machines?: Promise<Record<PipelineMachine, string>>;

  constructor(private readonly options: PipelineExecutionsOptions) {}

  async list(filter: { status?: string } = {}): Promise<ExecutionListing[]> {
    const machines = await this.machineArns();
    const found: ExecutionListing[] = [];
    for (const stateMachineArn of Object.values(machines)) {
      const pages = paginateListExecutions(
        { client: this.options.client },
        { stateMachineArn, ...(filter.status && { statusFilter: filter.status as ExecutionStatus }) },
      );
      await this.call('ListExecutions', async () => {
        for await (const page of pages)
          for (const e of page.executions ?? [])
            found.push({
              executionArn: e.executionArn ?? '',
              stateMachineArn: e.stateMachineArn ?? stateMachineArn,
              name: e.name ?? '',
              status: e.status ?? 'UNKNOWN',
              startDate: e.startDate ?? new Date(0),
              ...(e.stopDate && { stopDate: e.stopDate }),
            });
      });
    }
    return found.sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
  }

  async find(name: string): Promise<ExecutionDetail | undefined> {
    for (const stateMachineArn of Object.values(await this.machineArns())) {
      const found = await this.describe(executionArnOf(stateMachineArn, name));
      if (found) return found;
    }
    return undefined;
  }

  async describe(executionArn: string): Promise<ExecutionDetail | undefined> {
    try {
      const e = await this.options.client.send(new DescribeExecutionCommand({ executionArn }));
      return {
        executionArn,
        stateMachineArn: e.stateMachineArn ?? '',
        name: e.name ?? executionArn.split(':').pop() ?? '',
        status: e.status ?? 'UNKNOWN',
        startDate: e.startDate ?? new Date(0),
        ...(e.stopDate && { stopDate: e.stopDate }),
        input: e.input ?? '{}',
        ...(e.error && { error: e.error }),
        ...(e.cause && { cause: e.cause }),
        redriveCount: e.redriveCount ?? 0,
        ...(e.redriveStatus && { redriveStatus: e.redriveStatus }),
        ...(e.redriveStatusReason && { redriveStatusReason: e.redriveStatusReason }),
      };
    } catch (error) {
      if (isAwsError(error, ExecutionDoesNotExist)) return undefined;
      throw mapAwsError(error, `Step Functions DescribeExecution of ${executionArn.split(':').pop()}`);
    }
  }

  async history(executionArn: string): Promise<ExecutionEvent[]> {
    const events: ExecutionEvent[] = [];
    const pages = paginateGetExecutionHistory(
      { client: this.options.client, pageSize: 1000 },
      { executionArn, includeExecutionData: true },
    );
    await this.call('GetExecutionHistory', async () => {
      for await (const page of pages) for (const event of page.events ?? []) events.push(fromSfnEvent(event));
    });
    return events;
  }

  async redrive(executionArn: string): Promise<{ redriveDate: Date }> {
    const { redriveDate } = await this.call('RedriveExecution', () =>
      this.options.client.send(new RedriveExecutionCommand({ executionArn })),
    );
    return { redriveDate: redriveDate ?? new Date() };
  }

  async start(
    machine: PipelineMachine,
    name: string,
    input: unknown,
  ): Promise<{ executionArn: string; alreadyExisted: boolean }> {
    const stateMachineArn = (await this.machineArns())[machine];
    try {
      const started = await this.options.client.send(
        new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
      );
      return {
        executionArn: started.executionArn ?? executionArnOf(stateMachineArn, name),
        alreadyExisted: false,
      };
    } catch (error) {
      if (isAwsError(error, ExecutionAlreadyExists))
        return { executionArn: executionArnOf(stateMachineArn, name), alreadyExisted: true };
      throw mapAwsError(error, `Step Functions StartExecution of ${name}`);
    }
  }

  /** The two state machines' ARNs, looked up by name once. */
  private machineArns(): Promise<Record<PipelineMachine, string>> {
    this.machines ??= (async () => {
      const byName = new Map<string, string>();
      await this.call('ListStateMachines', async () => {
        for await (const page of paginateListStateMachines({ client: this.options.client }, {}))
          for (const m of page.stateMachines ?? [])
            if (m.name && m.stateMachineArn) byName.set(m.name, m.stateMachineArn);
      });
      const arnOf = (machine: PipelineMachine): string => {
        const name = this.options.machineNames[machine];
        const arn = byName.get(name);
        if (!arn)
          throw new PipelineMisconfiguredError(
            `no state machine named ${name}: is the pipeline deployed in this account and region (--stage, --region)?`,
          );
        return arn;
      };
      return { promote: arnOf('promote'), release: arnOf('release') };
    })();
    this.machines.catch(() => (this.machines = undefined)); // a failed lookup is retried next time
    return this.machines;
  }

  private async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw mapAwsError(error, `Step Functions ${operation}`);
    }
  }
}

/**
 * A Step Functions history event in the shape the execution view reads. Lambda tasks invoked by ARN report
 * `LambdaFunction*` events in AWS where the local engine reports `Task*`: those the view reads become
 * `Task*` here.
 */
export function fromSfnEvent(event: SfnHistoryEvent): ExecutionEvent {
  const type = String(event.type ?? '')
    .replace(/^LambdaFunctionScheduled$/, 'TaskScheduled')
    .replace(/^LambdaFunctionFailed$/, 'TaskFailed')
    .replace(/^LambdaFunctionTimedOut$/, 'TaskTimedOut');
  const entered = event.stateEnteredEventDetails;
  const exited = event.stateExitedEventDetails;
  const iteration =
    event.mapIterationStartedEventDetails ??
    event.mapIterationSucceededEventDetails ??
    event.mapIterationFailedEventDetails ??
    event.mapIterationAbortedEventDetails;
  const failure =
    event.taskFailedEventDetails ??
    event.taskTimedOutEventDetails ??
    event.lambdaFunctionFailedEventDetails ??
    event.lambdaFunctionTimedOutEventDetails ??
    event.executionFailedEventDetails ??
    event.executionTimedOutEventDetails ??
    event.executionAbortedEventDetails;
  const details: ExecutionEvent['details'] = {};
  const name = entered?.name ?? exited?.name ?? iteration?.name;
  if (name !== undefined) details.name = name;
  if (iteration?.index !== undefined) details.index = iteration.index;
  if (failure?.error !== undefined) details.error = failure.error;
  if (failure?.cause !== undefined) details.cause = failure.cause;
  if (exited?.output !== undefined) details.output = parseJson(exited.output);
  return { type, timestamp: event.timestamp ?? new Date(0), details };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
