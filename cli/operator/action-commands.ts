import { parseArgs } from 'node:util';
import { decideApproval, type DecisionResult } from '../../shared/approvals/decide-approval';
import { DEFAULT_CONFIG_FILE, loadConfigFile } from '../../shared/config/config.loader';
import { redriveExecution } from '../../shared/operations/redrive';
import { planRollback, RollbackRefusedError, startRollback } from '../../shared/operations/rollback';
import { UsageError } from '../usage-error';
import { readableCause } from '../../shared/domain/failure-cause';
import { ACTIVITY_OF_STATE, viewExecution } from '../../shared/operations/execution-view';
import {
  CONNECTION_HELP,
  CONNECTION_OPTIONS,
  connect,
  connectionFlags,
  type OperatorContext,
} from './operator-context';
import { operatorCommand } from './operator-errors';
import { checkEnvironment, checkRegion, checkService } from './config-names';

type Out = (text: string) => void;

export const REDRIVE_USAGE = `usage: pipeline redrive <execution> [--force --yes] [--local | --stage …] [--json]

Redrives a FAILED, TIMED_OUT or ABORTED execution from the step that failed: stages already deployed stay
as they are, approvals already given are not asked again. Refused, with the reason, when the execution is
not redrivable (its status, or more than 14 days since it stopped) or when a stage it would run again is
where a later execution already deployed a newer version.
  --force       redrive despite a newer version (needs --yes): such stages then skip as superseded
  --yes         confirm --force
  --wait        follow the execution until it ends, a line per step; exit 0 only if it succeeded
${CONNECTION_HELP}`;

export const ROLLBACK_USAGE = `usage: pipeline rollback <service> <environment> [--region <r>] [--to <version>] --yes [--config <file>] [--local | --stage …] [--json]

Deploys an earlier release again, by digest, through the same deploy, smoke and bake steps, recorded as a
rollback by you. Without --to, each region goes back to the release it ran before the current one.
  --region      one region of the environment (default: all of them, in order); the pipeline's own AWS
                region is --pipeline-region here
  --to          the release to go back to (vX.Y.Z, or sha-<commit> for a push-triggered environment)
  --yes         confirm: the rollback starts at once
  --wait        follow the rollback until it ends, a line per step; exit 0 only if it succeeded
${CONNECTION_HELP}`;

export const APPROVE_USAGE = `usage: pipeline approve|reject <approval-id> [--comment <text>] [--as <approver>] [--local | --stage …] [--json]

Decides a production approval as if you had clicked its emailed link, through the same checks (you must be
one of its approvers; the tag's creator may not approve their own release unless allowed). The approval id
is in the email's links and in \`pipeline status\`.
  --id          the approval id, as --id=<id>: for ids made before 2026-12 that start with "-" (those are
                also taken as they are, or after "--": pipeline approve --local -- -CtNk…)
  --comment     why (shown in the history and to the execution)
${CONNECTION_HELP}`;

/** Older approval ids were base64url: 22 characters that may start with `-` or `--`. */
const OLD_APPROVAL_ID = /^-{1,2}[A-Za-z0-9_][A-Za-z0-9_-]{13,62}$/;

/**
 * The arguments with an approval id that starts with `-` made a positional, so that any id \`pipeline status\`
 * prints works as it is: a token that is not one of `options` and has an approval id's shape (at least 16
 * characters, which no option of these commands has) can only be an id.
 */
export function approvalIdArguments(args: string[], options: Record<string, unknown>): string[] {
  const end = args.indexOf('--');
  return args.map((arg, i) => {
    if ((end !== -1 && i >= end) || !OLD_APPROVAL_ID.test(arg)) return arg;
    if (arg.startsWith('--') && Object.hasOwn(options, arg.slice(2))) return arg;
    const previous = args[i - 1];
    const takesValue =
      previous?.startsWith('--') &&
      !previous.includes('=') &&
      (options[previous.slice(2)] as { type?: string } | undefined)?.type === 'string';
    return takesValue ? arg : `--id=${arg}`;
  });
}

