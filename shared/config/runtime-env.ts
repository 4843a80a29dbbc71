import { ConfigError } from './config-error';

/** A variable's check: the value to use, or what is wrong with it. Empty and unset are alike. */
type Check<T> = (value: string | undefined) => { value: T } | { problem: string };

const NOT_SET = 'is not set';
const required: Check<string> = (v) => (v ? { value: v } : { problem: NOT_SET });
const withDefault =
  (fallback: string): Check<string> =>
  (v) => ({ value: v || fallback });
const optional: Check<string | undefined> = (v) => ({ value: v || undefined });
const arn =
  (what: string): Check<string> =>
  (v) =>
    !v ? { problem: NOT_SET } : v.startsWith('arn:') ? { value: v } : { problem: `must be ${what} ARN` };
const optionalArn =
  (what: string): Check<string | undefined> =>
  (v) =>
    !v ? { value: undefined } : v.startsWith('arn:') ? { value: v } : { problem: `must be ${what} ARN` };
const httpUrl: Check<string | undefined> = (v) => {
  if (!v) return { value: undefined };
  try {
    const protocol = new URL(v).protocol;
    if (protocol === 'http:' || protocol === 'https:') return { value: v };
  } catch {
    // not a URL at all: the same problem as another scheme
  }
  return { problem: 'must be an http(s) URL' };
};
const lengthBetween =
  (min: number, max: number): Check<string> =>
  (v) =>
    !v
      ? { problem: NOT_SET }
      : v.length < min || v.length > max
        ? { problem: `must be ${min} to ${max} characters long` }
        : { value: v };

/**
 * The environment variables the Lambda functions read, checked on the first read. Nothing else in the
 * code base reads `process.env`: a function missing a variable fails with the variable's name. Plain checks,
 * not a zod schema: building one cost more of a cold start than all the checks it made (docs/cold-start.md).
 */
const runtimeEnv = {
  AWS_REGION: withDefault('local'),
  PIPELINE_TABLE: required,
  PROMOTE_STATE_MACHINE_ARN: arn('a state machine'),
  RELEASE_STATE_MACHINE_ARN: arn('a state machine'),
  PIPELINE_CONFIG_FILE: withDefault('dist/pipeline.config.json'),
  GITHUB_WEBHOOK_SECRET_NAME: required,
  PIPELINE_EVENT_BUS_NAME: required,
  /** Secrets Manager secret holding the approval link signing keys ({"current","previous"}, base64). */
  APPROVAL_LINK_KEY_SECRET_NAME: required,
  /** Where approval links point (the HTTP API's URL); empty: the page checks Sec-Fetch-Site only. */
  APPROVAL_BASE_URL: httpUrl,
  /** The verified SES identity approval emails come from. */
  APPROVAL_EMAIL_FROM: lengthBetween(3, 320),
  /** The SNS topic stage failures, rollbacks and waiting approvals are published to. */
  NOTIFICATION_TOPIC_ARN: arn('an SNS topic'),
  /** Secrets Manager secret holding the chat webhook URL (read only when notifications.chatWebhook is on). */
  CHAT_WEBHOOK_SECRET_NAME: required,
  APPROVAL_SES_CONFIGURATION_SET: optional,
  /** The traffic shift hook function ECS invokes for stages that shift traffic (functions/shift-traffic). */
  TRAFFIC_SHIFT_HOOK_FUNCTION_ARN: optionalArn('a Lambda function'),
  /** The role ECS assumes to invoke that function (the lifecycle hook's roleArn). */
  TRAFFIC_SHIFT_HOOK_ROLE_ARN: optionalArn('an IAM role'),
  /** The smoke-test function the hook runs blue-green's test checks in (set with a smokeTestVpc for the region). */
  TEST_CHECKS_FUNCTION_ARN: optionalArn('a Lambda function'),
  /** Lambda's X-Ray trace header of the current invocation (active tracing); `Sampled=1` when recorded. */
  _X_AMZN_TRACE_ID: optional,
  /** The function's handler as Lambda names it (`dist/functions/<name>/handler.handler`): the trace's `## …` subsegment. */
  _HANDLER: optional,
  /** Where Lambda's X-Ray daemon listens (`host:port`, or `udp:host:port tcp:host:port`), set with active tracing. */
  AWS_XRAY_DAEMON_ADDRESS: optional,
  /** `false` turns the steps' X-Ray recording off even for sampled invocations (Powertools' switch; the local runtime sets it). */
  POWERTOOLS_TRACE_ENABLED: optional,
} satisfies Record<string, Check<unknown>>;

type RuntimeEnvChecks = typeof runtimeEnv;
export type RuntimeEnv = {
  [K in keyof RuntimeEnvChecks]: RuntimeEnvChecks[K] extends Check<infer T> ? T : never;
};

/** Reads the variables a function needs; `keys` lists them so a function is not blocked by others' variables. */
export function readRuntimeEnv<K extends keyof RuntimeEnv>(
  keys: readonly K[],
  env: NodeJS.ProcessEnv = process.env,
): Pick<RuntimeEnv, K | 'AWS_REGION'> {
  const read: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const key of new Set<keyof RuntimeEnv>(['AWS_REGION', ...keys])) {
    const result = (runtimeEnv[key] as Check<unknown>)(env[key]);
    if ('problem' in result) problems.push(`${key}: ${result.problem}`);
    else read[key] = result.value;
  }
  if (problems.length > 0) throw new ConfigError('the function environment', problems, 'variables');
  return read as Pick<RuntimeEnv, K | 'AWS_REGION'>;
}
