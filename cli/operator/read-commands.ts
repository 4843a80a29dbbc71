import { parseArgs } from 'node:util';
import { DEFAULT_CONFIG_FILE, loadConfigFile } from '../../shared/config/config.loader';
import type { PipelineConfig } from '../../shared/config/config.schema';
import { readableCause } from '../../shared/domain/failure-cause';
import { planStages } from '../../shared/domain/stage';
import { apiState, viewExecution, type ApiState } from '../../shared/operations/execution-view';
import { migrationRuns, type MigrationRun } from '../../shared/operations/migration-view';
import { pipelineStatus, type TargetStatus } from '../../shared/operations/status';
import { duration, shortSha, shortVersion, table } from '../format';
import { shiftLines } from '../shift-format';
import { UsageError } from '../usage-error';
import {
  CONNECTION_HELP,
  CONNECTION_OPTIONS,
  connect,
  connectionFlags,
  type OperatorContext,
} from './operator-context';
import { operatorCommand } from './operator-errors';
import { checkEnvironment, checkService } from './config-names';

type Out = (text: string) => void;

export const STATUS_USAGE = `usage: pipeline status [service] [--config <file>] [--local | --stage <s> --region <r>] [--json]

What version runs in every environment and region of every service (or one), since when and by which
execution, and what is under way: deploying, baking, waiting for approval (with the approval id).
  --config      pipeline configuration: which services, environments and regions (default pipeline.config.yml)
${CONNECTION_HELP}`;

export const EXECUTIONS_USAGE = `usage: pipeline executions [--service <s>] [--status <STATUS>] [--limit <n>] [--config <file>] [--local | --stage …] [--json]

The pipeline's executions, newest first, with the stage each reached.
  --service     only this service's (a service of --config, default pipeline.config.yml)
  --status      RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED or PENDING_REDRIVE
  --limit       at most this many (default 20)
${CONNECTION_HELP}`;

export const SHOW_USAGE = `usage: pipeline show <execution> [--local | --stage …] [--json]

One execution: every stage with its steps (status, duration, attempts), a stage's traffic shift
(blue-green, canary, linear: its schedule, each window's weight, numbers and verdict, the cause of a
switch back) and, for a failure, the failing step's error and cause, and where to read more.
A stage that shifted traffic shows its steps and windows (from the traffic shift log).
${CONNECTION_HELP}`;

export const HISTORY_USAGE = `usage: pipeline history <service> [--environment <e>] [--limit <n>] [--config <file>] [--local | --stage …] [--json]

The deployment records of a service, newest first: every deploy, rollback, approval and skip, with who or
what triggered it and how it ended. Kind "record": a version recorded where its digest already ran (a
second tag on one commit), without a redeploy.
  --environment only this environment's
  --limit       at most this many (default 50)
  --config      pipeline configuration: its services and environments (default pipeline.config.yml)
${CONNECTION_HELP}`;

const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'];

export const statusCommand = operatorCommand(async (args: string[], out: Out) => {
  const { values, positionals } = parseArgs({
    args,
    options: { ...CONNECTION_OPTIONS, config: { type: 'string' } },
    allowPositionals: true,
  });
  if (positionals.length > 1) throw new UsageError('give at most one service');
  const config = loadConfigFile(values.config ?? DEFAULT_CONFIG_FILE);
  const service = positionals[0];
  const targets = targetsOf(config, service);
  const context = await connect(values);
  const statuses = await withApprovalIds(await pipelineStatus(targets, context), context);
  const frozen = await context.freezes.list(context.clock.now());
  if (values.json) {
    out(JSON.stringify({ frozen, targets: statuses }, null, 2));
    return 0;
  }
  for (const freeze of frozen)
    out(
      `FROZEN ${freeze.environment} since ${when(freeze.at)} by ${freeze.by}: ${freeze.reason}` +
        (freeze.until ? ` (until ${when(freeze.until)})` : ''),
    );
  for (const name of [...new Set(statuses.map((s) => s.service))]) {
    out(name);
    const rows = [['ENVIRONMENT', 'REGION', 'VERSION', 'DIGEST', 'SINCE', 'EXECUTION', 'NOW']];
    for (const s of statuses.filter((t) => t.service === name))
      rows.push([
        s.environment,
        s.region,
        s.running ? shortVersion(s.running.version) : '(never deployed)',
        s.running ? shortSha(s.running.digest) : '-',
        s.running ? when(s.running.at) : '-',
        s.running?.execution ?? '-',
        s.inProgress ? describeInProgress(s.inProgress) : '-',
      ]);
    out(table(rows, '  '));
  }
});

type StatusWithApproval = TargetStatus & {
  inProgress: (TargetStatus['inProgress'] & { approvalId?: string }) | null;
};