export const redriveCommand = operatorCommand(async (args: string[], out: Out) => {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...CONNECTION_OPTIONS,
      force: { type: 'boolean' },
      yes: { type: 'boolean' },
      wait: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new UsageError('give one execution name (see: pipeline executions)');
  if (values.force && !values.yes)
    throw new UsageError('--force deploys an older version over a newer one: add --yes to confirm');
  const context = await connect(values);
  const result = await redriveExecution(positionals[0]!, { force: values.force === true }, context);
  if (values.json) {
    if (result.outcome === 'redriven' && values.wait)
      return waitQuietly(result.execution, context, (status) =>
        out(JSON.stringify({ ...result, status }, null, 2)),
      );
    out(JSON.stringify(result, null, 2));
    return result.outcome === 'redriven' ? 0 : 1;
  }
  switch (result.outcome) {
    case 'not-found':
      out(`no execution named ${result.execution} (see: pipeline executions)`);
      return 1;
    case 'refused':
      out(`Not redriven: ${result.execution}`);
      for (const refusal of result.refusals) out(`  - ${refusal.reason}`);
      return 1;
    case 'redriven':
      for (const forced of result.forced) out(`Forced past: ${forced.reason}`);
      out(
        `Redriven ${result.execution} at ${result.redriveDate.toISOString()}: it resumes from the failed step.`,
      );
      if (values.wait) return followExecution(result.execution, context, out);
      out(
        `Follow it with: pipeline show ${result.execution}${connectionFlags(values)} (or redrive with --wait)`,
      );
      return 0;
  }
});

export const rollbackCommand = operatorCommand(async (args: string[], out: Out) => {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...CONNECTION_OPTIONS,
      to: { type: 'string' },
      yes: { type: 'boolean' },
      wait: { type: 'boolean' },
      config: { type: 'string' },
      'pipeline-region': { type: 'string' },
    },
    allowPositionals: true,
  });
  if (positionals.length !== 2)
    throw new UsageError('give the service and the environment: pipeline rollback orders-api prod');
  if (!values.yes) throw new UsageError('a rollback deploys at once: add --yes to confirm');
  const [service, environment] = positionals as [string, string];
  const config = loadConfigFile(values.config ?? DEFAULT_CONFIG_FILE);
  checkService(config, service);
  checkEnvironment(config, environment);
  if (values.region !== undefined) checkRegion(config, environment, values.region);
  // Here --region names the region to roll back; the pipeline's own AWS region is --pipeline-region.
  const { region: targetRegion, 'pipeline-region': pipelineRegion, ...connection } = values;
  const context = await connect({ ...connection, ...(pipelineRegion && { region: pipelineRegion }) });
  const by = (await context.identity()).name;
  try {
    const plan = await planRollback(
      {
        service,
        environment,
        ...(targetRegion && { region: targetRegion }),
        ...(values.to && { to: values.to }),
        by,
      },
      { config, records: context.records, clock: context.clock },
    );
    const started = await startRollback(plan, context);
    if (values.json) {
      const json = {
        outcome: started.alreadyExisted ? 'already-started' : 'started',
        execution: plan.name,
        version: plan.promotion.version,
        current: plan.current,
      };
      if (values.wait)
        return await waitQuietly(plan.name, context, (status) =>
          out(JSON.stringify({ ...json, status }, null, 2)),
        );
      out(JSON.stringify(json, null, 2));
      return 0;
    }
    for (const c of plan.current)
      out(
        `${service} ${c.environment}/${c.region}: ${c.version ?? '(never deployed)'} → ${plan.promotion.version}`,
      );
    out(
      started.alreadyExisted
        ? `Already started: ${plan.name}`
        : `Started ${plan.name}: deploy, smoke checks and bake per region, rolled back again if they fail.`,
    );
    if (values.wait) return await followExecution(plan.name, context, out);
    out(`Follow it with: pipeline show ${plan.name}${connectionFlags(values)} (or roll back with --wait)`);
    return 0;
  } catch (error) {
    if (!(error instanceof RollbackRefusedError)) throw error;
    if (values.json) out(JSON.stringify({ outcome: 'refused', reason: error.message }, null, 2));
    else out(`Not rolled back: ${error.message}`);
    return 1;
  }
});

