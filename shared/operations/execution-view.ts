/**
 * How operators see an execution: which states ran in which stage (environment/region), how each stage
 * ended or what it is doing now. Pure functions over a description and a history in Step Functions' shape,
 * so the local runtime's engine and the Step Functions API give the same views.
 */
import type { Stage } from '../domain/stage';

/** A history event, as the local engine keeps it and as the Step Functions adapter converts it. */
export interface ExecutionEvent {
  type: string;
  timestamp: Date;
  details: { name?: string; index?: number; error?: string; cause?: string; output?: unknown };
}

/** What DescribeExecution says of an execution (the local engine's and the AWS adapter's shape). */
export interface ExecutionDescription {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: string;
  startDate: Date;
  stopDate?: Date;
  /** The execution input, JSON. */
  input: string;
  error?: string;
  cause?: string;
  stateTransitions?: number;
}

export type DeploymentOutcome =
  | 'deployed'
  | 'rolled back'
  | 'rollback failed'
  | 'superseded'
  | 'already running'
  | 'rejected'
  | 'approval expired'
  | 'failed'
  | 'not started';

export interface StateVisit {
  state: string;
  type: string;
  enteredAt: number;
  exitedAt?: number;
  /** Map iteration (stage index) the state ran in, if any. */
  stage?: number;
  error?: string;
  cause?: string;
  /** Task states: how many times the task was invoked (retries included). */
  attempts?: number;
}

/** The stages of an execution's input: a promotion and a release both carry them. */
export interface ExecutionInput {
  service?: string;
  version?: string;
  commit?: string;
  image?: { digest?: string };
  stages?: Stage[];
}

export type StageOutcome = DeploymentOutcome | 'in progress';

export interface ApiState {
  state: string;
  type: string;
  enteredAt: string;
  exitedAt: string | null;
  /** Null while the state runs. */
  durationMs: number | null;
  error?: string;
}

export interface ApiStage {
  environment: string;
  region: string;
  outcome: StageOutcome;
  /** The state the stage is in now, while it runs. */
  current?: string;
  states: ApiState[];
}

export interface ApiExecutionSummary {
  stateMachine: string;
  name: string;
  status: string;
  startDate: string;
  stopDate: string | null;
  /** Known locally; Step Functions' DescribeExecution does not say. */
  transitions: number | null;
  service: string | null;
  version: string | null;
  /** The stage being worked on (while running), or the last one reached. */
  currentStage: { environment: string; region: string; state: string } | null;
  /** Every planned stage with its outcome so far. */
  stages: { environment: string; region: string; outcome: StageOutcome }[];
}

export interface ApiExecutionDetail extends ApiExecutionSummary {
  executionArn: string;
  commit: string | null;
  digest: string | null;
  error: string | null;
  /** The cause as a person reads it (Lambda's JSON unwrapped). */
  cause: string | null;
  /** States outside any stage (the release's checks, the Map itself). */
  states: ApiState[];
  detailedStages: ApiStage[];
  deployments: {
    service: string;
    environment: string;
    region: string;
    digest: string;
    outcome: StageOutcome;
  }[];
}

/**
 * Everything an operator view derives from one execution, from its description and history: the dashboard
 * (`GET /api/executions`), `pipeline executions`, `pipeline show` and `pipeline status` all read it here.
 */
export function viewExecution(execution: ExecutionDescription, events: ExecutionEvent[]) {
  let input: ExecutionInput = {};
  try {
    input = JSON.parse(execution.input) as ExecutionInput;
  } catch {
    // not JSON: an execution the pipeline did not start
  }
  const states = statesOf(events);
  const plan = input.stages ?? [];
  const stages: ApiStage[] = plan.map((stage, index) => {
    const ran = states.filter((s) => s.stage === index);
    const open =
      execution.status === 'RUNNING' ? ran.filter((s) => s.exitedAt === undefined).at(-1) : undefined;
    const outcome: StageOutcome =
      execution.status === 'RUNNING' && ran.length > 0 && !finished(ran)
        ? 'in progress'
        : outcomeOf(states, index);
    return {
      environment: stage.environment,
      region: stage.region,
      outcome,
      ...(outcome === 'in progress' && { current: (open ?? ran.at(-1))!.state }),
      states: ran.map(apiState),
    };
  });
  const lastIndex = states.reduce<number | undefined>((at, s) => s.stage ?? at, undefined);
  const last = lastIndex === undefined ? undefined : stages[lastIndex];
  const summary: ApiExecutionSummary = {
    stateMachine: execution.stateMachineArn.split(':').pop() ?? '',
    name: execution.name,
    status: execution.status,
    startDate: execution.startDate.toISOString(),
    stopDate: execution.stopDate?.toISOString() ?? null,
    transitions: execution.stateTransitions ?? null,
    service: input.service ?? null,
    version: input.version ?? null,
    currentStage: last
      ? {
          environment: last.environment,
          region: last.region,
          state: last.current ?? last.states.at(-1)?.state ?? '',
        }
      : null,
    stages: stages.map((s) => ({ environment: s.environment, region: s.region, outcome: s.outcome })),
  };
  return { execution, events, input, states, stages, summary };
}

