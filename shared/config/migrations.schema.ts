import * as z from 'zod';
import { lazySchema } from '../domain/lazy-schema';

/**
 * Database migrations of a service (docs/migrations.md): a one-off ECS task of the revision being deployed
 * runs `command` before the deploy; `planCommand` lists what would change, for the approvers. Given per
 * service, and per environment where it differs (each field of the environment's entry replaces the
 * service's).
 */

/** A container command as ECS takes it: the executable and its arguments, no shell. */
const command = (what: string) =>
  z
    .array(z.string().min(1, `each word of ${what} must be non-empty`).max(1024))
    .min(1, `${what} needs at least the executable, e.g. ["npm", "run", "migrate"]`)
    .max(64);

const fields = () => ({
  /** Runs the pending migrations; exit code 0 means the schema is ready for the new revision. */
  command: command('command'),
  /** Lists the pending migrations without applying them; its output is shown to approvers. */
  planCommand: command('planCommand').optional(),
  /** How long the migration task may run before the stage fails (and nothing is deployed). */
  timeoutMinutes: z
    .number()
    .positive()
    .max(24 * 60, 'cannot exceed 24 hours (1440 minutes)'),
  /**
   * Whether someone must approve before the migration runs. Default: yes where the environment has
   * approvers (production), no elsewhere. True needs the environment's approval policy.
   */
  approval: z.boolean(),
  /**
   * The IAM roles (names) of the service's task definitions (task and execution role): running the task
   * passes them to ECS, and the pipeline's migration function may pass only these (serverless.yml).
   */
  taskRoles: z
    .array(
      z
        .string()
        .regex(/^[\w+=,.@-]{1,64}$/, 'each task role is an IAM role name such as orders-api-prod-task'),
    )
    .min(1, 'list the task and execution role names, or leave the field out'),
});

export const DEFAULT_MIGRATION_TIMEOUT_MINUTES = 30;

/** `services[].migrations`: the command is required here. */
export const serviceMigrationsSchema = lazySchema(() =>
  z
    .object({
      ...fields(),
      timeoutMinutes: fields().timeoutMinutes.default(DEFAULT_MIGRATION_TIMEOUT_MINUTES),
      approval: fields().approval.optional(),
      taskRoles: fields().taskRoles.optional(),
    })
    .strict(),
);

/** `services[].environments.<env>.migrations`: overrides; the command may come from the service's entry. */
export const environmentMigrationsSchema = lazySchema(() =>
  z
    .object({
      command: fields().command.optional(),
      planCommand: fields().planCommand,
      timeoutMinutes: fields().timeoutMinutes.optional(),
      approval: fields().approval.optional(),
      taskRoles: fields().taskRoles.optional(),
    })
    .strict(),
);

export type ServiceMigrationsConfig = z.output<typeof serviceMigrationsSchema>;
export type EnvironmentMigrationsConfig = z.output<typeof environmentMigrationsSchema>;

/** What one environment of a service runs, with the overrides applied and the defaults filled in. */
export interface ResolvedMigrations {
  command: string[];
  planCommand?: string[];
  timeoutSeconds: number;
  approval: boolean;
}

/**
 * The migrations of `service` in environment `environment`, or undefined when it has none. Assumes a
 * validated config (checkMigrations found nothing).
 */
export function resolveMigrations(
  service: {
    migrations?: ServiceMigrationsConfig;
    environments: Record<string, { migrations?: EnvironmentMigrationsConfig }>;
  },
  environment: { name: string; approval?: unknown },
): ResolvedMigrations | undefined {
  const base = service.migrations;
  const override = service.environments[environment.name]?.migrations;
  const commandLine = override?.command ?? base?.command;
  if (!commandLine) return undefined;
  const planCommand = override?.planCommand ?? base?.planCommand;
  return {
    command: commandLine,
    ...(planCommand && { planCommand }),
    timeoutSeconds: Math.round(
      (override?.timeoutMinutes ?? base?.timeoutMinutes ?? DEFAULT_MIGRATION_TIMEOUT_MINUTES) * 60,
    ),
    approval: override?.approval ?? base?.approval ?? environment.approval !== undefined,
  };
}

type Ctx = z.RefinementCtx;

/**
 * The migration rules that span entries: an environment override needs a command from somewhere, and an
 * approval needs approvers. Called from the config schema's cross-checks.
 */
export function checkMigrations(
  config: {
    environments: { name: string; approval?: unknown }[];
    services: {
      migrations?: ServiceMigrationsConfig;
      environments: Record<string, { migrations?: EnvironmentMigrationsConfig }>;
    }[];
  },
  ctx: Ctx,
): void {
  config.services.forEach((service, i) => {
    for (const [envName, settings] of Object.entries(service.environments)) {
      const override = settings.migrations;
      const env = config.environments.find((e) => e.name === envName);
      if (override && !override.command && !service.migrations)
        ctx.addIssue({
          code: 'custom',
          path: ['services', i, 'environments', envName, 'migrations'],
          message:
            'missing command: give the migration command here or in the service\'s own "migrations" ' +
            '(e.g. command: ["npm", "run", "migrate"])',
        });
      if (!env || env.approval !== undefined) continue;
      if (override?.approval === true)
        ctx.addIssue({
          code: 'custom',
          path: ['services', i, 'environments', envName, 'migrations', 'approval'],
          message: `environment "${envName}" has no approvers: add environments[].approval to it, or set approval: false`,
        });
      else if (override?.approval === undefined && service.migrations?.approval === true)
        ctx.addIssue({
          code: 'custom',
          path: ['services', i, 'migrations', 'approval'],
          message:
            `environment "${envName}" has no approvers to approve migrations: add environments[].approval ` +
            `to it, or set services[].environments.${envName}.migrations.approval: false`,
        });
    }
  });
}