export function approvalCommand(decision: 'approve' | 'reject') {
  return operatorCommand(async (args: string[], out: Out) => {
    const options = { ...CONNECTION_OPTIONS, comment: { type: 'string' }, id: { type: 'string' } } as const;
    const { values, positionals } = parseArgs({
      args: approvalIdArguments(args, options),
      options,
      allowPositionals: true,
    });
    const ids = [...(values.id === undefined ? [] : [values.id]), ...positionals];
    if (ids.length !== 1) throw new UsageError('give one approval id (from the email or pipeline status)');
    const context = await connect(values);
    const identity = await context.identity();
    const result = await decideApproval(
      {
        approvalId: ids[0]!,
        approver: identity.name,
        decision,
        ...(values.comment !== undefined && { comment: values.comment }),
        userAgent: `pipeline-cli (${identity.arn})`,
      },
      {
        store: context.approvals,
        executions: context.control,
        records: context.records,
        clock: context.clock,
      },
    );
    if (values.json) {
      out(JSON.stringify(result, null, 2));
    } else out(describeDecision(result, identity.name));
    return ['approved', 'recorded', 'rejected'].includes(result.outcome) ? 0 : 1;
  });
}

function describeDecision(result: DecisionResult, who: string): string {
  if (result.outcome === 'not-found')
    return `no approval ${result.approvalId} (check the id in the email's link)`;
  const what = `${result.approval.service} ${result.approval.version} for ${result.approval.environment}/${result.approval.region}`;
  switch (result.outcome) {
    case 'approved':
      return `Approved ${what} (by ${result.approvedBy.join(', ')}): the deploy goes ahead.`;
    case 'recorded':
      return `Recorded your approval of ${what}: ${result.approvals} of ${result.minApprovals} needed.`;
    case 'rejected':
      return `Rejected ${what}: the release stops there.`;
    case 'already-decided':
      return `Not counted: ${what} was already ${result.status} by ${result.decidedBy.join(', ')}.`;
    case 'expired':
      return `Not counted: the approval of ${what} expired at ${new Date(result.expiresAt).toISOString()}.`;
    case 'not-allowed':
      return result.reason === 'self-approval'
        ? `Not counted: ${who} created the release tag of ${what} and may not approve it.`
        : `Not counted: ${who} is not an approver of ${what} (use --as with your approver email?).`;
    case 'superseded':
      return `Not counted: this approval of ${what} was replaced by a newer one (the execution was redriven).`;
    case 'execution-not-waiting':
      return `Recorded, but the execution no longer waits for ${what} (it stopped or timed out).`;
  }
}

export const FREEZE_USAGE = `usage: pipeline freeze <environment> --reason <text> [--for <hours>] [--config <file>] [--local | --stage …] [--json]
       pipeline unfreeze <environment> [--config <file>] [--local | --stage …] [--json]

Freezes an environment during an incident: every service's deployments there wait at the deployment gate
(after their approval) until it is unfrozen, and fail after the environment's freezeWaitHours. Rollbacks
are never held. Redrives into a frozen environment are refused.
  --reason      why (shown to everyone who asks why their release waits)
  --for         lift the freeze by itself after this many hours
${CONNECTION_HELP}`;

