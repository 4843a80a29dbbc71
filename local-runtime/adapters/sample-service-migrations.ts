import { dirname, join } from 'node:path';
import type { EcsTarget } from '../../shared/ports/deployment';
import { DEPLOYED_ENV } from '../../shared/domain/deployment-record';
import type { LocalDatabases } from './local-databases';
import { processMigrationRunner } from './local-migration-process';
import type { LocalMigrationRunner } from './local-migrations';

/** The sample service's checkout: the local stand-in for its container image (examples/sample-service). */
export const SAMPLE_SERVICE_DIR = join(__dirname, '..', '..', 'examples', 'sample-service');

/** The sample service's migrate and plan commands, as a service's `migrations:` config names them. */
export const SAMPLE_SERVICE_MIGRATIONS = {
  command: ['node', 'migrate.mjs'],
  planCommand: ['node', 'migrate.mjs', '--plan'],
} as const;

/** What a build made with `--break <commit>=migration` ships besides the real migrations. */
export const BROKEN_MIGRATIONS_DIR = 'broken-migrations';

export interface SampleServiceMigrationsOptions {
  databases: LocalDatabases;
  /** Whether the build of this commit ships a failing migration (`--break <commit>=migration`). */
  breaksMigration: (commit: string, target: EcsTarget) => boolean;
  /** A task still running after this much real time is killed (exit code 137). Default 5 minutes. */
  killAfterMs?: number;
  /** A stopped task's process gets SIGKILL this long (real time) after SIGTERM. Default 30 s, as ECS. */
  stopTimeoutMs?: number;
}

/**
 * Runs a migration task's command as a real child process in the sample service's checkout, against the
 * real PostgreSQL database of the task's service/environment/region (`DATABASE_URL`), as the service's
 * container would against its RDS instance. The process inherits nothing from this one but a PATH that
 * finds this Node.js (a container has its own `node`).
 */
export function sampleServiceMigrationRunner(options: SampleServiceMigrationsOptions): LocalMigrationRunner {
  return async (context) => {
    const [environment, region] = (context.environment[DEPLOYED_ENV.stage] ?? '').split('/');
    const database = await options.databases.database({
      service: context.target.service,
      environment: environment || context.target.cluster,
      region: region || context.target.region,
    });
    const broken = options.breaksMigration(context.environment[DEPLOYED_ENV.commit] ?? '', context.target);
    const run = processMigrationRunner({
      cwd: SAMPLE_SERVICE_DIR,
      baseEnvironment: { PATH: `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin` },
      environment: () => ({
        DATABASE_URL: database.url,
        ...(broken && { SAMPLE_SERVICE_EXTRA_MIGRATIONS: BROKEN_MIGRATIONS_DIR }),
      }),
      ...(options.killAfterMs !== undefined && { killAfterMs: options.killAfterMs }),
      ...(options.stopTimeoutMs !== undefined && { stopTimeoutMs: options.stopTimeoutMs }),
    });
    return run(context);
  };
}
