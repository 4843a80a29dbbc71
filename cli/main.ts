import '../local-runtime/local-environment';
import { ConfigError } from '../shared/config/config-error';
import { MalformedSimulationInputError } from '../local-runtime/simulate';
import { DataDirError } from '../local-runtime/data-dir/data-dir-error';
import { demoCommand, DEMO_USAGE } from './demo-command';
import { localCommand, LOCAL_USAGE } from './local-command';
import { simulateCommand, SIMULATE_USAGE } from './simulate-command';
import { UsageError } from './usage-error';
import { OperatorUnavailableError } from './operator/operator-errors';
import {
  approvalCommand,
  APPROVE_USAGE,
  freezeCommand,
  FREEZE_USAGE,
  redriveCommand,
  REDRIVE_USAGE,
  rollbackCommand,
  ROLLBACK_USAGE,
} from './operator/action-commands';
import {
  executionsCommand,
  EXECUTIONS_USAGE,
  historyCommand,
  HISTORY_USAGE,
  showCommand,
  SHOW_USAGE,
  statusCommand,
  STATUS_USAGE,
} from './operator/read-commands';

const USAGE = `usage: pipeline <command> [options]

Commands:
  simulate   feed EventBridge events through the local rules and state machines, report what happens
  demo       run the pre-production flow end to end on this machine, with live progress
  local      run the pipeline on this machine until Ctrl-C: a dashboard, the approval mailbox and an
             endpoint for EventBridge events on 127.0.0.1
  help       show this help, or a command's: pipeline help simulate

Operators (against AWS, or the local stack with --local; see docs/operations.md):
  status     what version runs in every environment/region, and what is under way
  executions the pipeline's executions, newest first
  show       one execution: its stages and steps, and why it failed
  history    a service's deployment records: deploys, rollbacks, approvals, skips
  redrive    resume a failed execution from the failed step (refused when it would do harm)
  rollback   deploy an earlier release again, through the same checks
  approve    approve a production region (reject: reject it)
  freeze     hold every deployment to an environment during an incident (unfreeze: lift it)

Exit codes: 0 success; 1 the run did not do what it should, or an operator command was refused or found
nothing; 2 bad input (usage, config, event files); 3 the pipeline could not be reached (AWS credentials,
permissions or region; the local stack not running).`;

const COMMANDS: Record<
  string,
  { run: (args: string[], out: (text: string) => void) => Promise<number>; usage: string }
> = {
  simulate: { run: simulateCommand, usage: SIMULATE_USAGE },
  demo: { run: demoCommand, usage: DEMO_USAGE },
  local: { run: localCommand, usage: LOCAL_USAGE },
  status: { run: statusCommand, usage: STATUS_USAGE },
  executions: { run: executionsCommand, usage: EXECUTIONS_USAGE },
  show: { run: showCommand, usage: SHOW_USAGE },
  history: { run: historyCommand, usage: HISTORY_USAGE },
  redrive: { run: redriveCommand, usage: REDRIVE_USAGE },
  rollback: { run: rollbackCommand, usage: ROLLBACK_USAGE },
  approve: { run: approvalCommand('approve'), usage: APPROVE_USAGE },
  reject: { run: approvalCommand('reject'), usage: APPROVE_USAGE },
  freeze: { run: freezeCommand('freeze'), usage: FREEZE_USAGE },
  unfreeze: { run: freezeCommand('unfreeze'), usage: FREEZE_USAGE },
};

/** Runs one CLI command and returns the process exit code. Errors become one line on stderr, never a stack. */
export async function main(
  argv: string[],
  io: { out: (text: string) => void; err: (text: string) => void } = {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
  },
): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    const topic = args[0] && COMMANDS[args[0]];
    io.out(topic ? topic.usage : USAGE);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`pipeline: unknown command "${name}" (try: pipeline help)`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.out(command.usage);
    return 0;
  }
  try {
    return await command.run(args, io.out);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.err(`pipeline ${name}: ${error.file}: ${error.problems.join('; ')}`);
      return 2;
    }
    if (error instanceof OperatorUnavailableError) {
      io.err(`pipeline ${name}: ${error.message}`);
      return 3;
    }
    if (
      error instanceof UsageError ||
      error instanceof MalformedSimulationInputError ||
      error instanceof DataDirError ||
      isParseArgsError(error)
    ) {
      io.err(`pipeline ${name}: ${(error as Error).message}`);
      return 2;
    }
    io.err(`pipeline ${name}: unexpected error: ${(error as Error).message ?? String(error)}`);
    return 1;
  }
}

function isParseArgsError(error: unknown): boolean {
  return String((error as { code?: string }).code ?? '').startsWith('ERR_PARSE_ARGS');
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
