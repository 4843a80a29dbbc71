import * as z from 'zod';
import { AWS_REGION } from './aws-region';
import { AWS_REGIONS } from './aws-regions';
import { regionProblem } from './region-problem';
import { CLOCK_TIME, isTimeZone, toMinutes, WEEKDAYS } from '../domain/deployment-gate';
import {
  frozenRecheckSeconds,
  gateChecksPerStage,
  HISTORY_EVENT_LIMIT,
  MAX_FROZEN_RECHECK_SECONDS,
  MIN_GATE_CHECKS,
  stagesPerExecution,
} from '../domain/history-budget';
import { lazySchema } from '../domain/lazy-schema';
import {
  checkTrafficShift,
  loadBalancerWiring,
  refuseSharedWiring,
  trafficShiftFields,
} from './traffic-shift.schema';
import { checkMigrations, environmentMigrationsSchema, serviceMigrationsSchema } from './migrations.schema';

/**
 * The shape of `pipeline.config.yml`. Every rule a platform engineer can break has a message that says
 * how to fix it; `config.loader.ts` adds the file and the path inside it.
 */

const NAME = /^[a-z][a-z0-9-]{0,39}$/;
const name = (what: string) =>
  z
    .string()
    .regex(NAME, `${what} must be lowercase letters, digits and dashes, starting with a letter (max 40)`);

