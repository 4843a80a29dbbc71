import { parseArgs } from 'node:util';
import type { VersionBehaviour } from '../local-runtime/local-world';
import { BREAK_HELP, parseBreaks } from './break-option';
import { ScaledClock } from '../shared/clock';
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
import { DEFAULT_LOCAL_URL, LOCAL_URL_VARIABLE } from './operator/operator-context';

export const LOCAL_USAGE = `usage: pipeline local [--port <n>] [--config <file>] [--time-scale <n>] [--approvals email|approve]
                      [--data-dir <dir>] [--break <commit-prefix>=deploy|smoke|alarm[@<minutes>] …]

Runs the whole pipeline on this machine until Ctrl-C, on a sped-up wall clock, with an HTTP server on
127.0.0.1: a dashboard of what runs where, the approval emails' mailbox, and an endpoint that takes
EventBridge events (one envelope, or { "Entries": [...] } as PutEvents takes them).
  --port        port on 127.0.0.1 (default 8787; 0: any free port)
  --config      pipeline configuration (default: pipeline.config.yml)
  --time-scale  how many times faster than real time the pipeline runs (default 600: a 5-minute bake
                lasts half a second)
  --approvals   email (default): production approvals are emailed to the local mailbox and wait for a
                click on the link; approve: the local approvers approve at once
  --data-dir    keep the state in this directory (created when missing) instead of in memory: started
                again on it, pipeline local shows the same executions, mail and deployments, resumes the
                running executions where they were, and emailed approval links still work
  ${BREAK_HELP}`;

export interface LocalStackOptions {
  config: PipelineConfig;
  port: number;
  timeScale: number;
  approvals: 'email' | 'approve';
  /** Keep the state on disk there (see --data-dir). */
  dataDir?: string;
  /** Commits that fail locally (see --break). */
  behaviours?: Record<string, VersionBehaviour>;
}

export interface LocalStack {
  pipeline: LocalPipeline;
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

/** Starts the pipeline and its HTTP side (mailbox, approval pages, events, API, dashboard) on 127.0.0.1. */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const pipeline = await LocalPipeline.start({
    config: options.config,
    // Pipeline time stands still while the stack is stopped: a restarted one goes on from the saved time.
    clock: (resumeAt) => new ScaledClock(options.timeScale, resumeAt),
    ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
    approvals: options.approvals,
    behaviours: options.behaviours ?? {},
    // The AWS schedule runs the sweep every minute: the safety net for lost ECS events.
    sweepEveryMs: 60_000,
    // ... and the reconciliation sweep on the config's period: the safety net for lost ECR push events.
    reconcileEveryMs: options.config.reconciliation.everyMinutes * 60_000,
  });
  let http: LocalHttpServer | undefined;
  try {
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
        await pipeline.close({ abandon: true });
      },
    };
  } catch (error) {
    await http?.close();
    await pipeline.close({ abandon: true });
    throw error;
  }
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
      },
      strict: true,
      allowPositionals: false,
    }),
  );
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || !Number.isInteger(port) || port > 65535)
    throw new UsageError(`--port must be a port number from 0 to 65535, got "${values.port}"`);
  const timeScale = Number(values['time-scale']);
  if (!(timeScale > 0) || !Number.isFinite(timeScale))
    throw new UsageError(`--time-scale must be a positive number, got "${values['time-scale']}"`);
  const approvals = values.approvals;
  if (approvals !== 'email' && approvals !== 'approve')
    throw new UsageError(`--approvals must be email or approve, got "${approvals}"`);
  const dataDir = values['data-dir'];
  if (dataDir !== undefined && dataDir.trim() === '')
    throw new UsageError('--data-dir must name a directory, got ""');
  return {
    port,
    timeScale,
    approvals,
    ...(dataDir !== undefined ? { dataDir } : {}),
    behaviours: parseBreaks(values.break),
    configFile: values.config,
  };
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
      `Local pipeline running on ${url} (time runs ${options.timeScale}x faster; approvals: ${options.approvals})`,
      ...(options.dataDir !== undefined ? [`  state      ${options.dataDir} (kept across restarts)`] : []),
      ...(resumed.length > 0
        ? [
            `  resumed    ${resumed.length} running execution${resumed.length === 1 ? '' : 's'} where ${resumed.length === 1 ? 'it' : 'they'} stopped: ` +
              resumed.map((e) => e.name).join(', '),
          ]
        : []),
      ...[approvalExpiryNote(config, options.timeScale)].flatMap((note) =>
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
