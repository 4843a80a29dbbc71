import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { seedLocalHistory } from '../local-runtime/seed-history';
import type { VersionBehaviour } from '../local-runtime/local-world';
import { BREAK_HELP, checkMigrationBreaks, parseBreaks } from './break-option';
import type { PipelineConfig } from '../shared/config/config.schema';
import { DEFAULT_CONFIG_FILE, loadConfigFile } from '../shared/config/config.loader';
import {
  GITHUB_SECRET_PATH,
  serveLocalPipeline,
  type LocalHttpServer,
} from '../local-runtime/local-http-server';
import { LocalPipeline } from '../local-runtime/local-pipeline';
import { UsageError } from './usage-error';
import { approvalExpiryNote } from '../local-runtime/time-scale-note';
import {
  followTimePurpose,
  parseTimeScales,
  PurposeScaledClock,
  TimeScaleSyntaxError,
  type TimeScales,
} from '../local-runtime/time-scales';
import { DEFAULT_LOCAL_URL, LOCAL_URL_VARIABLE } from './operator/operator-context';

export const LOCAL_USAGE = `usage: pipeline local [--port <n>] [--config <file>] [--time-scale <n>|bake=<n>,approval=<n>]
                      [--approvals email|approve]
                      [--data-dir <dir>] [--seed-history <n>d] [--break <commit-prefix>=deploy|smoke|alarm[@<minutes>]|migration …]

Runs the whole pipeline on this machine until Ctrl-C, on a sped-up wall clock, with an HTTP server on
127.0.0.1: a dashboard of what runs where, the approval emails' mailbox, and an endpoint that takes
EventBridge events (one envelope, or { "Entries": [...] } as PutEvents takes them).
  --port        port on 127.0.0.1 (default 8787; 0: any free port)
  --config      pipeline configuration (default: pipeline.config.yml)
  --time-scale  how many times faster than real time the pipeline runs (default 600: a 5-minute bake
                lasts half a second), or per purpose: bake=600,approval=real runs at 600x, and in real
                time (or approval=<n>) while it waits only for approvals (one clock: it changes speed)
  --approvals   email (default): production approvals are emailed to the local mailbox and wait for a
                click on the link; approve: the local approvers approve at once
  --data-dir    keep the state in this directory (created when missing) instead of in memory: started
                again on it, pipeline local shows the same executions, mail and deployments, resumes the
                running executions where they were, and emailed approval links still work
  --seed-history first play this many days (e.g. 30d, at most 90d) of pushes, releases, approvals, a
                freeze and failures of the first service through the pipeline on a virtual clock (seconds),
                so "pipeline metrics --local" and the dashboard have something to show; into --data-dir if
                given (it must be new or empty), else into a temporary directory
  ${BREAK_HELP}`;

export interface LocalStackOptions {
  config: PipelineConfig;
  port: number;
  /** How many times faster than real time the pipeline runs (see --time-scale)... */
  timeScale: number;
  /** ... and while it only waits for approvals (default: timeScale). */
  approvalTimeScale?: number;
  approvals: 'email' | 'approve';
  /** Keep the state on disk there (see --data-dir). */
  dataDir?: string;
  /** Commits that fail locally (see --break). */
  behaviours?: Record<string, VersionBehaviour>;
  /** Days of history to play first (see --seed-history). */
  seedHistoryDays?: number;
}

export interface LocalStack {
  pipeline: LocalPipeline;
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

/** Starts the pipeline and its HTTP side (mailbox, approval pages, events, API, dashboard) on 127.0.0.1. */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  let clock: PurposeScaledClock | undefined;
  const pipeline = await LocalPipeline.start({
    config: options.config,
    // Pipeline time stands still while the stack is stopped: a restarted one goes on from the saved time.
    clock: (resumeAt) => (clock = new PurposeScaledClock(scalesOf(options), resumeAt)),
    ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
    approvals: options.approvals,
    behaviours: options.behaviours ?? {},
    // The AWS schedule runs the sweep every minute: the safety net for lost ECS events.
    sweepEveryMs: 60_000,
    // ... and the reconciliation sweep on the config's period: the safety net for lost ECR push events.
    reconcileEveryMs: options.config.reconciliation.everyMinutes * 60_000,
    // A service's migrations: the sample service's, as real processes against real local databases.
    migrationRunner: 'sample-service',
  });
  let http: LocalHttpServer | undefined;
  let unfollow = () => {};
  try {
    // The one clock slows to the approval scale while the stack only waits for people.
    unfollow = followTimePurpose(pipeline.engine, clock!, await runningStates(pipeline));
    const server = await serveLocalPipeline(pipeline, options.port);
    http = server;
    await pipeline.fleet.serve(); // every environment/region a real HTTP server, as the smoke checks see it
    pipeline.resume(); // restored executions go on once what their next steps call is up
    return {
      pipeline,
      url: server.url,
      // The HTTP side first: no request may change the state the pipeline saves as it closes.
      close: async () => {
        await server.close();
        unfollow();
        await pipeline.close({ abandon: true });
      },
    };
  } catch (error) {
    unfollow();
    await http?.close();
    await pipeline.close({ abandon: true });
    throw error;
  }
}

