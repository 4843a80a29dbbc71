import * as z from 'zod';
import { AWS_REGION } from '../config/config.schema';
import { CLOCK_TIME, WEEKDAYS } from '../domain/deployment-gate';

const LEGACY_GATE_CHECKS = 288;
import { DIGEST } from '../domain/image';

/**
 * What the promote machine passes to every stage step. Steps validate it at the door: a hand-edited or
 * stale execution fails with InvalidStepInput naming the field, instead of half-deploying.
 */
export const imageRefSchema = z.object({
  registry: z.string().min(1).max(256),
  repository: z.string().min(1).max(256),
  digest: z.string().regex(DIGEST, 'must be sha256:<64 hex>'),
});

const smokeCheckSchema = z.object({
  name: z.string(),
  path: z.string().startsWith('/'),
  method: z.enum(['GET', 'HEAD']),
  expectStatus: z.number().int(),
  bodyContains: z.string().optional(),
  reportsDeployed: z.object({ field: z.string(), equals: z.enum(['commit', 'version']) }).optional(),
  maxLatencyMs: z.number().positive(),
  timeoutMs: z.number().positive(),
});

export const stageSchema = z.object({
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
  /** Absent in executions started before the gate existed: they deploy at any time after 24 hours' wait. */
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
      /** Absent in executions started before the history budget: a day of five-minute checks. */
      maxChecks: z.number().int().positive().default(LEGACY_GATE_CHECKS),
    })
    .default({ windows: [], maxWaitSeconds: 24 * 3600, maxChecks: LEGACY_GATE_CHECKS }),
  approval: z
    .object({
      approvers: z.array(z.string()),
      minApprovals: z.number().int().positive(),
      timeoutSeconds: z.number().positive(),
      allowSelfApproval: z.boolean(),
    })
    .optional(),
});

export const deploymentResultSchema = z.object({
  previousTaskDefinitionArn: z.string().min(1),
  taskDefinitionArn: z.string().min(1),
  deploymentId: z.string().min(1),
  startedAt: z.number(),
});

export const triggerSchema = z
  .object({
    kind: z.enum(['push', 'tag']),
    at: z.iso.datetime({ offset: true }),
    createdBy: z.string().max(256).optional(),
    allowDowngrade: z.boolean().optional(),
    eventId: z.string().max(256).optional(),
    /** Who ran `pipeline rollback`, on the executions it starts. */
    rollbackBy: z.string().max(512).optional(),
  })
  .loose();

export const stageRunSchema = z.object({
  executionName: z.string().min(1).max(80),
  trigger: triggerSchema,
  service: z.string().min(1),
  version: z.string().min(1),
  commit: z.string().regex(/^[a-f0-9]{7,40}$/),
  image: imageRefSchema,
  stage: stageSchema,
  deployment: deploymentResultSchema.optional(),
});

/** A stage run after the deploy step: the steps that follow need to know what was deployed. */
export const deployedStageRunSchema = stageRunSchema.extend({ deployment: deploymentResultSchema });
