import { readFileSync } from 'node:fs';
import { tooDeep } from '../shared/events/json-depth';
import { parseArgs } from 'node:util';
import { loadConfigFile, DEFAULT_CONFIG_FILE } from '../shared/config/config.loader';
import {
  simulate,
  type SimulatedDeployment,
  type SimulationReport,
  type SimulatedExecution,
} from '../local-runtime/simulate';
import type { ApprovalPolicy } from '../local-runtime/adapters/local-approval-desk';
import { readableCause } from '../shared/domain/failure-cause';
import type { PipelineConfig } from '../shared/config/config.schema';
import { suggestion } from '../shared/config/did-you-mean';
import { ERROR_NAMES } from '../shared/domain/errors';
import { duration, table } from './format';
import { checkMigrationBreaks, parseBreaks } from './break-option';
import { shiftLines } from './shift-format';
import { UsageError } from './usage-error';
import { TAG_EVENT_DETAIL_TYPE } from '../shared/git-tags/tag-created.schema';

export const SIMULATE_USAGE = `usage: pipeline simulate --event <file> [--event <file> …] [--config <file>] [--json]
                         [--break <commit-prefix>=deploy|smoke|alarm[@<minutes>]|migration …]
                         [--approve all|none|reject] [--reject-region <region> …] [--concurrent]
                         [--redeploy]

Feeds EventBridge events, in order, through the local rules and the real state machines and reports what
started, every state it passed, what it deployed where (rolling, or shifting traffic step by step) and
how many state transitions it took.
  --event   an EventBridge envelope as JSON (see events/); repeat for several, delivered in order
  --config  pipeline configuration (default: pipeline.config.yml)
  --json    one JSON object: { executions: [...], ignored: [...] }; each deployment says its strategy
            and, for blue-green, canary and linear, its shift: the steps and pauses, the longest
            it can take with every extension, and each step's windows and verdicts
  --break   make a commit fail locally: its deployment never starts (deploy), its health check
            answers 503 (smoke), it drives its alarms into ALARM (alarm: once it serves;
            alarm@<minutes>: that many minutes into its bake) or its build ships a migration that
            fails (migration: services with migrations: only)
  --approve what the approvers do with production approvals: all (default), none (they expire),
            reject
  --reject-region  reject the approvals of one region whatever --approve says (repeatable)
  --concurrent     deliver every event before waiting, so executions overlap (default: one by one)
  --redeploy       send every Git Tag Created event with "redeploy": true: a release deploys (with
                   approvals and bakes) even where its commit's image already runs (a second tag)

Exit codes: 0 every execution that started succeeded, each stage deployed (or superseded by a newer
version, or already running its image); 1 an execution failed, or a stage rolled back, failed, was rejected, expired or did not start;
2 bad input (options, configuration, event files). Ignored events (a latest tag, an unknown repository)
are listed and are not failures.`;

const STAGE_LOCKED: string = ERROR_NAMES.stageLocked;

const APPROVALS: Record<string, ApprovalPolicy> = { all: 'approve', none: 'none', reject: 'reject' };

/**
 * `pipeline simulate`: exit 0 when every execution that started succeeded with each of its stages deployed
 * (or superseded by a newer version, which is what should happen to an older one); 1 when any execution
 * failed or any stage rolled back, failed, was rejected, expired or never started; 2 for bad input. Events
 * the rules ignore (a `latest` tag, an unknown repository) are reported, and are not failures.
 */
export async function simulateCommand(args: string[], out: (text: string) => void): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      event: { type: 'string', multiple: true },
      config: { type: 'string', default: DEFAULT_CONFIG_FILE },
      json: { type: 'boolean', default: false },
      break: { type: 'string', multiple: true },
      approve: { type: 'string', default: 'all' },
      'reject-region': { type: 'string', multiple: true },
      concurrent: { type: 'boolean', default: false },
      redeploy: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!values.event?.length) throw new UsageError('simulate needs at least one --event <file>');
  const behaviours = parseBreaks(values.break);

  const approvals = APPROVALS[values.approve];
  if (!approvals) throw new UsageError(`--approve ${values.approve}: expected all, none or reject`);

  const config = loadConfigFile(values.config);
  checkMigrationBreaks(behaviours, config, values.config);
  const rejectRegions = values['reject-region'] ?? [];
  checkRejectRegions(rejectRegions, config);
  const events = values.event.map((file) => {
    const event = readEventFile(file);
    return { source: file, event: values.redeploy ? askingForRedeploy(event) : event };
  });
  const report = await simulate(config, events, {
    behaviours,
    approvals,
    rejectRegions,
    concurrent: values.concurrent,
    // Services with migrations: run the sample service's real ones against real local databases.
    migrationRunner: 'sample-service',
  });
  out(values.json ? JSON.stringify(toJson(report), null, 2) : render(report));
  return report.executions.every(didWhatItShould) ? 0 : 1;
}

/** The stage outcomes of a run that did what it should. */
const GOOD_OUTCOMES: readonly string[] = ['deployed', 'superseded', 'already running'];

function didWhatItShould(execution: SimulatedExecution): boolean {
  return (
    execution.status === 'SUCCEEDED' && execution.deployments.every((d) => GOOD_OUTCOMES.includes(d.outcome))
  );
}