/** The state each running execution entered last (executions restored from a data directory). */
async function runningStates(pipeline: LocalPipeline): Promise<[string, string][]> {
  const { executions } = await pipeline.engine.listExecutions({ statusFilter: 'RUNNING' });
  const states: [string, string][] = [];
  for (const { executionArn } of executions) {
    const { events } = await pipeline.engine.getExecutionHistory({ executionArn });
    const entered = events.filter((e) => e.type.endsWith('StateEntered')).at(-1);
    states.push([executionArn, entered?.details.name ?? '']);
  }
  return states;
}

/** Reads and checks the command line; throws UsageError (exit 2) for anything wrong. */
export function parseLocalArgs(args: string[]): Omit<LocalStackOptions, 'config'> & { configFile: string } {
  const { values } = oneLineErrors(() =>
    parseArgs({
      args,
      options: {
        port: { type: 'string', default: '8787' },
        config: { type: 'string', default: DEFAULT_CONFIG_FILE },
        'time-scale': { type: 'string', default: '600' },
        approvals: { type: 'string', default: 'email' },
        'data-dir': { type: 'string' },
        break: { type: 'string', multiple: true },
        'seed-history': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }),
  );
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || !Number.isInteger(port) || port > 65535)
    throw new UsageError(`--port must be a port number from 0 to 65535, got "${values.port}"`);
  const scales = timeScalesOf(values['time-scale']);
  const approvals = values.approvals;
  if (approvals !== 'email' && approvals !== 'approve')
    throw new UsageError(`--approvals must be email or approve, got "${approvals}"`);
  const dataDir = values['data-dir'];
  if (dataDir !== undefined && dataDir.trim() === '')
    throw new UsageError('--data-dir must name a directory, got ""');
  const seed = values['seed-history'];
  const seedDays = seed === undefined ? undefined : Number(/^(\d{1,3})d$/.exec(seed)?.[1]);
  if (seedDays !== undefined && !(seedDays >= 1 && seedDays <= 90))
    throw new UsageError(`--seed-history must be a number of days from 1d to 90d, got "${seed}"`);
  if (
    seedDays !== undefined &&
    dataDir !== undefined &&
    existsSync(dataDir) &&
    readdirSync(dataDir).length > 0
  )
    throw new UsageError(
      `--seed-history plays a history into a new data directory, and ${dataDir} is not empty: give another --data-dir`,
    );
  return {
    port,
    timeScale: scales.bake,
    ...(scales.approval !== scales.bake && { approvalTimeScale: scales.approval }),
    approvals,
    ...(seedDays !== undefined ? { seedHistoryDays: seedDays } : {}),
    ...(dataDir !== undefined ? { dataDir } : {}),
    behaviours: parseBreaks(values.break),
    configFile: values.config,
  };
}

/** `--time-scale`: one number for every purpose, or `bake=600,approval=real` (a purpose left out: 600). */
function timeScalesOf(text: string): TimeScales {
  try {
    return parseTimeScales(text, { bake: DEFAULT_TIME_SCALE, approval: DEFAULT_TIME_SCALE });
  } catch (error) {
    if (error instanceof TimeScaleSyntaxError) throw new UsageError(`--time-scale: ${error.message}`);
    throw error;
  }
}

const DEFAULT_TIME_SCALE = 600;

function scalesOf(options: Pick<LocalStackOptions, 'timeScale' | 'approvalTimeScale'>): TimeScales {
  return { bake: options.timeScale, approval: options.approvalTimeScale ?? options.timeScale };
}

/** node:util's parseArgs explains some mistakes over three lines: the command prints the first. */
function oneLineErrors<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (String((error as { code?: string }).code ?? '').startsWith('ERR_PARSE_ARGS'))
      throw new UsageError((error as Error).message.split('\n')[0]!);
    throw error;
  }
}

/**
 * `pipeline local`: runs until SIGINT or SIGTERM (or `stop` aborts), then stops running executions and
 * shuts down. Exit 0 after a clean stop, 2 for bad options or configuration.
 */