/** A region waiting for approval shows the approval's id: what `pipeline approve` takes. */
async function withApprovalIds(
  statuses: TargetStatus[],
  context: OperatorContext,
): Promise<StatusWithApproval[]> {
  return Promise.all(
    statuses.map(async (s) => {
      if (s.inProgress?.activity !== 'waiting for approval') return s;
      const approval = await context.approvals.byStage(s.inProgress.execution, s.environment, s.region);
      return approval?.status === 'pending'
        ? { ...s, inProgress: { ...s.inProgress, approvalId: approval.approvalId } }
        : s;
    }),
  );
}

function describeInProgress(p: NonNullable<StatusWithApproval['inProgress']>): string {
  const approval = p.approvalId ? ` ${p.approvalId}` : '';
  return `${p.activity}${approval}: ${p.version ? shortVersion(p.version) : '?'} (${p.execution})`;
}

function targetsOf(config: PipelineConfig, service: string | undefined) {
  const services = config.services.map((s) => s.name);
  if (service !== undefined) checkService(config, service);
  return (service ? [service] : services).flatMap((name) =>
    [...planStages(config, name, 'push'), ...planStages(config, name, 'tag')].map((stage) => ({
      service: name,
      environment: stage.environment,
      region: stage.region,
    })),
  );
}

export const executionsCommand = operatorCommand(async (args: string[], out: Out) => {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...CONNECTION_OPTIONS,
      service: { type: 'string' },
      status: { type: 'string' },
      limit: { type: 'string' },
      config: { type: 'string' },
    },
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (values.service !== undefined)
    checkService(loadConfigFile(values.config ?? DEFAULT_CONFIG_FILE), values.service);
  const status = values.status?.toUpperCase();
  if (status !== undefined && !STATUSES.includes(status))
    throw new UsageError(`--status must be one of ${STATUSES.join(', ')}; got "${values.status}"`);
  const limit = positiveInteger(values.limit, 20, '--limit');
  const context = await connect(values);
  const listed = await context.executions.list(status ? { status } : {});
  const summaries = [];
  for (const item of listed) {
    if (summaries.length >= limit) break;
    const execution = await context.executions.describe(item.executionArn);
    if (!execution) continue;
    const view = viewExecution(execution, await context.executions.history(execution.executionArn));
    if (values.service && view.summary.service !== values.service) continue;
    summaries.push({ ...view.summary, error: execution.error ?? null });
  }
  if (values.json) {
    out(JSON.stringify({ executions: summaries }, null, 2));
    return 0;
  }
  if (summaries.length === 0) {
    out('no executions');
    return 0;
  }
  const rows = [['STARTED', 'STATUS', 'EXECUTION', 'SERVICE', 'VERSION', 'STAGE']];
  for (const s of summaries)
    rows.push([
      when(Date.parse(s.startDate)),
      s.status,
      s.name,
      s.service ?? '-',
      s.version ? shortVersion(s.version) : '-',
      s.currentStage
        ? `${s.currentStage.environment}/${s.currentStage.region}: ${s.currentStage.state}${s.error ? ` (${s.error})` : ''}`
        : '-',
    ]);
  out(table(rows));
});

export const showCommand = operatorCommand(async (args: string[], out: Out) => {
  const { values, positionals } = parseArgs({ args, options: CONNECTION_OPTIONS, allowPositionals: true });
  if (positionals.length !== 1) throw new UsageError('give one execution name (see: pipeline executions)');
  const name = positionals[0]!;
  const context = await connect(values);
  const execution = await context.executions.find(name);
  if (!execution) {
    out(`no execution named ${name} (see: pipeline executions)`);
    return 1;
  }
  const history = await context.executions.history(execution.executionArn);
  const view = viewExecution(execution, history);
  const migrations = migrationRuns(history);
  const shifts = (await context.shifts?.(view)) ?? [];
  const shiftOf = (stage: { environment: string; region: string }) =>
    shifts.find((s) => s.environment === stage.environment && s.region === stage.region)?.shift;
  const failedStep = [...view.states].reverse().find((s) => s.error);
  const failure = execution.error
    ? {
        error: execution.error,
        cause: execution.cause === undefined ? null : readableCause(execution.cause),
        step: failingStep(view.stages, view.states.map(apiState)),
      }
    : null;
  const link = context.consoleLink(execution.executionArn);
  if (values.json) {
    out(
      JSON.stringify(
        {
          ...view.summary,
          executionArn: execution.executionArn,
          redriveCount: execution.redriveCount,
          failure,
          stages: view.stages.map((stage) => {
            const shift = shiftOf(stage);
            return shift ? { ...stage, shift } : stage;
          }),
          migrations: migrations.map((m) => ({
            environment: view.stages[m.stage]?.environment ?? null,
            region: view.stages[m.stage]?.region ?? null,
            ...m,
          })),
          ...(link && { console: link }),
        },
        null,
        2,
      ),
    );
    return 0;
  }
  out(
    `${view.summary.name}  ${view.summary.status}  ${view.summary.service ?? ''} ${view.summary.version ?? ''}`,
  );
  out(
    `started ${view.summary.startDate}${view.summary.stopDate ? `, stopped ${view.summary.stopDate}` : ''}` +
      (execution.redriveCount > 0 ? `, redriven ${execution.redriveCount}×` : ''),
  );
  view.stages.forEach((stage, index) => {
    out('');
    out(
      `${stage.environment}/${stage.region}: ${stage.outcome}` +
        (stage.outcome === 'already running' ? ' (its digest ran there: recorded without a redeploy)' : ''),
    );
    const visits = view.states.filter((s) => s.stage === index);
    const shift = shiftOf(stage);
    if (visits.length === 0) return;
    const rows = [['STEP', 'STATUS', 'DURATION', 'ATTEMPTS']];
    for (const visit of visits)
      rows.push([
        visit.state,
        visit.error ? `failed: ${visit.error}` : visit.exitedAt !== undefined ? 'done' : 'running',
        visit.exitedAt === undefined ? '-' : duration(visit.exitedAt - visit.enteredAt),
        String(visit.attempts ?? '-'),
      ]);
    out(table(rows, '  '));
    if (shift) out(shiftLines(shift, '  ').join('\n'));
    for (const m of migrations.filter((run) => run.stage === index)) out(`  ${describeMigration(m)}`);
  });
  if (failure) {
    out('');
    out(`Failed${failure.step ? ` at ${failure.step}` : ''}: ${failure.error}`);
    if (failure.cause) out(`  ${failure.cause}`);
    if (failedStep?.cause && failedStep.error !== failure.error)
      out(`  first error: ${failedStep.error}: ${readableCause(failedStep.cause)}`);
    out(
      `Next: fix the cause, then \`pipeline redrive ${name}${connectionFlags(values)}\` resumes from the failed step (docs/operations.md).`,
    );
  }
  if (link) out(`Console (graph, each step's input/output and logs): ${link}`);
});

