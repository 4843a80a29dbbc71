import * as z from 'zod';
import { AWS_REGION } from '../config/aws-region';
import type { PipelineConfig, Trigger } from '../config/config.schema';
import { resolveMigrations } from '../config/migrations.schema';
import { CLOCK_TIME, WEEKDAYS } from './deployment-gate';
import { gateChecksPerStage, stagesPerExecution } from './history-budget';
import { lazySchema } from './lazy-schema';
import { shiftWaitExtraSeconds } from './traffic-shift';
import { planStageTraffic, stageTrafficSchema, type StageTraffic } from './traffic-shift-stage';

const LEGACY_GATE_CHECKS = 288;

const smokeCheckSchema = lazySchema(() =>
  z.object({
    name: z.string(),
    path: z.string().startsWith('/'),
    method: z.enum(['GET', 'HEAD']),
    expectStatus: z.number().int(),
    bodyContains: z.string().optional(),
    reportsDeployed: z.object({ field: z.string(), equals: z.enum(['commit', 'version']) }).optional(),
    maxLatencyMs: z.number().positive(),
    timeoutMs: z.number().positive(),
  }),
);

const migrationsSchema = lazySchema(() =>
  z.object({
    command: z.array(z.string()).min(1),
    planCommand: z.array(z.string()).min(1).optional(),
    timeoutSeconds: z.number().int().positive(),
    /** True: the plan runs before the stage's approval, which then approves migrating and deploying. */
    approval: z.boolean(),
  }),
);

/**
 * One environment/region a version is deployed to, with everything the steps need. The plan is computed
 * once when an execution starts and travels in its input, so a retried or redriven step acts on exactly
 * what the execution was started with. Steps validate it at the door: a hand-edited or stale execution
 * fails with InvalidStepInput naming the field, instead of half-deploying.
 */
export const stageSchema = lazySchema(() =>
  z.object({
    environment: z.string().min(1),
    region: z.string().regex(AWS_REGION),
    cluster: z.string().min(1),
    service: z.string().min(1),
    container: z.string().min(1),
    endpoint: z.url(),
    smoke: z.array(smokeCheckSchema),
    alarms: z.object({ names: z.array(z.string()), prefixes: z.array(z.string()) }),
    bakeSeconds: z.number().min(0),
    deploymentTimeoutSeconds: z.number().positive(),
    /**
     * The deployment gate before the deploy: the environment's windows (none: any time) and how long to
     * wait. Absent in executions started before the gate existed: they deploy at any time after 24 hours' wait.
     */
    gate: z
      .object({
        windows: z.array(
          z.object({
            days: z.array(z.enum(WEEKDAYS)).min(1),
            start: z.string().regex(CLOCK_TIME),
            end: z.string().regex(CLOCK_TIME),
            timezone: z.string().min(1),
          }),
        ),
        maxWaitSeconds: z.number().positive(),
        /** How often the stage may check the gate: its share of the execution's history (history-budget.ts). Absent in executions started before the budget: a day of five-minute checks. */
        maxChecks: z.number().int().positive().default(LEGACY_GATE_CHECKS),
      })
      .default({ windows: [], maxWaitSeconds: 24 * 3600, maxChecks: LEGACY_GATE_CHECKS }),
    /** Set when the stage shifts traffic (blue-green, canary, linear): its plan and load balancer wiring. */
    traffic: stageTrafficSchema.optional(),
    /** Set when a person must approve before this stage deploys. */
    approval: z
      .object({
        approvers: z.array(z.string()),
        minApprovals: z.number().int().positive(),
        timeoutSeconds: z.number().positive(),
        /** The same, as the config gives it: what the ApprovalExpired cause says (people think in hours). */
        timeoutHours: z.number().positive().optional(),
        allowSelfApproval: z.boolean(),
      })
      .optional(),
    /** Set when the service migrates its database before deploying here (docs/migrations.md). */
    migrations: migrationsSchema.optional(),
  }),
);
/** A stage as the steps read it (after parsing: `gate` is always there). */
export type Stage = z.output<typeof stageSchema>;

/**
 * The stages a trigger starts for a service, in order: the environments whose trigger matches, each
 * followed by the chain of "previous"-triggered environments after it; inside an environment its regions
 * in configured order. A team with dev (push), qa (previous), staging (tag), prod (previous) gets
 * [dev, qa] for a push and [staging, prod…] for a tag without editing any state machine.
 */
export function planStages(
  config: PipelineConfig,
  serviceName: string,
  trigger: Exclude<Trigger, 'previous'>,
): Stage[] {
  const service = config.services.find((s) => s.name === serviceName);
  if (!service) throw new Error(`unknown service "${serviceName}"`);

  const maxChecks = gateChecksPerStage(stagesPerExecution(config.environments, trigger));
  const stages: Stage[] = [];
  let chained = false;
  for (const env of config.environments) {
    const starts: boolean = env.trigger === trigger || (chained && env.trigger === 'previous');
    chained = starts;
    if (!starts) continue;
    const settings = service.environments[env.name];
    if (!settings) throw new Error(`service "${serviceName}" has no settings for environment "${env.name}"`);
    const migrations = resolveMigrations(service, env);
    for (const region of env.regions) {
      const target = settings.regions[region];
      if (!target) throw new Error(`service "${serviceName}" has no target for ${env.name}/${region}`);
      // The wiring travels in `traffic`, with the plan that uses it.
      const { loadBalancer: _wiring, ...ecs } = target;
      const shift: { traffic?: StageTraffic } = planStageTraffic(settings, region);
      stages.push({
        environment: env.name,
        region,
        ...ecs,
        smoke: settings.smoke,
        alarms: settings.alarms,
        // The bake's callback times out after bakeSeconds, which Step Functions takes as a positive integer
        // only (0 would fail the execution with States.Runtime, past every Catch): a bake lasts 1 s at least.
        bakeSeconds: Math.max(1, Math.round(settings.bakeMinutes * 60)),
        // A traffic shift runs inside the ECS deployment the stage waits for: the wait covers it too.
        deploymentTimeoutSeconds:
          Math.round(settings.deploymentTimeoutMinutes * 60) +
          (shift.traffic ? shiftWaitExtraSeconds(shift.traffic) : 0),
        gate: {
          windows: env.deploymentWindows ?? [],
          maxWaitSeconds: Math.round(env.freezeWaitHours * 3600),
          maxChecks,
        },
        ...shift,
        ...(env.approval && {
          approval: {
            approvers: env.approval.approvers,
            minApprovals: env.approval.minApprovals,
            timeoutSeconds: Math.round(env.approval.timeoutHours * 3600),
            timeoutHours: env.approval.timeoutHours,
            allowSelfApproval: env.approval.allowSelfApproval,
          },
        }),
        ...(migrations && { migrations }),
      });
    }
  }
  return stages;
}