export async function localCommand(
  args: string[],
  out: (text: string) => void,
  stop?: AbortSignal,
): Promise<number> {
  const options = parseLocalArgs(args);
  const config = loadConfigFile(options.configFile);
  checkMigrationBreaks(options.behaviours ?? {}, config, options.configFile);
  if (options.seedHistoryDays !== undefined) {
    options.dataDir ??= mkdtempSync(join(tmpdir(), 'pipeline-history-'));
    const started = Date.now();
    const seeded = await seedLocalHistory(config, options.dataDir, options.seedHistoryDays);
    out(
      `Seeded ${options.seedHistoryDays} days of ${config.services[0]!.name} (${seeded.events} pushes and tags, ` +
        `${new Date(seeded.from).toISOString().slice(0, 10)} to ${new Date(seeded.to).toISOString().slice(0, 16)}Z) ` +
        `in ${((Date.now() - started) / 1000).toFixed(1)} s; state in ${options.dataDir}`,
    );
  }
  let stack: LocalStack;
  try {
    stack = await startLocalStack({ ...options, config });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new UsageError(`port ${options.port} on 127.0.0.1 is in use: pick another with --port`);
    throw error;
  }
  const { url } = stack;
  // A restart on a data directory goes on with what was running: say what, so nobody wonders.
  const { executions: resumed } = await stack.pipeline.engine.listExecutions({ statusFilter: 'RUNNING' });
  const operatorFlags = url === DEFAULT_LOCAL_URL ? '--local' : `--local --url ${url}`;
  out(
    [
      `Local pipeline running on ${url} (time runs ${describeScales(scalesOf(options))}; approvals: ${options.approvals})`,
      ...(options.dataDir !== undefined ? [`  state      ${options.dataDir} (kept across restarts)`] : []),
      ...(resumed.length > 0
        ? [
            `  resumed    ${resumed.length} running execution${resumed.length === 1 ? '' : 's'} where ${resumed.length === 1 ? 'it' : 'they'} stopped: ` +
              resumed.map((e) => e.name).join(', '),
          ]
        : []),
      ...[approvalExpiryNote(config, scalesOf(options))].flatMap((note) =>
        note ? [`  note       ${note}`] : [],
      ),
      `  dashboard  ${url}/`,
      `  mailbox    ${url}/mail`,
      `  events     POST ${url}/events   (an EventBridge event, or { "Entries": [...] } as PutEvents)`,
      `  api        ${url}/api/state  ${url}/api/executions`,
      `  github     POST ${url}/webhooks/github   (signed with the stack's secret: curl -s ${url}${GITHUB_SECRET_PATH})`,
      '',
      'Try:',
      `  curl -X POST --data @events/ecr-push-orders-api.json ${url}/events`,
      `  curl -X POST --data @events/git-tag-orders-api-v1.4.0.json ${url}/events`,
      `  pipeline status ${operatorFlags}` +
        (url === DEFAULT_LOCAL_URL
          ? ''
          : `   (or export ${LOCAL_URL_VARIABLE}=${url} and use --local alone)`),
      '',
      'Ctrl-C stops it.',
    ].join('\n'),
  );
  const signal = await waitForStop(stop);
  const running =
    options.dataDir === undefined
      ? 'running executions are stopped'
      : `running executions are saved in ${options.dataDir} and resume on the next start`;
  out(`\n${signal === 'stop' ? 'Stopping' : `${signal}: stopping`}: ${running}.`);
  await stack.close();
  out('Local pipeline stopped.');
  return 0;
}

/** `600x faster`, or `600x faster, in real time while only approvals wait`. */
function describeScales(scales: TimeScales): string {
  const pace = (scale: number) => (scale === 1 ? 'in real time' : `${scale}x faster`);
  return scales.bake === scales.approval
    ? pace(scales.bake)
    : `${pace(scales.bake)}, ${pace(scales.approval)} while only approvals wait`;
}

/** Resolves with what ended the run: SIGINT, SIGTERM, SIGHUP or `stop`; removes its signal handlers. */
function waitForStop(stop?: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    const finish = (why: string) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      process.off('SIGHUP', onHup);
      stop?.removeEventListener('abort', onStop);
      resolve(why);
    };
    const onInt = () => finish('SIGINT');
    const onTerm = () => finish('SIGTERM');
    // The terminal closed: stop as cleanly as on Ctrl-C (saving the state), not by the default kill.
    const onHup = () => finish('SIGHUP');
    const onStop = () => finish('stop');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    process.once('SIGHUP', onHup);
    if (stop?.aborted) finish('stop');
    else stop?.addEventListener('abort', onStop, { once: true });
  });
}