export { AWS_REGION };
/** A region AWS has (aws-regions.ts), with what is wrong otherwise: upper case, a misspelling, no such region. */
// A function, not a lazySchema: the JSON Schema generator reads `.meta` from the schema object itself.
const region = () =>
  z
    .string()
    .superRefine((value, ctx) => {
      const problem = regionProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    // Editors offer the regions from the JSON Schema (npm run schema).
    .meta({ enum: [...AWS_REGIONS] });

/** GitHub `owner/name`, or a CodeCommit repository name: letters, digits, `.`, `_`, `-`, up to 100. */
const GIT_REPOSITORY = /^(?:[\w.-]+\/[\w.-]+|[\w.-]{1,100})$/;

/** A CodeCommit repository name (as opposed to GitHub's `owner/name`). */
export function isCodeCommitRepository(gitRepository: string): boolean {
  return !gitRepository.includes('/');
}

const ECR_REPOSITORY = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/** What starts deployments to an environment. */
export const TRIGGERS = ['push', 'tag', 'previous'] as const;
export type Trigger = (typeof TRIGGERS)[number];

const approvalPolicy = lazySchema(() =>
  z
    .object({
      approvers: z
        .array(z.email('each approver must be an email address'))
        .min(1, 'list at least one approver'),
      minApprovals: z.number().int().min(1).default(1),
      timeoutHours: z
        .number()
        .positive()
        .max(24 * 365, 'cannot exceed one year (the Step Functions execution limit)')
        .default(168),
      allowSelfApproval: z.boolean().default(false),
    })
    .strict()
    .refine((a) => a.minApprovals <= a.approvers.length, {
      message: 'minApprovals cannot exceed the number of approvers',
      path: ['minApprovals'],
    }),
);

/** When deployments to an environment may start; outside every window a stage waits for the next. */
const deploymentWindow = lazySchema(() =>
  z
    .object({
      days: z
        .array(
          z.enum(WEEKDAYS, {
            error: () => `days are ${WEEKDAYS.join(', ')} (lowercase, three letters)`,
          }),
        )
        .min(1, 'list at least one day')
        .refine((d) => new Set(d).size === d.length, 'days must not repeat'),
      start: z.string().regex(CLOCK_TIME, 'start must be a 24-hour time "HH:MM" such as "09:00"'),
      end: z.string().regex(CLOCK_TIME, 'end must be a 24-hour time "HH:MM" such as "16:00" (or "24:00")'),
      timezone: z
        .string()
        .refine(isTimeZone, 'timezone must be an IANA time zone such as "Europe/Berlin" or "UTC"'),
    })
    .strict()
    .refine(
      (w) => !CLOCK_TIME.test(w.start) || !CLOCK_TIME.test(w.end) || toMinutes(w.start) < toMinutes(w.end),
      {
        message: 'end must be after start on the same day (split a window across midnight into two)',
        path: ['end'],
      },
    ),
);

const environment = lazySchema(() =>
  z
    .object({
      name: name('environment name'),
      trigger: z.enum(TRIGGERS, {
        error: () =>
          'trigger must be "push" (an image push), "tag" (a git tag vX.Y.Z) or "previous" (success of the environment before it)',
      }),
      regions: z
        .array(region())
        .min(1, 'list at least one region')
        .refine((r) => new Set(r).size === r.length, 'regions must not repeat'),
      approval: approvalPolicy.optional(),
      /** Deployments start only inside one of these (none: any time). Freezes apply on top. */
      deploymentWindows: z
        .array(deploymentWindow)
        .min(1, 'list at least one window, or leave the field out')
        .optional(),
      /** How long a stage waits for a freeze to lift or a window to open before it fails. */
      freezeWaitHours: z
        .number()
        .positive()
        .max(24 * 365, 'cannot exceed one year (the Step Functions execution limit)')
        .default(24),
    })
    .strict(),
);

const smokeCheck = lazySchema(() =>
  z
    .object({
      name: name('smoke check name'),
      path: z.string().startsWith('/', 'path must start with "/"').max(2048),
      method: z.enum(['GET', 'HEAD']).default('GET'),
      expectStatus: z.number().int().min(100).max(599).default(200),
      bodyContains: z.string().min(1).max(1024).optional(),
      /** A top-level JSON field of the response that must equal the deployed commit or version. */
      reportsDeployed: z
        .object({ field: z.string().min(1).max(128), equals: z.enum(['commit', 'version']) })
        .strict()
        .optional(),
      maxLatencyMs: z.number().int().positive().max(60_000).default(2000),
      timeoutMs: z.number().int().positive().max(60_000).default(5000),
    })
    .strict(),
);

const ecsTarget = lazySchema(() =>
  z
    .object({
      cluster: z.string().min(1).max(255),
      service: z.string().min(1).max(255),
      container: z.string().min(1).max(255),
      endpoint: z.url({ protocol: /^https?$/, error: 'endpoint must be an http(s) URL' }),
      /** Blue/green, canary and linear: the region's target groups, listener rules and role. */
      loadBalancer: loadBalancerWiring.optional(),
    })
    .strict(),
);

const alarms = lazySchema(() =>
  z
    .object({
      names: z.array(z.string().min(1).max(255)).default([]),
      prefixes: z.array(z.string().min(1).max(255)).default([]),
    })
    .strict(),
);

const serviceEnvironment = lazySchema(() =>
  z
    .object({
      bakeMinutes: z
        .number()
        .min(0)
        .max(24 * 60)
        .default(10),
      deploymentTimeoutMinutes: z
        .number()
        .positive()
        .max(24 * 60)
        .default(30),
      alarms: alarms.default({ names: [], prefixes: [] }),
      smoke: z.array(smokeCheck).default([]),
      regions: z.record(region(), ecsTarget),
      ...trafficShiftFields(),
      migrations: environmentMigrationsSchema.optional(),
    })
    .strict()
    .superRefine((settings, ctx) => checkTrafficShift(settings, [], ctx)),
);

const service = lazySchema(() =>
  z
    .object({
      name: name('service name'),
      ecrRepository: z.string().regex(ECR_REPOSITORY, 'must be an ECR repository name such as orders-api'),
      /** GitHub's `owner/name`, or a CodeCommit repository name (CodeCommit names have no owner). */
      gitRepository: z
        .string()
        .regex(
          GIT_REPOSITORY,
          'must be "owner/name" as GitHub shows it, or a CodeCommit repository name ' +
            '(letters, digits, ".", "_" and "-", at most 100)',
        )
        .optional(),
      environments: z.record(name('environment name'), serviceEnvironment),
      /** Database migrations run before each deploy (docs/migrations.md). */
      migrations: serviceMigrationsSchema.optional(),
    })
    .strict(),
);

const releasePolicy = lazySchema(() =>
  z
    .object({
      /** How long a release waits for the build to push `sha-<commit>` before failing. */
      imageWaitMinutes: z
        .number()
        .positive()
        .max(24 * 60)
        .default(30),
    })
    .strict(),
);

const reconciliationPolicy = lazySchema(() =>
  z
    .object({
      /** How often the sweep compares each repository's newest `sha-*` image with what PPE runs. */
      everyMinutes: z.number().int().min(1).max(1440).default(5),
      /** Images younger than this are left to their push event, which is normally seconds behind. */
      graceMinutes: z.number().min(0).max(1440).default(2),
      /**
       * Images pushed longer ago than this are never promoted by the sweep. Step Functions forgets a closed
       * execution's name after 90 days; within the lookback a promotion that failed on purpose is still
       * found by its name and never restarted.
       */
      lookbackHours: z
        .number()
        .positive()
        .max(24 * 89, 'cannot exceed 89 days (Step Functions keeps closed executions for 90)')
        .default(24),
    })
    .strict(),
);

const notificationPolicy = lazySchema(() =>
  z
    .object({
      /**
       * Also post each notification to a Slack-compatible chat webhook (`{"text": …}`); its URL is a secret
       * kept in Secrets Manager (`<service>/<stage>/chat-webhook-url`), not in this file.
       */
      chatWebhook: z.boolean().default(false),
    })
    .strict(),
);

/**
 * Where the smoke-test function runs in one region: subnets and security groups of a VPC there. A Lambda
 * function can only be placed in a VPC of its own region, so only the entry of the region the pipeline is
 * deployed to is used (docs/deploying.md, "Private endpoints").
 */
const smokeTestVpc = lazySchema(() =>
  z
    .object({
      subnetIds: z
        .array(
          z
            .string()
            .regex(
              /^subnet-[0-9a-f]{8}([0-9a-f]{9})?$/,
              'must be a subnet id such as subnet-0123456789abcdef0',
            ),
        )
        .min(1, 'list at least one subnet (two or more in different availability zones for availability)')
        .max(16, 'Lambda accepts at most 16 subnets')
        .refine((ids) => new Set(ids).size === ids.length, 'subnetIds must not repeat'),
      securityGroupIds: z
        .array(
          z
            .string()
            .regex(
              /^sg-[0-9a-f]{8}([0-9a-f]{9})?$/,
              'must be a security group id such as sg-0123456789abcdef0',
            ),
        )
        .min(1, 'list at least one security group (it must allow outbound HTTPS to the endpoints)')
        .max(5, 'Lambda accepts at most 5 security groups')
        .refine((ids) => new Set(ids).size === ids.length, 'securityGroupIds must not repeat'),
    })
    .strict(),
);

export const pipelineConfigSchema = lazySchema(() =>
  z
    .object({
      version: z.literal(1, { error: () => 'version must be 1' }),
      releases: releasePolicy.default({ imageWaitMinutes: 30 }),
      reconciliation: reconciliationPolicy.default({ everyMinutes: 5, graceMinutes: 2, lookbackHours: 24 }),
      notifications: notificationPolicy.default({ chatWebhook: false }),
      /** Per region the pipeline may be deployed to: the VPC placement of its smoke-test function. */
      smokeTestVpc: z
        .record(z.string(), smokeTestVpc)
        .superRefine((placements, ctx) => {
          for (const key of Object.keys(placements)) {
            const problem = regionProblem(key);
            if (problem)
              ctx.addIssue({
                code: 'custom',
                path: [key],
                message: `${problem} (smokeTestVpc is keyed by region)`,
              });
          }
        })
        .optional(),
      /**
       * AWS callers (STS caller ARN) and the approver each may act as with `pipeline … --as <email>`, for
       * identities whose role session or IAM user name is not the approver's email. Nobody else may use --as
       * against AWS.
       */
      operatorIdentities: z
        .record(
          z.string().regex(/^arn:aws[a-z-]*:(iam|sts)::\d{12}:\S+$/, {
            error: () => 'keys are caller ARNs such as arn:aws:iam::123456789012:user/ops/bob',
          }),
          z.email('each value must be the approver email that caller acts as'),
        )
        .optional(),
      environments: z.array(environment).min(1, 'define at least one environment'),
      services: z.array(service).min(1, 'define at least one service'),
    })
    .strict()
    .superRefine((config, ctx) => {
      const envNames = config.environments.map((e) => e.name);
      config.environments.forEach((env, i) => {
        if (envNames.indexOf(env.name) !== i)
          ctx.addIssue({
            code: 'custom',
            path: ['environments', i, 'name'],
            message: `"${env.name}" is defined twice`,
          });
      });
      if (config.environments[0]?.trigger === 'previous')
        ctx.addIssue({
          code: 'custom',
          path: ['environments', 0, 'trigger'],
          message: 'the first environment has no previous environment: use "push" or "tag"',
        });

      refuseHistoryOverflow(config.environments, ctx);
      checkMigrations(config, ctx);
      refuseSharedWiring(config, ctx);

      const seen = { service: new Set<string>(), repo: new Set<string>(), git: new Map<string, string>() };
      config.services.forEach((svc, i) => {
        if (seen.service.has(svc.name))
          ctx.addIssue({
            code: 'custom',
            path: ['services', i, 'name'],
            message: `"${svc.name}" is defined twice`,
          });
        if (seen.repo.has(svc.ecrRepository))
          ctx.addIssue({
            code: 'custom',
            path: ['services', i, 'ecrRepository'],
            message: `"${svc.ecrRepository}" already belongs to another service: a push must map to one service`,
          });
        // A tag names its git repository: two services on one repository would both claim every tag, and
        // the second could never be released.
        const git = svc.gitRepository?.toLowerCase();
        const owner = git === undefined ? undefined : seen.git.get(git);
        if (owner !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['services', i, 'gitRepository'],
            message: `"${svc.gitRepository}" is already the git repository of ${owner}: a tag must map to one service (give each service its own repository)`,
          });
        seen.service.add(svc.name);
        seen.repo.add(svc.ecrRepository);
        if (git !== undefined && owner === undefined) seen.git.set(git, svc.name);

        for (const env of config.environments) {
          // An environment region that is itself wrong is reported once, where it is, not again per service.
          if (env.regions.some((r) => regionProblem(r) !== undefined)) continue;
          const target = svc.environments[env.name];
          if (!target) {
            ctx.addIssue({
              code: 'custom',
              path: ['services', i, 'environments'],
              message: `missing environment "${env.name}" (every service deploys to every environment)`,
            });
            continue;
          }
          for (const r of env.regions)
            if (!target.regions[r])
              ctx.addIssue({
                code: 'custom',
                path: ['services', i, 'environments', env.name, 'regions'],
                message: `missing region "${r}", which environment "${env.name}" deploys to`,
              });
          for (const r of Object.keys(target.regions))
            if (!env.regions.includes(r))
              ctx.addIssue({
                code: 'custom',
                path: ['services', i, 'environments', env.name, 'regions', r],
                message: `environment "${env.name}" does not deploy to ${r}: add it to environments[].regions or remove it here`,
              });
        }
        for (const envName of Object.keys(svc.environments))
          if (!envNames.includes(envName))
            ctx.addIssue({
              code: 'custom',
              path: ['services', i, 'environments', envName],
              message: `unknown environment "${envName}"; known: ${envNames.join(', ')}`,
            });
      });
    }),
);

/**
 * No valid configuration may let an execution pass Step Functions' 25,000 history events: each stage may
 * check its deployment gate a share of them (history-budget.ts), which needs few enough stages per
 * execution, and a long freezeWaitHours spreads those checks out, at most a day apart.
 */
function refuseHistoryOverflow(
  environments: { name: string; trigger: string; regions: string[]; freezeWaitHours: number }[],
  ctx: z.RefinementCtx,
): void {
  for (const trigger of ['push', 'tag'] as const) {
    const stages = stagesPerExecution(environments, trigger);
    if (stages === 0) continue;
    const maxChecks = gateChecksPerStage(stages);
    const started = environments.filter((e, i) => startsWith(environments, i, trigger));
    const last = environments.indexOf(started[started.length - 1]!);
    if (maxChecks < MIN_GATE_CHECKS) {
      let most = stages;
      while (most > 1 && gateChecksPerStage(most) < MIN_GATE_CHECKS) most--;
      ctx.addIssue({
        code: 'custom',
        path: ['environments', last, 'regions'],
        message:
          `a ${trigger === 'push' ? 'push' : 'tag'} deploys ${stages} stages (environment × region) in one ` +
          `execution; Step Functions' limit of ${HISTORY_EVENT_LIMIT.toLocaleString('en')} history events ` +
          `allows at most ${most}: deploy fewer regions per trigger, or split the environments`,
      });
      continue;
    }
    for (const env of started) {
      const recheck = frozenRecheckSeconds(env.freezeWaitHours * 3600, maxChecks);
      if (recheck <= MAX_FROZEN_RECHECK_SECONDS) continue;
      const most = Math.floor((MAX_FROZEN_RECHECK_SECONDS * Math.floor(maxChecks / 2)) / 3600);
      ctx.addIssue({
        code: 'custom',
        path: ['environments', environments.indexOf(env), 'freezeWaitHours'],
        message:
          `with ${stages} stages per execution, a wait of ${env.freezeWaitHours} hours would look for the end ` +
          `of a freeze only every ${(recheck / 3600).toFixed(1)} hours (Step Functions' limit of ` +
          `${HISTORY_EVENT_LIMIT.toLocaleString('en')} history events); at most ${most} hours keeps it daily`,
      });
    }
  }
}

function startsWith(environments: { trigger: string }[], index: number, trigger: 'push' | 'tag'): boolean {
  let chained = false;
  for (let i = 0; i <= index; i++) {
    const starts: boolean =
      environments[i]!.trigger === trigger || (chained && environments[i]!.trigger === 'previous');
    if (i === index) return starts;
    chained = starts;
  }
  return false;
}

export type PipelineConfig = z.infer<typeof pipelineConfigSchema>;
export type EnvironmentConfig = PipelineConfig['environments'][number];
export type ServiceConfig = PipelineConfig['services'][number];
export type ServiceEnvironmentConfig = ServiceConfig['environments'][string];
export type SmokeCheckConfig = ServiceEnvironmentConfig['smoke'][number];
export type EcsTargetConfig = ServiceEnvironmentConfig['regions'][string];
