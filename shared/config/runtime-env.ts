import * as z from 'zod';
import { ConfigError } from './config-error';

/**
 * The environment variables the Lambda functions read, validated once at cold start. Nothing else in the
 * code base reads `process.env`: a function missing a variable fails at load with the variable's name.
 */
function buildRuntimeEnvSchema() {
  return z.object({
    AWS_REGION: z.string().min(1).default('local'),
    PIPELINE_TABLE: z.string().min(1),
    PROMOTE_STATE_MACHINE_ARN: z.string().startsWith('arn:', 'must be a state machine ARN'),
    RELEASE_STATE_MACHINE_ARN: z.string().startsWith('arn:', 'must be a state machine ARN'),
    PIPELINE_CONFIG_FILE: z.string().min(1).default('dist/pipeline.config.json'),
    GITHUB_WEBHOOK_SECRET_NAME: z.string().min(1),
    PIPELINE_EVENT_BUS_NAME: z.string().min(1),
    /** Secrets Manager secret holding the approval link signing keys ({"current","previous"}, base64). */
    APPROVAL_LINK_KEY_SECRET_NAME: z.string().min(1),
    /** Where approval links point (the HTTP API's URL); empty: the page checks Sec-Fetch-Site only. */
    APPROVAL_BASE_URL: z.preprocess(
      (v) => (v === '' ? undefined : v),
      z.url({ protocol: /^https?$/ }).optional(),
    ),
    /** The verified SES identity approval emails come from. */
    APPROVAL_EMAIL_FROM: z.string().min(3).max(320),
    /** The SNS topic stage failures, rollbacks and waiting approvals are published to. */
    NOTIFICATION_TOPIC_ARN: z.string().startsWith('arn:', 'must be an SNS topic ARN'),
    /** Secrets Manager secret holding the chat webhook URL (read only when notifications.chatWebhook is on). */
    CHAT_WEBHOOK_SECRET_NAME: z.string().min(1),
    APPROVAL_SES_CONFIGURATION_SET: z.preprocess(
      (v) => (v === '' ? undefined : v),
      z.string().min(1).optional(),
    ),
  });
}
export type RuntimeEnv = z.infer<ReturnType<typeof buildRuntimeEnvSchema>>;

/** Built on the first read, not at import: a cold start builds no schema before it needs it. */
let runtimeEnvSchema: ReturnType<typeof buildRuntimeEnvSchema> | undefined;

/** Reads the variables a function needs; `keys` lists them so a function is not blocked by others' variables. */
export function readRuntimeEnv<K extends keyof RuntimeEnv>(
  keys: readonly K[],
  env: NodeJS.ProcessEnv = process.env,
): Pick<RuntimeEnv, K | 'AWS_REGION'> {
  const wanted = ['AWS_REGION', ...keys] as const;
  const schema = z.object(
    Object.fromEntries(wanted.map((key) => [key, (runtimeEnvSchema ??= buildRuntimeEnvSchema()).shape[key]])),
  );
  const result = schema.safeParse(env, { reportInput: true });
  if (!result.success)
    throw new ConfigError(
      'the function environment',
      result.error.issues.map(
        (i) => `${i.path.join('.')}: ${i.input === undefined ? 'is not set' : i.message}`,
      ),
      'variables',
    );
  return result.data as Pick<RuntimeEnv, K | 'AWS_REGION'>;
}
