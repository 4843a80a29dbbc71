/**
 * The local stack's HTTP API as plain functions over a LocalPipeline-like object, so that it can be tested
 * without a server: `POST /events` (EventBridge envelopes or PutEvents entries), `GET /api/executions`,
 * `GET /api/executions/{name}` and `GET /api/state`. `local-http-server.ts` routes requests here.
 */
import { randomUUID } from 'node:crypto';
import { approvalExpiryNote } from './time-scale-note';
import { PurposeScaledClock, type TimeScales } from './time-scales';
import type { PipelineConfig } from '../shared/config/config.schema';
import type {
  ContainerView,
  DeploymentRecordStore,
  EcsTarget,
  TaskDefinitionView,
} from '../shared/ports/deployment';
import { parseSince } from '../shared/domain/delivery-metrics';
import { DeliveryRecordsCache, readDeliveryMetrics } from '../shared/operations/metrics';
import { readableCause } from '../shared/domain/failure-cause';
import { planStages, type Stage } from '../shared/domain/stage';
import { eventEnvelopeSchema } from '../shared/events/event-envelope.schema';
import { tooDeep } from '../shared/events/json-depth';
import { DEPLOYED_ENV } from '../shared/domain/deployment-record';
import type { StartDecision } from '../shared/use-cases/start-promotion';
import type { DescribeExecutionOutput, ExecutionListItem, HistoryEvent } from './engine';
import { isRejection, noRuleReason, type RoutedEvent } from './event-bus';
import {
  ACTIVITY_OF_STATE,
  apiState,
  releaseDigest,
  viewExecution,
  type ApiExecutionDetail,
} from '../shared/operations/execution-view';
import type { ApiTarget } from './local-api-types';
import type { ShiftLogReader } from '../shared/operations/traffic-shift-view';
import { LOCAL_ACCOUNT } from './state-machine-definitions';
import { eventShapeHint } from './event-shape-hint';

export type { ApiTarget } from './local-api-types';

/** EventBridge's limit for one PutEvents request, entries included. */
export const MAX_EVENTS_BODY_BYTES = 256 * 1024;
/** EventBridge's limit of entries per PutEvents request. */
export const MAX_PUT_EVENTS_ENTRIES = 10;

/** What the API needs of a LocalPipeline (a LocalPipeline is one). */
export interface LocalApiPipeline {
  readonly config: PipelineConfig;
  /** The stack's one clock; `rate` is how fast it runs against the wall clock when it does so steadily. */
  readonly clock: { now(): number; readonly rate?: number };
  readonly engine: {
    listExecutions(input: { stateMachineArn?: string }): Promise<{ executions: ExecutionListItem[] }>;
    describeExecution(input: { executionArn: string }): Promise<DescribeExecutionOutput>;
    getExecutionHistory(input: { executionArn: string }): Promise<{ events: HistoryEvent[] }>;
  };
  readonly platform: { serving(target: EcsTarget): TaskDefinitionView | undefined };
  /** What local GitHub deliveries are signed with (`GET /api/github-webhook-secret`, never printed). */
  readonly githubWebhookSecret?: string;
  /** The deployment records (`GET /api/metrics`). */
  readonly records?: DeploymentRecordStore;
  /** The local notification topic (`GET /api/notifications`). */
  readonly notifications?: { toJson(): unknown };
  /** Each stage's traffic shift as the hook recorded it (`GET /api/shifts`, local-api-shifts.ts). */
  readonly shiftLog?: ShiftLogReader;
  putEvent(event: unknown): Promise<RoutedEvent>;
}

/** An API answer: a status and a JSON body. */
export interface ApiResult {
  status: number;
  body: unknown;
}

