import * as z from 'zod';
import { imageRefSchema } from './image';
import { stageSchema } from './stage';
import { lazySchema } from './lazy-schema';

/**
 * What the promote machine passes to every stage step, and what the steps hand on to the ones after them.
 * Steps validate it at the door: a hand-edited or stale execution fails with InvalidStepInput naming the
 * field, instead of half-deploying. The types the use cases take are inferred from these schemas, so the
 * validation and the types cannot drift apart.
 */

/** What the deploy step did: the revisions before and after, and the ECS deployment to wait for. */
export const deploymentResultSchema = lazySchema(() =>
  z.object({
    previousTaskDefinitionArn: z.string().min(1),
    taskDefinitionArn: z.string().min(1),
    deploymentId: z.string().min(1),
    /** Epoch ms when the service was updated (the bake watches alarms from here on). */
    startedAt: z.number(),
  }),
);
export type DeploymentResult = z.infer<typeof deploymentResultSchema>;

/** What started the execution: orders deployments of the same service and environment. */
export const triggerSchema = lazySchema(() =>
  z
    .object({
      kind: z.enum(['push', 'tag']),
      at: z.iso.datetime({ offset: true }),
      createdBy: z.string().max(256).optional(),
      allowDowngrade: z.boolean().optional(),
      eventId: z.string().max(256).optional(),
      /** Who ran `pipeline rollback`, on the executions it starts. */
      rollbackBy: z.string().max(512).optional(),
      /** The tag event asked to deploy even where the digest already runs. */
      redeploy: z.boolean().optional(),
      /** When the released commit was made, when the tag event said (delivery metrics' lead time). */
      commitAt: z.iso.datetime({ offset: true }).optional(),
    })
    .loose(),
);

/**
 * The state one stage iteration carries from step to step. `executionName` comes from the context object
 * (`$$.Execution.Name`), so deterministic names double as idempotency keys.
 */
export const stageRunSchema = lazySchema(() =>
  z.object({
    executionName: z.string().min(1).max(80),
    trigger: triggerSchema,
    service: z.string().min(1),
    version: z.string().min(1),
    commit: z.string().regex(/^[a-f0-9]{7,40}$/),
    image: imageRefSchema,
    stage: stageSchema,
    deployment: deploymentResultSchema.optional(),
  }),
);
export type StageRun = z.infer<typeof stageRunSchema>;

/** A stage run after the deploy step: the steps that follow need to know what was deployed. */
export const deployedStageRunSchema = lazySchema(() =>
  stageRunSchema.extend({ deployment: deploymentResultSchema }),
);

/** The error a Catch recorded: Step Functions' `{ Error, Cause }`, Cause often Lambda's JSON. */
export const caughtFailureSchema = lazySchema(() =>
  z.object({ Error: z.string().min(1), Cause: z.string().optional() }),
);
export type CaughtFailure = z.infer<typeof caughtFailureSchema>;

/** One smoke check's result ("Run smoke checks" returns them; the stage's evidence keeps them). */
export const smokeCheckResultSchema = lazySchema(() =>
  z.object({
    name: z.string(),
    url: z.string(),
    passed: z.boolean(),
    status: z.number().optional(),
    latencyMs: z.number().optional(),
    problem: z.string().optional(),
  }),
);
export type SmokeCheckResult = z.infer<typeof smokeCheckResultSchema>;

/** A watched alarm that was in ALARM during the bake. */
export const alarmBreachSchema = lazySchema(() =>
  z.object({
    alarmName: z.string(),
    /** When the alarm entered ALARM (epoch ms). */
    at: z.number(),
    reason: z.string(),
  }),
);
export type AlarmBreach = z.infer<typeof alarmBreachSchema>;

/** What "Check alarms after bake" returns: what it watched, over which span, and what it saw. */
export const bakeResultSchema = lazySchema(() =>
  z.object({
    watched: z.object({ names: z.array(z.string()), prefixes: z.array(z.string()) }),
    from: z.number(),
    to: z.number(),
    breaches: z.array(alarmBreachSchema),
  }),
);
export type BakeResult = z.infer<typeof bakeResultSchema>;

/**
 * What a failed stage leaves in `$.state` for "Stop the stage": the caught error, the redrive count when it
 * failed ("Record the failure"), and how the rollback went.
 */
export const failedStageStateSchema = lazySchema(() =>
  z.object({
    failure: caughtFailureSchema,
    /** Written by "Record the failure": the execution's redrive count when the stage failed. */
    failedAt: z.object({
      redriveCount: z.number().int().min(0),
      /** When the failure was recorded, right before the rollback began (ISO 8601; older executions lack it). */
      at: z.iso.datetime({ offset: true }).optional(),
    }),
    rollback: z.object({ summary: z.string(), rolledBack: z.boolean().optional() }).optional(),
    rollbackFailure: caughtFailureSchema.optional(),
    /** Present when the deploy step got as far as updating the service. */
    deployment: deploymentResultSchema.optional(),
  }),
);
export type FailedStageState = z.infer<typeof failedStageStateSchema>;
