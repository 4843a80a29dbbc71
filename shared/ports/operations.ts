import type { ExecutionDescription, ExecutionEvent } from '../operations/execution-view';

/** The pipeline's two state machines, as operators name them. */
export type PipelineMachine = 'promote' | 'release';

/** What ListExecutions says of an execution. */
export type ExecutionListing = Pick<
  ExecutionDescription,
  'executionArn' | 'stateMachineArn' | 'name' | 'status' | 'startDate' | 'stopDate'
>;

export interface ExecutionDetail extends ExecutionDescription {
  redriveCount: number;
  /** Step Functions' own verdict: `REDRIVABLE`, `NOT_REDRIVABLE` or `REDRIVABLE_BY_MAP_RUN`. */
  redriveStatus?: string;
  redriveStatusReason?: string;
}

/** The pipeline's executions as operators act on them: Step Functions, in AWS or in the local stack. */
export interface PipelineExecutions {
  /** Executions of both state machines, newest first. */
  list(filter?: { status?: string }): Promise<ExecutionListing[]>;
  /** The execution of either state machine with this name, if any. */
  find(name: string): Promise<ExecutionDetail | undefined>;
  /** One execution by ARN (from `list`); undefined when it no longer exists. */
  describe(executionArn: string): Promise<ExecutionDetail | undefined>;
  history(executionArn: string): Promise<ExecutionEvent[]>;
  redrive(executionArn: string): Promise<{ redriveDate: Date }>;
  /** Starts an execution; an existing name is reported, not thrown (a repeated command does nothing). */
  start(
    machine: PipelineMachine,
    name: string,
    input: unknown,
  ): Promise<{ executionArn: string; alreadyExisted: boolean }>;
}