/** A client mistake, answered with `status` and `{ error: message }`. */
export class ApiInputError extends Error {
  override readonly name = 'ApiInputError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const error = (status: number, message: string): ApiResult => ({ status, body: { error: message } });

// ---------------------------------------------------------------------------------------------- events

export interface EventResult {
  /** The executions the event started (ARNs). */
  started: string[];
  /** Why nothing started, when nothing did because the pipeline decided so. */
  ignored?: string;
  /** A target failed (a bug or an outage, not a decision about the event): the request answers 500. */
  failed?: string;
}

/**
 * Reads the body of `POST /events`: one EventBridge envelope, or `{ "Entries": [...] }` as PutEvents takes
 * them (full envelopes, or entries with `Source`, `DetailType`, `Detail` as a JSON string, optional
 * `Resources` and `Time`). Entries get an id, the time, the local account and the pipeline's region.
 * Throws ApiInputError naming what is wrong.
 */
export function parseEventsBody(
  contentType: string | undefined,
  body: Buffer,
  defaults: { now: number; region: string },
): unknown[] {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  // curl --data sends application/x-www-form-urlencoded unless told otherwise: accept it as JSON too.
  if (type !== 'application/json' && type !== 'application/x-www-form-urlencoded')
    throw new ApiInputError(415, `content-type must be application/json, got ${type ? `"${type}"` : 'none'}`);
  if (body.length > MAX_EVENTS_BODY_BYTES)
    throw new ApiInputError(
      413,
      `request body is ${body.length} bytes; EventBridge takes at most ${MAX_EVENTS_BODY_BYTES} (256 KiB)`,
    );
  if (body.length === 0) throw new ApiInputError(400, 'empty body: send an EventBridge event as JSON');
  const text = body.toString('utf8');
  const deep = tooDeep(text, 'the body');
  if (deep) throw new ApiInputError(400, deep);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ApiInputError(400, `body is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new ApiInputError(
      400,
      'body must be a JSON object: one EventBridge event, or { "Entries": [...] } as PutEvents takes them',
    );
  if (!('Entries' in json)) return [validEnvelope(json, 'event')];
  const entries = (json as { Entries: unknown }).Entries;
  if (!Array.isArray(entries) || entries.length === 0 || entries.length > MAX_PUT_EVENTS_ENTRIES)
    throw new ApiInputError(
      400,
      `Entries must be an array of 1 to ${MAX_PUT_EVENTS_ENTRIES} events, as in PutEvents`,
    );
  return entries.map((entry, i) => validEnvelope(fromPutEventsEntry(entry, i, defaults), `Entries[${i}]`));
}

function validEnvelope(event: unknown, where: string): unknown {
  const parsed = eventEnvelopeSchema.safeParse(event);
  if (parsed.success) return event;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`);
  throw new ApiInputError(
    400,
    `${where} is not an EventBridge event: ${problems.join('; ')}${eventShapeHint(event, 'events')}`,
  );
}

/** A PutEvents entry (`Source`, `DetailType`, `Detail`) as the envelope a rule target receives. */
function fromPutEventsEntry(
  entry: unknown,
  index: number,
  defaults: { now: number; region: string },
): unknown {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
    throw new ApiInputError(400, `Entries[${index}] must be an object`);
  const e = entry as Record<string, unknown>;
  if (!('Source' in e) && !('DetailType' in e) && !('Detail' in e)) return entry; // a full envelope
  for (const field of ['Source', 'DetailType', 'Detail'])
    if (typeof e[field] !== 'string' || e[field] === '')
      throw new ApiInputError(400, `Entries[${index}].${field} must be a non-empty string`);
  let detail: unknown;
  try {
    detail = JSON.parse(e.Detail as string);
  } catch (err) {
    throw new ApiInputError(
      400,
      `Entries[${index}].Detail must be a JSON object in a string: ${(err as Error).message}`,
    );
  }
  if (e.Resources !== undefined && !Array.isArray(e.Resources))
    throw new ApiInputError(400, `Entries[${index}].Resources must be an array of strings`);
  const time = e.Time === undefined ? new Date(defaults.now) : new Date(e.Time as string);
  if (Number.isNaN(time.getTime()))
    throw new ApiInputError(400, `Entries[${index}].Time must be an ISO 8601 timestamp`);
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': e.DetailType,
    source: e.Source,
    account: LOCAL_ACCOUNT,
    time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: defaults.region,
    resources: e.Resources ?? [],
    detail,
  };
}

/** `POST /events`: delivers each event through the rules, in order, and says what each started. */
export async function postEvents(
  pipeline: LocalApiPipeline,
  contentType: string | undefined,
  body: Buffer,
): Promise<ApiResult> {
  let events: unknown[];
  try {
    events = parseEventsBody(contentType, body, {
      now: pipeline.clock.now(),
      region: pipelineRegion(pipeline.config),
    });
  } catch (e) {
    if (e instanceof ApiInputError) return error(e.status, e.message);
    throw e;
  }
  const results: EventResult[] = [];
  for (const event of events)
    results.push(eventResult(pipeline.config, event, await pipeline.putEvent(event)));
  const failed = results.filter((r) => r.failed !== undefined).length;
  return failed === 0
    ? { status: 200, body: { results } }
    : {
        status: 500,
        body: {
          error: `${failed} of ${results.length} events could not be handled (see results[].failed): an internal error, not a decision about the event`,
          results,
        },
      };
}