export function freezeCommand(action: 'freeze' | 'unfreeze') {
  return operatorCommand(async (args: string[], out: Out) => {
    const { values, positionals } = parseArgs({
      args,
      options: {
        ...CONNECTION_OPTIONS,
        reason: { type: 'string' },
        for: { type: 'string' },
        config: { type: 'string' },
      },
      allowPositionals: true,
    });
    if (positionals.length !== 1) throw new UsageError(`give one environment: pipeline ${action} prod`);
    const environment = positionals[0]!;
    checkEnvironment(loadConfigFile(values.config ?? DEFAULT_CONFIG_FILE), environment);
    if (action === 'unfreeze' && (values.reason !== undefined || values.for !== undefined))
      throw new UsageError('unfreeze takes no --reason or --for');
    // The options are judged before the pipeline is called (a stack that is down must not hide a typo).
    const asked =
      action === 'freeze'
        ? { reason: freezeReason(values.reason), hours: freezeHours(values.for) }
        : undefined;
    const context = await connect(values);
    const by = (await context.identity()).name;
    const now = context.clock.now();
    if (!asked) {
      const lifted = await context.freezes.unfreeze(environment, { by, at: now });
      if (values.json) out(JSON.stringify({ environment, lifted: lifted ?? null }, null, 2));
      else
        out(
          lifted
            ? `Unfrozen ${environment} (frozen since ${new Date(lifted.at).toISOString()} by ${lifted.by}): waiting stages deploy within five minutes.`
            : `${environment} was not frozen.`,
        );
      return 0;
    }
    const until = asked.hours === undefined ? undefined : now + asked.hours * 3_600_000;
    const freeze = await context.freezes.freeze(environment, {
      reason: asked.reason,
      by,
      at: now,
      ...(until !== undefined && { until }),
    });
    if (values.json) out(JSON.stringify({ environment, freeze }, null, 2));
    else
      out(
        `Frozen ${environment}${until ? ` until ${new Date(until).toISOString()}` : ''}: deployments there wait ` +
          `(rollbacks still run). Lift it with: pipeline unfreeze ${environment}${connectionFlags(values)}`,
      );
    return 0;
  });
}

function freezeReason(given: string | undefined): string {
  const reason = given?.trim();
  if (!reason) throw new UsageError('a freeze needs --reason: say why deployments must wait');
  if (reason.length > 500) throw new UsageError('--reason is at most 500 characters');
  return reason;
}

function freezeHours(given: string | undefined): number | undefined {
  if (given === undefined) return undefined;
  const hours = Number(given);
  if (!(hours > 0) || hours > 24 * 30)
    throw new UsageError(`--for must be a number of hours above 0, at most 720 (30 days), got "${given}"`);
  return hours;
}

/**
 * `--wait` with `--json`: follows an execution without a line per step, then hands `report` the status it
 * ended with, for the one JSON document. Exit 0 when it succeeded, 1 otherwise, as without `--json`.
 */
async function waitQuietly(
  name: string,
  context: OperatorContext,
  report: (status: string | undefined) => void,
): Promise<number> {
  const code = await followExecution(name, context, () => undefined);
  report((await context.executions.find(name))?.status);
  return code;
}

/**
 * `--wait`: follows an execution until it ends, printing each step as it starts (a long bake or an approval
 * shows as one line that says what it waits for). Exit 0 when it succeeded, 1 otherwise.
 */
export async function followExecution(
  name: string,
  context: OperatorContext,
  out: Out,
  pollMs = context.mode === 'local' ? 250 : 5_000,
): Promise<number> {
  let last = '';
  for (;;) {
    const execution = await context.executions.find(name);
    if (!execution) {
      out(`${name} is gone (see: pipeline executions)`);
      return 1;
    }
    const view = viewExecution(execution, await context.executions.history(execution.executionArn));
    const at = view.summary.currentStage;
    const now = at ? `${at.environment}/${at.region}: ${at.state}` : '';
    if (execution.status === 'RUNNING' && now && now !== last) {
      const activity = ACTIVITY_OF_STATE[at!.state];
      out(`  ${now}${activity && activity !== at!.state.toLowerCase() ? ` (${activity})` : ''}`);
      last = now;
    }
    if (execution.status !== 'RUNNING') {
      const outcomes = view.stages.map((s) => `${s.environment}/${s.region} ${s.outcome}`).join(', ');
      out(`${name} ${execution.status}: ${outcomes}`);
      if (execution.error) out(`  ${execution.error}: ${readableCause(execution.cause ?? '')}`);
      return execution.status === 'SUCCEEDED' ? 0 : 1;
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