/** `migrations: migrated 2026-11-20T10:05:00Z in 4s: migrated: 2 applied (…)` */
function describeMigration(m: MigrationRun): string {
  const at = new Date(m.startedAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const took = m.endedAt === undefined ? '' : ` in ${duration(m.endedAt - m.startedAt)}`;
  const what =
    m.outcome === 'failed'
      ? `failed (${m.error})`
      : m.outcome === 'already migrated'
        ? `already migrated${m.migratedBy ? ` by ${m.migratedBy}` : ''}`
        : m.outcome;
  return `migrations: ${what} ${at}${took}${m.lastLine ? `: ${m.lastLine}` : ''}`;
}

/** `prod/us-east-1 › Run smoke checks`: the stage and step where the execution failed. */
function failingStep(
  stages: { environment: string; region: string; states: ApiState[] }[],
  outside: ApiState[],
) {
  for (const stage of [...stages].reverse()) {
    const failed = [...stage.states].reverse().find((s) => s.error && s.state !== 'Stop the stage');
    if (failed) return `${stage.environment}/${stage.region} › ${failed.state}`;
    if (stage.states.some((s) => s.state === 'Stop the stage')) return `${stage.environment}/${stage.region}`;
  }
  return [...outside].reverse().find((s) => s.error)?.state ?? null;
}

export const historyCommand = operatorCommand(async (args: string[], out: Out) => {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...CONNECTION_OPTIONS,
      environment: { type: 'string' },
      limit: { type: 'string' },
      config: { type: 'string' },
    },
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new UsageError('give one service (see: pipeline status)');
  const config = loadConfigFile(values.config ?? DEFAULT_CONFIG_FILE);
  checkService(config, positionals[0]!);
  if (values.environment !== undefined) checkEnvironment(config, values.environment);
  const limit = positiveInteger(values.limit, 50, '--limit');
  const context = await connect(values);
  const records = (await context.records.history(positionals[0]!))
    .filter((r) => !values.environment || r.environment === values.environment)
    .slice(0, limit);
  if (values.json) {
    out(JSON.stringify({ records }, null, 2));
    return 0;
  }
  if (records.length === 0) {
    out(`no deployment records for ${positionals[0]}`);
    return 0;
  }
  const rows = [['AT', 'ENVIRONMENT', 'REGION', 'VERSION', 'DIGEST', 'KIND', 'OUTCOME', 'BY', 'EXECUTION']];
  for (const r of records)
    rows.push([
      when(r.at),
      r.environment,
      r.region,
      shortVersion(r.version),
      shortSha(r.digest),
      r.kind,
      r.outcome + (r.detail ? ` (${oneLine(r.detail)})` : ''),
      r.triggeredBy,
      r.execution,
    ]);
  out(table(rows));
});

function when(epochMs: number): string {
  return new Date(epochMs)
    .toISOString()
    .replace('T', ' ')
    .replace(/:\d\d\.\d+Z$/, ' UTC');
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ');
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

function positiveInteger(value: string | undefined, fallback: number, option: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`${option} must be a positive whole number, got "${value}"`);
  return n;
}
