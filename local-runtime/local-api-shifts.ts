/**
 * `GET /api/shifts`: the traffic shifts of the local stack's stages (blue-green, canary, linear) as the hook
 * recorded them in the TrafficShiftLog, with the plan each follows: what the dashboard charts and what
 * `pipeline show --local` prints. Only reads; every query mistake answers 400 (or 404 for an execution that
 * does not exist) with what to send instead.
 */
import { stageShiftsOf, type ShiftLogReader, type StageShift } from '../shared/operations/traffic-shift-view';
import { allExecutions, inspect, type ApiResult, type LocalApiPipeline } from './local-api';

const SHIFTS_PARAMETERS = ['service', 'environment', 'region', 'execution'];

/** Step Functions' execution names: 1 to 80 letters, digits, dashes and underscores. */
const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/** The body of `GET /api/shifts`. */
export interface ApiShifts {
  /** The stack's time: a running step's chart reaches up to it. */
  now: string;
  /** False when the stack keeps no traffic shift log: every shift then shows its plan only. */
  logged: boolean;
  /**
   * With `execution`: each of its stages that shifts traffic and was reached. Without: per stage (service,
   * environment, region), the shift running there now, then the last one that finished there.
   */
  shifts: StageShift[];
}

const NO_LOG: ShiftLogReader = { get: async () => undefined };

const error = (status: number, message: string): ApiResult => ({ status, body: { error: message } });

/** `GET /api/shifts?service=&environment=&region=&execution=`: every filter optional. */
export async function shiftsJson(pipeline: LocalApiPipeline, query: URLSearchParams): Promise<ApiResult> {
  const problem = queryProblem(pipeline, query);
  if (problem) return problem;
  const log = pipeline.shiftLog ?? NO_LOG;
  const wanted = (shift: StageShift) =>
    (!query.get('service') || shift.service === query.get('service')) &&
    (!query.get('environment') || shift.environment === query.get('environment')) &&
    (!query.get('region') || shift.region === query.get('region'));

  const executions = await allExecutions(pipeline); // newest first
  const execution = query.get('execution');
  let shifts: StageShift[];
  if (execution) {
    const found = executions.find((e) => e.name === execution);
    if (!found) return error(404, `no execution named "${execution}" (see /api/executions)`);
    shifts = (await stageShiftsOf(await inspect(pipeline, found.executionArn), log)).filter(wanted);
  } else {
    const running = new Map<string, StageShift>();
    const finished = new Map<string, StageShift>();
    for (const { executionArn } of executions) {
      // Most executions roll everywhere: their input says so, without reading their history.
      if (!(await shiftsTraffic(pipeline, executionArn))) continue;
      for (const shift of (await stageShiftsOf(await inspect(pipeline, executionArn), log)).filter(wanted)) {
        const stage = JSON.stringify([shift.service, shift.environment, shift.region]);
        const seen = shift.outcome === 'in progress' ? running : finished;
        if (!seen.has(stage)) seen.set(stage, shift);
      }
    }
    const stages = [...new Set([...running.keys(), ...finished.keys()])].sort();
    shifts = stages.flatMap((stage) => [running.get(stage), finished.get(stage)].filter(isShift));
  }
  const body: ApiShifts = {
    now: new Date(pipeline.clock.now()).toISOString(),
    logged: pipeline.shiftLog !== undefined,
    shifts,
  };
  return { status: 200, body };
}

/** Whether any stage of the execution's input carries a traffic shift plan. */
async function shiftsTraffic(pipeline: LocalApiPipeline, executionArn: string): Promise<boolean> {
  const { input } = await pipeline.engine.describeExecution({ executionArn });
  try {
    const stages = (JSON.parse(input) as { stages?: unknown }).stages;
    return (
      Array.isArray(stages) && stages.some((stage) => (stage as { traffic?: unknown })?.traffic !== undefined)
    );
  } catch {
    return false; // not JSON: an execution the pipeline did not start
  }
}

function isShift(shift: StageShift | undefined): shift is StageShift {
  return shift !== undefined;
}

/** The 400 a query deserves, naming the parameter and what it may be; undefined for a good query. */
function queryProblem(pipeline: LocalApiPipeline, query: URLSearchParams): ApiResult | undefined {
  for (const name of new Set(query.keys())) {
    if (!SHIFTS_PARAMETERS.includes(name))
      return error(400, `unknown query parameter "${clip(name)}": use ${SHIFTS_PARAMETERS.join(', ')}`);
    if (query.getAll(name).length > 1)
      return error(400, `give ${name} once, got it ${query.getAll(name).length} times`);
  }
  const { config } = pipeline;
  const service = query.get('service');
  const environment = query.get('environment');
  const region = query.get('region');
  const execution = query.get('execution');
  if (service && !config.services.some((s) => s.name === service))
    return error(
      400,
      `unknown service "${clip(service)}": the configuration has ${config.services.map((s) => s.name).join(', ')}`,
    );
  const environments = environment
    ? config.environments.filter((e) => e.name === environment)
    : config.environments;
  if (environments.length === 0)
    return error(
      400,
      `unknown environment "${clip(environment!)}": the configuration has ${config.environments.map((e) => e.name).join(', ')}`,
    );
  const regions = [...new Set(environments.flatMap((e) => e.regions))];
  if (region && !regions.includes(region))
    return error(
      400,
      `unknown region "${clip(region)}"${environment ? ` for ${environment}` : ''}: use one of ${regions.join(', ')}`,
    );
  if (execution && !EXECUTION_NAME.test(execution))
    return error(
      400,
      `execution must be an execution's name (1 to 80 letters, digits, - and _), got "${clip(execution)}"`,
    );
  return undefined;
}

/** A value echoed in an error, cut short: the answer stays small whatever was sent. */
function clip(value: string): string {
  return value.length > 60 ? `${value.slice(0, 59)}…` : value;
}