function eventResult(config: PipelineConfig, event: unknown, routed: RoutedEvent): EventResult {
  const started: string[] = [];
  const reasons: string[] = [];
  const failures: string[] = [];
  if (routed.deliveries.length === 0) reasons.push(noRuleReason(config, event));
  for (const delivery of routed.deliveries) {
    if (delivery.error) {
      if (isRejection(delivery.error))
        reasons.push(`${delivery.rule} rejected it: ${delivery.error.message}`);
      else failures.push(`${delivery.rule} failed: ${delivery.error.name}: ${delivery.error.message}`);
      continue;
    }
    const decision = delivery.result as StartDecision | { outcome?: string } | undefined;
    if (decision && 'started' in decision) {
      if (decision.started) started.push(decision.executionArn);
      else reasons.push(decision.reason);
    }
  }
  if (failures.length > 0) return { started, failed: failures.join('; ') };
  return started.length === 0 && reasons.length > 0 ? { started, ignored: reasons.join('; ') } : { started };
}

/** Where PutEvents entries are put: the first region of the first environment (the pipeline's). */
function pipelineRegion(config: PipelineConfig): string {
  return config.environments[0]?.regions[0] ?? 'eu-west-1';
}

// ------------------------------------------------------------------------------------------ executions

/** Everything the API derives from one execution, from its description and history. */
export async function inspect(pipeline: LocalApiPipeline, executionArn: string) {
  const [execution, { events }] = await Promise.all([
    pipeline.engine.describeExecution({ executionArn }),
    pipeline.engine.getExecutionHistory({ executionArn }),
  ]);
  return viewExecution(execution, events);
}

/** Every execution, newest first. */
export async function allExecutions(pipeline: LocalApiPipeline): Promise<ExecutionListItem[]> {
  const { executions } = await pipeline.engine.listExecutions({});
  return [...executions].sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
}

/** `GET /api/executions`: every execution, newest first. */
export async function listExecutionsJson(pipeline: LocalApiPipeline): Promise<ApiResult> {
  const executions = await allExecutions(pipeline);
  const summaries = await Promise.all(
    executions.map(async (e) => (await inspect(pipeline, e.executionArn)).summary),
  );
  return { status: 200, body: { executions: summaries } };
}

/** `GET /api/executions/{name}`: one execution with its stages, states and deployments; 404 if unknown. */
export async function executionJson(pipeline: LocalApiPipeline, name: string): Promise<ApiResult> {
  const found = (await allExecutions(pipeline)).find((e) => e.name === name);
  if (!found) return error(404, `no execution named "${name}"`);
  const { execution, events, input, states, stages, summary } = await inspect(pipeline, found.executionArn);
  const digest = input.image?.digest ?? releaseDigest(events) ?? null;
  const detail: ApiExecutionDetail = {
    ...summary,
    executionArn: execution.executionArn,
    commit: input.commit ?? null,
    digest,
    error: execution.error ?? null,
    cause: execution.cause === undefined ? null : readableCause(execution.cause),
    states: states.filter((s) => s.stage === undefined).map(apiState),
    detailedStages: stages,
    deployments: stages.map((s) => ({
      service: input.service ?? '',
      environment: s.environment,
      region: s.region,
      digest: digest ?? '(not resolved)',
      outcome: s.outcome,
    })),
  };
  return { status: 200, body: detail };
}

// ------------------------------------------------------------------------------------------------ state

/** `GET /api/state`: every service in every environment/region, what it serves and what is going on. */
export async function stateJson(pipeline: LocalApiPipeline): Promise<ApiResult> {
  const inspected = await Promise.all(
    (await allExecutions(pipeline)).map((e) => inspect(pipeline, e.executionArn)),
  ); // newest first
  const targets: ApiTarget[] = targetsOf(pipeline.config).map(({ service, stage }) => {
    const container: ContainerView | undefined = pipeline.platform
      .serving(stage)
      ?.containers.find((c) => c.name === stage.container);
    const env = container?.environment ?? {};
    const digest = container?.image.includes('@') ? container.image.split('@')[1]! : null;
    let inProgress: ApiTarget['inProgress'] = null;
    let last: ApiTarget['last'] = null;
    for (const run of inspected) {
      if (run.summary.service !== service) continue;
      const here = run.stages.find(
        (s) =>
          s.environment === stage.environment && s.region === stage.region && s.outcome !== 'not started',
      );
      if (!here) continue;
      if (here.outcome === 'in progress' && !inProgress) {
        const state = here.current ?? '';
        inProgress = {
          execution: run.summary.name,
          version: run.summary.version,
          state,
          activity: ACTIVITY_OF_STATE[state] ?? 'finishing',
        };
      }
      if (here.outcome !== 'in progress' && !last)
        last = { execution: run.summary.name, version: run.summary.version, outcome: here.outcome };
      if (inProgress && last) break;
    }
    return {
      service,
      environment: stage.environment,
      region: stage.region,
      cluster: stage.cluster,
      serving: {
        version: env[DEPLOYED_ENV.version] ?? null,
        commit: env[DEPLOYED_ENV.commit] ?? null,
        digest,
        execution: env[DEPLOYED_ENV.execution] ?? null,
      },
      inProgress,
      last,
    };
  });
  const environments = pipeline.config.environments.map((e) => ({ name: e.name, regions: e.regions }));
  const timeScaleNote = scalesOf(pipeline.clock)
    ? approvalExpiryNote(pipeline.config, scalesOf(pipeline.clock)!)
    : undefined;
  return {
    status: 200,
    body: {
      now: new Date(pipeline.clock.now()).toISOString(),
      ...(timeScaleNote !== undefined && { timeScaleNote }),
      services: pipeline.config.services.map((s) => s.name),
      environments,
      targets,
    },
  };
}

