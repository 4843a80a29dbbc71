import type { PipelineConfig } from '../shared/config/config.schema';
import { eventEnvelopeSchema } from '../shared/events/event-envelope.schema';
import type { StartDecision } from '../shared/use-cases/start-promotion';
import type { StartReleaseDecision } from '../shared/use-cases/start-release';
import type { Promotion } from '../shared/domain/promotion.schema';
import {
  outcomeOf,
  releaseDigest,
  statesOf,
  type DeploymentOutcome,
  type StateVisit,
} from '../shared/operations/execution-view';
import type { ShiftStrategy } from '../shared/domain/traffic-shift';
import { shiftView, type ShiftView } from '../shared/operations/traffic-shift-view';
import { isRejection, noRuleReason } from './event-bus';
import type { LocalApiPipeline } from './local-api';
import { LocalPipeline, type LocalPipelineOptions } from './local-pipeline';
import { MalformedSimulationInputError } from './simulation-input-error';
import { eventShapeHint } from './event-shape-hint';

export interface SimulatedDeployment {
  service: string;
  environment: string;
  region: string;
  digest: string;
  outcome: DeploymentOutcome;
  /** How the stage deploys: rolling, or the strategy whose traffic shift `shift` shows. */
  strategy: 'rolling' | ShiftStrategy;
  /** The stage's traffic shift: its plan, and the steps, windows and verdicts the hook recorded. */
  shift?: ShiftView;
}

export interface SimulatedExecution {
  stateMachine: string;
  name: string;
  executionArn: string;
  /** The file of the event that started it. */
  startedBy: string;
  status: string;
  transitions: number;
  error?: string;
  cause?: string;
  deployments: SimulatedDeployment[];
  states: StateVisit[];
}

export interface SimulationReport {
  executions: SimulatedExecution[];
  ignored: { event: string; reason: string }[];
}

export interface SimulatedEvent {
  /** Where the event came from, for the report (a file name). */
  source: string;
  event: unknown;
}

export { MalformedSimulationInputError } from './simulation-input-error';

/**
 * Feeds events, in order, through the local rules and runtime against one shared local state, and reports
 * what started and how it ended. Each event's executions finish before the next event is delivered.
 */
export async function simulate(
  config: PipelineConfig,
  events: SimulatedEvent[],
  options: Pick<
    LocalPipelineOptions,
    'behaviours' | 'clock' | 'approvals' | 'rejectRegions' | 'migrationRunner'
  > & {
    /** Deliver all events before waiting (to see concurrent executions), instead of one after the other. */
    concurrent?: boolean;
  } = {},
): Promise<SimulationReport> {
  for (const { source, event } of events) {
    const parsed = eventEnvelopeSchema.safeParse(event);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new MalformedSimulationInputError(
        `${source}: not an EventBridge event: ${issue?.path.join('.') || '(event)'}: ${issue?.message}` +
          eventShapeHint(event, 'simulate'),
      );
    }
  }

  const pipeline = await LocalPipeline.start({ config, ...options });
  try {
    const report: SimulationReport = { executions: [], ignored: [] };
    const startedBy = new Map<string, string>();
    for (const { source, event } of events) {
      const routed = await pipeline.putEvent(event);
      if (routed.deliveries.length === 0)
        report.ignored.push({ event: source, reason: noRuleReason(config, event) });
      for (const delivery of routed.deliveries) {
        if (delivery.error) {
          if (!isRejection(delivery.error))
            throw new Error(
              `${source}: ${delivery.rule} failed: ${delivery.error.name}: ${delivery.error.message} ` +
                '(an internal error, not a decision about the event)',
            );
          report.ignored.push({
            event: source,
            reason: `${delivery.rule} rejected it: ${delivery.error.message}`,
          });
          continue;
        }
        const decision = delivery.result as StartDecision | StartReleaseDecision | { outcome?: string };
        if ('started' in decision) {
          if (decision.started) startedBy.set(decision.executionArn, source);
          else report.ignored.push({ event: source, reason: decision.reason });
        }
      }
      if (!options.concurrent) await pipeline.settled();
    }
    await pipeline.settled();

    for (const [executionArn, source] of startedBy)
      report.executions.push(await describe(pipeline, executionArn, source));
    return report;
  } finally {
    await pipeline.close();
  }
}

async function describe(
  pipeline: LocalPipeline,
  executionArn: string,
  startedBy: string,
): Promise<SimulatedExecution> {
  const execution = await pipeline.engine.describeExecution({ executionArn });
  const { events } = await pipeline.engine.getExecutionHistory({ executionArn });
  const promotion = JSON.parse(execution.input) as Promotion;
  const states = statesOf(events);
  const digest = promotion.image?.digest ?? releaseDigest(events);
  return {
    stateMachine: execution.stateMachineArn.split(':').pop() ?? '',
    name: execution.name,
    executionArn,
    startedBy,
    status: execution.status,
    transitions: pipeline.engine.countStateTransitions(executionArn),
    ...(execution.error && { error: execution.error }),
    ...(execution.cause && { cause: execution.cause }),
    deployments: await Promise.all(
      promotion.stages.map(async (stage, index) => {
        const outcome = outcomeOf(states, index);
        return {
          service: promotion.service,
          environment: stage.environment,
          region: stage.region,
          digest: digest ?? '(not resolved)',
          outcome,
          strategy: stage.traffic?.strategy ?? 'rolling',
          ...(stage.traffic && {
            shift: shiftView(
              stage.traffic,
              outcome === 'not started'
                ? undefined
                : await shiftLogOf(pipeline)?.get({
                    executionName: execution.name,
                    environment: stage.environment,
                    region: stage.region,
                  }),
              outcome,
            ),
          }),
        };
      }),
    ),
    states,
  };
}

/** The stack's TrafficShiftLog, read as the local API reads it (absent: every shift shows its plan only). */
function shiftLogOf(pipeline: LocalApiPipeline): LocalApiPipeline['shiftLog'] {
  return pipeline.shiftLog;
}
