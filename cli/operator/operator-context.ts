import { get as httpGet } from 'node:http';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { STSClient } from '@aws-sdk/client-sts';
import type { ApprovalStore } from '../../shared/ports/approvals';
import { DynamoApprovalStore } from '../../shared/aws/approval-store.adapter';
import { DynamoDeploymentFreezes } from '../../shared/aws/deployment-freezes.adapter';
import { DynamoDeploymentRecords } from '../../shared/aws/deployment-records.adapter';
import { DynamoTrafficShiftLog } from '../../shared/aws/traffic-shift-log.adapter';
import { awsOperatorIdentity, type OperatorIdentity } from '../../shared/aws/operator-identity.adapter';
import { StepFunctionsPipelineExecutions } from '../../shared/aws/pipeline-executions.adapter';
import { StepFunctionsExecutionControl } from '../../shared/aws/step-functions.adapter';
import { systemClock, type Clock } from '../../shared/clock';
import { OperatorUnavailableError } from './operator-errors';
import type {
  DeploymentFreezes,
  DeploymentRecordStore,
  ExecutionControl,
} from '../../shared/ports/deployment';
import type { PipelineExecutions } from '../../shared/ports/operations';
import {
  stageShiftsOf,
  type ShiftsOfExecution,
  type StageShift,
} from '../../shared/operations/traffic-shift-view';
import { LOCAL_TABLE_NAME } from '../../local-runtime/dynalite-server';
import { DEFAULT_CONFIG_FILE, loadConfigFile } from '../../shared/config/config.loader';
import { UsageError } from '../usage-error';

