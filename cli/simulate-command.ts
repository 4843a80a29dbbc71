import { readFileSync } from 'node:fs';
import { tooDeep } from '../shared/events/json-depth';
import { parseArgs } from 'node:util';
import { loadConfigFile, DEFAULT_CONFIG_FILE } from '../shared/config/config.loader';
import { simulate, type SimulationReport, type SimulatedExecution } from '../local-runtime/simulate';
import type { ApprovalPolicy } from '../local-runtime/adapters/local-approval-desk';
import { readableCause } from '../shared/domain/failure-cause';
import { duration, shortSha, table } from './format';
import { parseBreaks } from './break-option';
import { UsageError } from './usage-error';

export const SIMULATE_USAGE = `usage: pipeline simulate --event <file> [--event <file> …] [--config <file>] [--json]
                         [--break <commit-prefix>=deploy|smoke|alarm …]
                         [--approve all|none|reject] [--reject-region <region> …] [--concurrent]

Feeds EventBridge events, in order, through the local rules and the real state machines and reports what
started, every state it passed, what it deployed where and how many state transitions it took.
  --event   an EventBridge envelope as JSON (see events/); repeat for several, delivered in order
  --config  pipeline configuration (default: pipeline.config.yml)
  --json    one JSON object: { executions: [...], ignored: [...] }
  --break   make a commit fail locally: its deployment never starts (deploy), its health check
            answers 503 (smoke) or it drives its alarms into ALARM (alarm)
  --approve what the approvers do with production approvals: all (default), none (they expire),
            reject
  --reject-region  reject the approvals of one region whatever --approve says (repeatable)
  --concurrent     deliver every event before waiting, so executions overlap (default: one by one)`;

const APPROVALS: Record<string, ApprovalPolicy> = { all: 'approve', none: 'none', reject: 'reject' };

/** `pipeline simulate`: exit 0 when the simulation ran, 2 for bad input. */
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
    },
    strict: true,
  });
  if (!values.event?.length) throw new UsageError('simulate needs at least one --event <file>');
  const behaviours = parseBreaks(values.break);

  const approvals = APPROVALS[values.approve];
  if (!approvals) throw new UsageError(`--approve ${values.approve}: expected all, none or reject`);

  const config = loadConfigFile(values.config);
  const events = values.event.map((file) => ({ source: file, event: readEventFile(file) }));
  const report = await simulate(config, events, {
    behaviours,
    approvals,
    rejectRegions: values['reject-region'] ?? [],
    concurrent: values.concurrent,
  });
  out(values.json ? JSON.stringify(toJson(report), null, 2) : render(report));
  return 0;
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
      ...(e.error && { error: e.error, cause: e.cause }),
      deployments: e.deployments,
      states: e.states.map((s) => ({
        state: s.state,
        ...(s.stage !== undefined && { stage: s.stage }),
        durationMs: s.exitedAt === undefined ? null : s.exitedAt - s.enteredAt,
        ...(s.error && { error: s.error }),
      })),
    })),
    ignored: report.ignored,
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
    `${execution.stateMachine} ${execution.name}: ${execution.status}, ${execution.transitions} state transitions (started by ${execution.startedBy})`,
  ];
  let stage: number | undefined = -1;
  const rows: string[][] = [];
  for (const state of execution.states) {
    if (state.stage !== stage && state.stage !== undefined) {
      const d = execution.deployments[state.stage];
      rows.push([`stage ${state.stage + 1}: ${d?.environment}/${d?.region}`, '', '']);
    }
    stage = state.stage;
    const took = state.exitedAt === undefined ? '' : duration(state.exitedAt - state.enteredAt);
    const result = state.error
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
      execution.deployments.map((d) => [d.service, d.environment, d.region, shortSha(d.digest), d.outcome]),
      '    ',
    ),
  );
  return lines.join('\n');
}