/** `--reject-region` must name a region that asks for approval, or it would change nothing, silently. */
function checkRejectRegions(regions: string[], config: PipelineConfig): void {
  const approved = [...new Set(config.environments.filter((e) => e.approval).flatMap((e) => e.regions))];
  for (const region of regions)
    if (!approved.includes(region))
      throw new UsageError(
        `--reject-region ${region}: no environment asks for approval in ${region}` +
          `${suggestion(region, approved)} (regions with approvals: ${approved.join(', ') || 'none'})`,
      );
}

/** A try at the deployment lock while another deployment holds it: the stage waited in the queue. */
function queued(execution: SimulatedExecution, index: number): boolean {
  const state = execution.states[index]!;
  return (
    state.error === STAGE_LOCKED &&
    execution.states.slice(index + 1).some((later) => later.stage === state.stage)
  );
}

/** A `Git Tag Created` event with `"redeploy": true` in its detail; any other event as it is. */
function askingForRedeploy(event: unknown): unknown {
  const tagEvent = event as { 'detail-type'?: unknown; detail?: unknown };
  if (tagEvent?.['detail-type'] !== TAG_EVENT_DETAIL_TYPE || typeof tagEvent.detail !== 'object')
    return event;
  return { ...tagEvent, detail: { ...tagEvent.detail, redeploy: true } };
}

function readEventFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`${file}: cannot read the event file (${(error as NodeJS.ErrnoException).code})`);
  }
  const deep = tooDeep(text, 'the event');
  if (deep) throw new UsageError(`${file}: ${deep}`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file}: not valid JSON: ${(error as Error).message}`);
  }
}

function toJson(report: SimulationReport) {
  return {
    executions: report.executions.map((e) => ({
      stateMachine: e.stateMachine,
      name: e.name,
      status: e.status,
      transitions: e.transitions,
      startedBy: e.startedBy,
      // The cause as text: a Lambda error's cause is its JSON, which would be a string inside this JSON.
      ...(e.error && { error: e.error, cause: readableCause(e.cause) }),
      deployments: e.deployments.map(deploymentJson),
      states: e.states.map((s, index) => ({
        state: s.state,
        ...(s.stage !== undefined && { stage: s.stage }),
        durationMs: s.exitedAt === undefined ? null : s.exitedAt - s.enteredAt,
        ...(queued(e, index) ? { queued: true } : s.error && { error: s.error }),
      })),
    })),
    ignored: report.ignored,
  };
}

/**
 * A deployment as `--json` prints it: its strategy and, for a stage that shifts traffic, the schedule and
 * each step with its standing and the windows it was judged on (weight, times, numbers, verdict).
 */
function deploymentJson(d: SimulatedDeployment) {
  const { shift, ...deployment } = d;
  if (!shift) return deployment;
  return {
    ...deployment,
    shift: {
      status: shift.status,
      ...(shift.cause !== null && { cause: shift.cause }),
      maxExtensions: shift.maxExtensions,
      longestShiftMs: shift.longestShiftMs,
      keepBlueMinutes: shift.keepBlueMinutes,
      thresholds: shift.thresholds,
      steps: shift.stepViews.map((step) => ({
        percent: step.percent,
        pauseMinutes: step.pauseMinutes,
        status: step.status,
        extensions: step.extensions,
        windows: step.windows.map((w) => ({
          from: new Date(w.from).toISOString(),
          to: new Date(w.to).toISOString(),
          outcome: w.outcome,
          reason: w.reason,
          blue: w.blue,
          green: w.green,
        })),
      })),
    },
  };
}

function render(report: SimulationReport): string {
  const parts = report.executions.map(renderExecution);
  if (report.executions.length === 0) parts.push('No execution started.');
  if (report.ignored.length > 0)
    parts.push(`Ignored events:\n${report.ignored.map((i) => `  ${i.event}: ${i.reason}`).join('\n')}`);
  return parts.join('\n\n');
}

function renderExecution(execution: SimulatedExecution): string {
  const lines = [
    `${execution.stateMachine} ${execution.name}: ${execution.status}, ${execution.transitions} state ` +
      `transition${execution.transitions === 1 ? '' : 's'} (started by ${execution.startedBy})`,
  ];
  let stage: number | undefined = -1;
  const rows: string[][] = [];
  for (const [index, state] of execution.states.entries()) {
    if (state.stage !== stage && state.stage !== undefined) {
      const d = execution.deployments[state.stage];
      rows.push([`stage ${state.stage + 1}: ${d?.environment}/${d?.region}`, '', '']);
    }
    stage = state.stage;
    const took = state.exitedAt === undefined ? '' : duration(state.exitedAt - state.enteredAt);
    const result = queued(execution, index)
      ? 'queued (another deployment held the lock)'
      : state.error
        ? `failed: ${state.error}`
        : state.exitedAt === undefined && state.type !== 'Fail'
          ? ''
          : 'ok';
    rows.push([`  ${state.state}`, state.type === 'Fail' ? 'failed' : result, took]);
  }
  lines.push(table(rows, '  '));
  if (execution.error) lines.push(`  error: ${execution.error}\n  cause: ${readableCause(execution.cause)}`);
  lines.push('  deployments:');
  lines.push(
    table(
      execution.deployments.map((d) => [d.service, d.environment, d.region, d.digest, d.outcome, d.strategy]),
      '    ',
    ),
  );
  for (const d of execution.deployments)
    if (d.shift) lines.push(`  ${d.environment}/${d.region}:`, ...shiftLines(d.shift, '    '));
  return lines.join('\n');
}
