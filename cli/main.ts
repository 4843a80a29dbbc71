import '../local-runtime/local-environment';
import { ConfigError } from '../shared/config/config-error';
import { MalformedSimulationInputError } from '../local-runtime/simulation-input-error';
import { DataDirError } from '../local-runtime/data-dir/data-dir-error';
import { UsageError } from './usage-error';
import { OperatorUnavailableError } from './operator/operator-errors';
import { suggestion } from '../shared/config/did-you-mean';

const USAGE = `usage: pipeline <command> [options]

Commands:
  simulate   feed EventBridge events through the local rules and state machines, report what happens
  demo       run a day of the pipeline end to end on this machine (PPE deploys, a release to every
             production region, a rollback), with live progress
  local      run the pipeline on this machine until Ctrl-C: a dashboard, the approval mailbox and an
             endpoint for EventBridge events on 127.0.0.1
  help       show this help, or a command's: pipeline help simulate

Operators (against AWS, or the local stack with --local; see docs/operations.md):
  status     what version runs in every environment/region, and what is under way
  executions the pipeline's executions, newest first
  show       one execution: its stages and steps, and why it failed
  history    a service's deployment records: deploys, rollbacks, approvals, skips
  metrics    delivery metrics per service and environment: lead time and where it goes, deployment
             frequency, change fail rate, recovery time
  redrive    resume a failed execution from the failed step (refused when it would do harm)
  rollback   deploy an earlier release again, through the same checks
  approve    approve a production region (reject: reject it)
  freeze     hold every deployment to an environment during an incident (unfreeze: lift it)

Exit codes: 0 success; 1 the run did not do what it should, or an operator command was refused or found
nothing; 2 bad input (usage, config, event files); 3 the pipeline could not be reached (AWS credentials,
permissions or region; the local stack not running).`;

interface Command {
  run: (args: string[], out: (text: string) => void) => Promise<number>;
  usage: string;
}

/**
 * A command's module, loaded when that command runs (or its help is asked for), not up front: the local
 * runtime (dynalite, every handler) is for simulate, demo and local only, and `pipeline status` should not
 * wait for it. `require`, not `import()`: bin/pipeline.js runs the sources through tsx's CommonJS hook,
 * which leaves a dynamic import to Node's ESM loader, and that cannot load .ts files.
 */
function lazyRequire<T>(path: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path) as T;
}

const simulateModule = () => lazyRequire<typeof import('./simulate-command')>('./simulate-command');
const demoModule = () => lazyRequire<typeof import('./demo-command')>('./demo-command');
const localModule = () => lazyRequire<typeof import('./local-command')>('./local-command');
const readModule = () => lazyRequire<typeof import('./operator/read-commands')>('./operator/read-commands');
const metricsModule = () =>
  lazyRequire<typeof import('./operator/metrics-command')>('./operator/metrics-command');
const actionModule = () =>
  lazyRequire<typeof import('./operator/action-commands')>('./operator/action-commands');

/** Each command and its usage, from its module. */
const COMMANDS: Record<string, () => Command> = {
  simulate: () => ({ run: simulateModule().simulateCommand, usage: simulateModule().SIMULATE_USAGE }),
  demo: () => ({ run: demoModule().demoCommand, usage: demoModule().DEMO_USAGE }),
  local: () => ({ run: localModule().localCommand, usage: localModule().LOCAL_USAGE }),
  status: () => ({ run: readModule().statusCommand, usage: readModule().STATUS_USAGE }),
  executions: () => ({ run: readModule().executionsCommand, usage: readModule().EXECUTIONS_USAGE }),
  show: () => ({ run: readModule().showCommand, usage: readModule().SHOW_USAGE }),
  history: () => ({ run: readModule().historyCommand, usage: readModule().HISTORY_USAGE }),
  metrics: () => ({ run: metricsModule().metricsCommand, usage: metricsModule().METRICS_USAGE }),
  redrive: () => ({ run: actionModule().redriveCommand, usage: actionModule().REDRIVE_USAGE }),
  rollback: () => ({ run: actionModule().rollbackCommand, usage: actionModule().ROLLBACK_USAGE }),
  approve: () => ({ run: actionModule().approvalCommand('approve'), usage: actionModule().APPROVE_USAGE }),
  reject: () => ({ run: actionModule().approvalCommand('reject'), usage: actionModule().APPROVE_USAGE }),
  freeze: () => ({ run: actionModule().freezeCommand('freeze'), usage: actionModule().FREEZE_USAGE }),
  unfreeze: () => ({ run: actionModule().freezeCommand('unfreeze'), usage: actionModule().FREEZE_USAGE }),
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
    if (args[0] !== undefined && !Object.hasOwn(COMMANDS, args[0])) {
      io.err(
        `pipeline help: unknown command "${args[0]}"${suggestion(args[0], Object.keys(COMMANDS))} (try: pipeline help)`,
      );
      return 2;
    }
    io.out(args[0] !== undefined ? COMMANDS[args[0]]!().usage : USAGE);
    return 0;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    io.err(
      `pipeline: unknown command "${name}"${suggestion(name, Object.keys(COMMANDS))} (try: pipeline help)`,
    );
    return 2;
  }
  const command = load();
  if (args.includes('--help') || args.includes('-h')) {
    io.out(command.usage);
    return 0;
  }
  try {
    return await command.run(joinNegativeNumbers(args), io.out);
  } catch (error) {
    if (error instanceof ConfigError) {
      // One problem a line, each `file:line:column: path: what is wrong` (an editor jumps there).
      const lines = error.problems.map((p) => (p.startsWith(`${error.file}:`) ? p : `${error.file}: ${p}`));
      if (lines.length === 1) io.err(`pipeline ${name}: ${lines[0]}`);
      else io.err([`pipeline ${name}: ${error.file}: ${lines.length} problems`, ...lines].join('\n'));
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

/**
 * `--for -1`, `--limit -5`: node's parseArgs reads a value that starts with "-" as a missing value. A
 * negative number is never an option, so it is joined to the option before it (`--for=-1`) and the command
 * judges the number itself, with its own message.
 */
export function joinNegativeNumbers(args: string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    if (/^--[a-z][\w-]*$/.test(arg) && next !== undefined && /^-\d+(\.\d+)?$/.test(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else joined.push(arg);
  }
  return joined;
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