/** The options every operator command takes to say which pipeline it talks to. */
export const CONNECTION_OPTIONS = {
  local: { type: 'boolean' },
  url: { type: 'string' },
  stage: { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
  as: { type: 'string' },
  json: { type: 'boolean' },
  config: { type: 'string' },
} as const;

export const CONNECTION_HELP = `Which pipeline:
  --local       the local stack started by \`pipeline local\`
  --url         with --local, its address (default: $PIPELINE_LOCAL_URL, else http://127.0.0.1:8787)
  --stage       the deployed stage (default prod): table ecs-promotion-pipeline-<stage>, state machines
                ecs-promotion-pipeline-<stage>-promote and -release
  --region      the pipeline's AWS region (default: the SDK's, from AWS_REGION or the profile)
  --profile     a named AWS profile (default: the SDK's credential chain)
  --as          who you are, for approvals and the audit trail (default: your AWS identity's session or
                user name; locally, local:<your login>). Against AWS only your own name, or the approver
                email the config's operatorIdentities maps your caller ARN to
  --config      pipeline configuration (default pipeline.config.yml)
  --json        machine-readable output`;

export const SERVICE_NAME = 'ecs-promotion-pipeline';
export const DEFAULT_LOCAL_URL = 'http://127.0.0.1:8787';

/** What the operator commands need, wired to AWS or to the local stack. */
export interface OperatorContext {
  mode: 'aws' | 'local';
  executions: PipelineExecutions;
  records: DeploymentRecordStore;
  freezes: DeploymentFreezes;
  approvals: ApprovalStore;
  /** Answers approval callbacks (SendTaskSuccess/Failure). */
  control: ExecutionControl;
  clock: Clock;
  identity(): Promise<OperatorIdentity>;
  /** A link to the execution in the AWS console (AWS only): its graph, each step's input, output and logs. */
  consoleLink(executionArn: string): string | undefined;
  /**
   * The traffic shifts of an execution's stages as the hook recorded them (steps, windows, verdicts,
   * cause). Locally from the stack's `GET /api/shifts`; against AWS from the pipeline table's
   * TrafficShiftLog.
   */
  shifts?(execution: ShiftsOfExecution): Promise<StageShift[]>;
}

export interface ConnectionValues {
  local?: boolean;
  url?: string;
  stage?: string;
  region?: string;
  profile?: string;
  as?: string;
  config?: string;
}

/** The stage's resource names, as serverless.yml names them. */
export function stackNames(stage: string) {
  return {
    table: `${SERVICE_NAME}-${stage}`,
    machines: { promote: `${SERVICE_NAME}-${stage}-promote`, release: `${SERVICE_NAME}-${stage}-release` },
  };
}

/** The environment variable that gives --local another address (a stack on another port). */
export const LOCAL_URL_VARIABLE = 'PIPELINE_LOCAL_URL';

/**
 * The connection options as they were given, to repeat in a command the output suggests (`Follow it
 * with: pipeline show … --local --url …`): the next command then talks to the same pipeline.
 */
export function connectionFlags(values: ConnectionValues): string {
  const flags: string[] = [];
  if (values.local) flags.push('--local');
  for (const option of ['url', 'stage', 'region', 'profile'] as const)
    if (values[option] !== undefined) flags.push(`--${option} ${shellWord(values[option])}`);
  return flags.map((f) => ` ${f}`).join('');
}

function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`;
}

/**
 * The operator context for AWS or, with `--local`, for the local stack. Locally it first asks the stack for
 * its clock (`GET /api/clock`): the stack runs faster than the wall clock, and what the CLI records (a
 * freeze's start and end, a decision, a rollback's name) must be on the time the stack's steps compare it with.
 */
export async function connect(
  values: ConnectionValues,
  env: NodeJS.ProcessEnv = process.env,
): Promise<OperatorContext> {
  if (values.local)
    return connectLocal({ ...values, url: values.url ?? (env[LOCAL_URL_VARIABLE] || undefined) });
  if (values.url) throw new UsageError('--url goes with --local (the local stack’s address)');
  const stage = values.stage ?? 'prod';
  if (!/^[A-Za-z0-9-]{1,40}$/.test(stage))
    throw new UsageError(`--stage must be letters, digits and dashes, got "${stage}"`);
  const client = {
    ...(values.region && { region: values.region }),
    ...(values.profile && { profile: values.profile }),
  };
  const names = stackNames(stage);
  const sfn = new SFNClient(client);
  const dynamo = new DynamoDBClient(client);
  const sts = new STSClient(client);
  return {
    mode: 'aws',
    executions: new StepFunctionsPipelineExecutions({ client: sfn, machineNames: names.machines }),
    records: new DynamoDeploymentRecords({ tableName: names.table, client: dynamo }),
    freezes: new DynamoDeploymentFreezes({ tableName: names.table, client: dynamo }),
    approvals: new DynamoApprovalStore({ tableName: names.table, client: dynamo }),
    control: new StepFunctionsExecutionControl({ clients: sfn }),
    clock: systemClock,
    identity: async () => claimedIdentity(await awsOperatorIdentity(sts), values),
    shifts: (execution) =>
      stageShiftsOf(execution, new DynamoTrafficShiftLog({ tableName: names.table, client: dynamo })),
    consoleLink: (executionArn) => {
      const region = executionArn.split(':')[3];
      return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
    },
  };
}

async function connectLocal(values: ConnectionValues): Promise<OperatorContext> {
  for (const option of ['stage', 'region', 'profile'] as const)
    if (values[option]) throw new UsageError(`--${option} is for AWS; drop it with --local`);
  const url = values.url ?? DEFAULT_LOCAL_URL;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(
      `--url (or ${LOCAL_URL_VARIABLE}) must be the local stack's address, like ${DEFAULT_LOCAL_URL}; got "${url}"`,
    );
  }
  if (parsed.protocol !== 'http:' || !['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname))
    throw new UsageError(
      `--url (or ${LOCAL_URL_VARIABLE}) must be an http://127.0.0.1:<port> address (the local stack), got "${url}"`,
    );
  const base = url.replace(/\/+$/, '');
  // The local stack ignores signatures; the SDK still wants credentials to sign with.
  const client = { region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  const sfn = new SFNClient({ ...client, endpoint: `${base}/aws/states` });
  const dynamo = new DynamoDBClient({ ...client, endpoint: `${base}/aws/dynamodb` });
  const name = values.as ?? `local:${userInfo().username}`;
  return {
    mode: 'local',
    executions: new StepFunctionsPipelineExecutions({
      client: sfn,
      machineNames: { promote: 'promote', release: 'release' },
    }),
    records: new DynamoDeploymentRecords({ tableName: LOCAL_TABLE_NAME, client: dynamo }),
    freezes: new DynamoDeploymentFreezes({ tableName: LOCAL_TABLE_NAME, client: dynamo }),
    approvals: new DynamoApprovalStore({ tableName: LOCAL_TABLE_NAME, client: dynamo }),
    control: new StepFunctionsExecutionControl({ clients: sfn }),
    clock: await stackClock(base),
    identity: async () => ({ arn: name, name }),
    consoleLink: () => undefined,
    shifts: (execution) => stackShifts(base, execution.summary.name),
  };
}

/**
 * An execution's traffic shifts as the local stack shows them (`GET /api/shifts?execution=`). A stack that
 * does not answer them (an older version) has none to show; one that cannot be reached is reported as such.
 */
export async function stackShifts(base: string, execution: string): Promise<StageShift[]> {
  let answer: { status: number; body: string };
  try {
    answer = await getText(`${base}/api/shifts?execution=${encodeURIComponent(execution)}`);
  } catch (error) {
    throw new OperatorUnavailableError(
      `the local stack at ${base} stopped answering (${(error as Error).message}): is \`pipeline local\` still running?`,
    );
  }
  if (answer.status !== 200) return [];
  try {
    const body = JSON.parse(answer.body) as { shifts?: unknown };
    return Array.isArray(body.shifts) ? (body.shifts as StageShift[]) : [];
  } catch {
    return [];
  }
}

/**
 * The local stack's clock as of now: its time when asked, moving on at its rate (a stack whose time only
 * jumps between timers reports no rate; its time then stands still for the few moments a command runs).
 */
export async function stackClock(base: string): Promise<Clock> {
  let answer: { status: number; body: string };
  try {
    answer = await getText(`${base}/api/clock`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new OperatorUnavailableError(
      code === 'ECONNREFUSED'
        ? 'the local stack does not answer (connection refused): start it with `pipeline local`, or give its --url'
        : `the local stack at ${base} cannot be reached (${(error as Error).message}): start it with \`pipeline local\`, or give its --url`,
    );
  }
  let body: { now?: unknown; timeScale?: unknown } | undefined;
  try {
    body = answer.status === 200 ? (JSON.parse(answer.body) as typeof body) : undefined;
  } catch {
    body = undefined;
  }
  if (typeof body?.now !== 'number')
    throw new OperatorUnavailableError(
      `${base} does not tell its time (GET /api/clock answered ${answer.status}): is it a \`pipeline local\` ` +
        'of this version? Restart it, or give its --url',
    );
  const stackNow = body.now;
  const rate = typeof body.timeScale === 'number' && body.timeScale > 0 ? body.timeScale : 0;
  const askedAt = Date.now();
  return {
    now: () => stackNow + Math.round((Date.now() - askedAt) * rate),
    sleep: (ms, signal) => systemClock.sleep(rate > 0 ? ms / rate : ms, signal),
  };
}

/** A GET over node:http (fetch refuses ports such as 6000, which `pipeline local --port` may use). */
function getText(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpGet(url, { headers: { accept: 'application/json' }, timeout: 10_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error('no answer within 10 s')));
    request.on('error', reject);
  });
}

/**
 * Who an operator is against AWS: STS's caller, by its session or user name. `--as` may only say who that
 * is: the same name, or the approver email the config's `operatorIdentities` maps the caller's ARN to; any
 * other name is refused, since anyone with CLI access could otherwise decide as any listed approver.
 */
export function claimedIdentity(identity: OperatorIdentity, values: ConnectionValues): OperatorIdentity {
  const claimed = values.as;
  if (claimed === undefined || claimed.toLowerCase() === identity.name.toLowerCase()) return identity;
  const file = values.config ?? DEFAULT_CONFIG_FILE;
  const mapped = existsSync(file) ? loadConfigFile(file).operatorIdentities?.[identity.arn] : undefined;
  if (mapped !== undefined && mapped.toLowerCase() === claimed.toLowerCase())
    return { ...identity, name: mapped };
  throw new UsageError(
    `--as ${claimed} is not you: against AWS you act as ${identity.name} (${identity.arn}). ` +
      (mapped !== undefined
        ? `${file} maps you to ${mapped}: use --as ${mapped}, or drop --as`
        : `If that caller is ${claimed}, map it in ${file}: operatorIdentities: { "${identity.arn}": ${claimed} }`),
  );
}