/**
 * `GET /api/clock`: the stack's time, which the operator CLI stamps its writes with (freezes, decisions,
 * rollback names), so that one clock orders everything the stack records. `timeScale` is how many pipeline
 * milliseconds pass per real one (null when time only jumps between timers, as in tests and the demo).
 */
export function clockJson(pipeline: LocalApiPipeline): ApiResult {
  const now = pipeline.clock.now();
  return {
    status: 200,
    body: {
      now,
      iso: new Date(now).toISOString(),
      timeScale: pipeline.clock.rate ?? null,
      ...(scalesOf(pipeline.clock) && { timeScales: scalesOf(pipeline.clock) }),
    },
  };
}

/** The clock's scale per purpose: its own when it has them, else one scale for both (none: virtual time). */
function scalesOf(clock: LocalApiPipeline['clock']): TimeScales | undefined {
  if (clock instanceof PurposeScaledClock) return clock.scales;
  const scale = (clock as { scale?: unknown }).scale;
  return typeof scale === 'number' ? { bake: scale, approval: scale } : undefined;
}

/** Every service's stages, in promotion order, named by the pipeline's service (not the ECS service). */
function targetsOf(config: PipelineConfig): { service: string; stage: Stage }[] {
  return config.services.flatMap((service) =>
    [...planStages(config, service.name, 'push'), ...planStages(config, service.name, 'tag')].map(
      (stage) => ({
        service: service.name,
        stage,
      }),
    ),
  );
}

// ---------------------------------------------------------------------------------------------- metrics

const METRICS_PARAMETERS = ['service', 'environment', 'since'];

/** One cache per records store: the dashboard reads the metrics every 10 s (docs/metrics.md, "Cost"). */
const metricsCaches = new WeakMap<object, DeliveryRecordsCache>();

/**
 * `GET /api/metrics?service=&environment=&since=30d`: the delivery metrics (docs/metrics.md) of every
 * service and environment, or the one named, over the window `since` names (default 30d) ending at the
 * stack's time: the body `pipeline metrics --json` prints. A bad query answers 400 saying what to send.
 */
export async function metricsJson(pipeline: LocalApiPipeline, query: URLSearchParams): Promise<ApiResult> {
  if (!pipeline.records) return error(404, 'this local stack keeps no deployment records');
  for (const name of new Set(query.keys())) {
    if (!METRICS_PARAMETERS.includes(name))
      return error(400, `unknown query parameter "${name}": use ${METRICS_PARAMETERS.join(', ')}`);
    if (query.getAll(name).length > 1)
      return error(400, `give ${name} once, got it ${query.getAll(name).length} times`);
  }
  const { config } = pipeline;
  const service = query.get('service') || undefined;
  const environment = query.get('environment') || undefined;
  if (service !== undefined && !config.services.some((s) => s.name === service))
    return error(
      400,
      `unknown service "${service}": the configuration has ${config.services.map((s) => s.name).join(', ')}`,
    );
  if (environment !== undefined && !config.environments.some((e) => e.name === environment))
    return error(
      400,
      `unknown environment "${environment}": the configuration has ${config.environments.map((e) => e.name).join(', ')}`,
    );
  const since = query.get('since') || '30d';
  const window = parseSince(since, pipeline.clock.now());
  if ('problem' in window) return error(400, window.problem.replace('--since', 'since'));
  let cache = metricsCaches.get(pipeline.records);
  if (!cache) metricsCaches.set(pipeline.records, (cache = new DeliveryRecordsCache()));
  const metrics = await readDeliveryMetrics(
    config,
    { service, environment, window },
    { records: pipeline.records, cache },
  );
  return {
    status: 200,
    body: { since: isoSeconds(window.from), until: isoSeconds(window.to), metrics },
  };
}

function isoSeconds(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