/** A stage is over once it reached one of its last states. */
function finished(ran: StateVisit[]): boolean {
  const last = ran.at(-1)!;
  return (
    last.exitedAt !== undefined &&
    ['Stage deployed', 'Stage superseded', 'Stop the stage'].includes(last.state)
  );
}

export function apiState(s: StateVisit): ApiState {
  return {
    state: s.state,
    type: s.type,
    enteredAt: new Date(s.enteredAt).toISOString(),
    exitedAt: s.exitedAt === undefined ? null : new Date(s.exitedAt).toISOString(),
    durationMs: s.exitedAt === undefined ? null : s.exitedAt - s.enteredAt,
    ...(s.error && { error: s.error }),
  };
}

/** A release learns its image in "Resolve the release image"; a promotion starts with it. */
export function releaseDigest(events: ExecutionEvent[]): string | undefined {
  for (const event of events) {
    const output = event.details.output as { resolved?: { image?: { digest?: string } } } | undefined;
    if (event.type === 'TaskStateExited' && output?.resolved?.image?.digest)
      return output.resolved.image.digest;
  }
  return undefined;
}

/** States whose timeout is how they end when all went well: the bake's callback, when no alarm fired. */
const ENDS_BY_TIMEOUT = new Set(['Bake']);

/** Pairs entered/exited events into a list of states run, tagging each with its Map iteration. */
export function statesOf(events: ExecutionEvent[]): StateVisit[] {
  const states: StateVisit[] = [];
  const open: StateVisit[] = [];
  let iteration: number | undefined;
  for (const event of events) {
    const at = event.timestamp.getTime();
    if (event.type === 'MapIterationStarted') iteration = event.details.index;
    if (/^MapIteration(Succeeded|Failed|Aborted)$/.test(event.type)) iteration = undefined;
    if (event.type.endsWith('StateEntered')) {
      const state: StateVisit = {
        state: event.details.name ?? '?',
        type: event.type.replace('StateEntered', ''),
        enteredAt: at,
        ...(iteration !== undefined && { stage: iteration }),
      };
      states.push(state);
      open.push(state);
    } else if (event.type.endsWith('StateExited')) {
      const state = [...open].reverse().find((s) => s.state === event.details.name);
      if (state) {
        state.exitedAt = at;
        open.splice(open.indexOf(state), 1);
      }
    } else if ((event.type === 'TaskFailed' || event.type === 'TaskTimedOut') && open.length > 0) {
      const state = open[open.length - 1]!;
      if (event.type === 'TaskTimedOut' && ENDS_BY_TIMEOUT.has(state.state)) continue;
      state.error = event.details.error;
      if (event.details.cause !== undefined) state.cause = event.details.cause;
    } else if (event.type === 'TaskScheduled' && open.length > 0) {
      const state = open[open.length - 1]!;
      state.attempts = (state.attempts ?? 0) + 1;
    }
  }
  return states;
}

export function outcomeOf(states: StateVisit[], stage: number): DeploymentOutcome {
  const ran = states.filter((s) => s.stage === stage);
  if (ran.length === 0) return 'not started';
  // After a redrive the last attempt of the stage decides.
  const last = ran.at(-1)!;
  if (last.state === 'Stage deployed') return 'deployed';
  if (last.state === 'Stage superseded') return 'superseded';
  if (last.state === 'Already running here') return 'already running';
  if (last.state === 'Stop the stage' && !ran.some((s) => s.state === 'Deploy to region')) {
    if (last.error === 'ApprovalRejected') return 'rejected';
    if (last.error === 'ApprovalExpired') return 'approval expired';
    return 'failed';
  }
  if (last.state === 'Stop the stage') {
    const rollbackFailed =
      ran.some((s) => s.state === 'Roll back region' && s.error) || last.error === 'RollbackFailed';
    return rollbackFailed ? 'rollback failed' : 'rolled back';
  }
  return 'failed';
}

/** What a running stage is doing, by the state it is in. */
export type Activity =
  | 'starting'
  | 'waiting for approval'
  | 'waiting for the deployment lock'
  | 'waiting: environment frozen'
  | 'waiting: outside deployment window'
  | 'deploying'
  | 'smoke testing'
  | 'baking'
  | 'rolling back'
  | 'finishing';

export const ACTIVITY_OF_STATE: Record<string, Activity> = {
  'Wait for approval': 'waiting for approval',
  'Take the deployment lock': 'waiting for the deployment lock',
  'Superseded or needs approval?': 'starting',
  'Check the deployment gate': 'starting',
  'Deployment gate open?': 'starting',
  'Wait while the environment is frozen': 'waiting: environment frozen',
  'Wait for the deployment window': 'waiting: outside deployment window',
  'Deploy to region': 'deploying',
  'Deploy the stage again': 'deploying',
  'Wait for ECS deployment': 'deploying',
  'Run smoke checks': 'smoke testing',
  Bake: 'baking',
  'Check alarms after bake': 'baking',
  'Record the failure': 'rolling back',
  'Roll back region': 'rolling back',
  'Roll back again': 'rolling back',
  'Rollback needs a deployment?': 'rolling back',
  'Wait for rollback deployment': 'rolling back',
};
