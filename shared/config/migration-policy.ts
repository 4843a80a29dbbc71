import type { PipelineConfig } from './config.schema';
import { resolveMigrations } from './migrations.schema';

/** A CloudFormation `Fn::Sub` value, for ARNs that need the account id. */
type Sub = { 'Fn::Sub': string };

/**
 * What the migration function's role may touch, from the config (serverless/variables.js): RunTask only in
 * the clusters of stages that migrate, iam:PassRole only for the roles named under `migrations.taskRoles`.
 * A config where no service migrates (or names no role) gets an ARN that can match nothing, as IAM has no
 * empty list: the function then can run no task and pass no role.
 */
export function migrationPolicyScope(config: PipelineConfig): { clusters: Sub[]; taskRoles: Sub[] } {
  const clusters = new Set<string>();
  const roles = new Set<string>();
  for (const service of config.services)
    for (const env of config.environments) {
      if (!resolveMigrations(service, env)) continue;
      const settings = service.environments[env.name];
      for (const [region, target] of Object.entries(settings?.regions ?? {}))
        clusters.add(`arn:aws:ecs:${region}:\${AWS::AccountId}:cluster/${target.cluster}`);
      for (const role of settings?.migrations?.taskRoles ?? service.migrations?.taskRoles ?? [])
        roles.add(role);
    }
  const sub = (value: string): Sub => ({ 'Fn::Sub': value });
  return {
    clusters:
      clusters.size > 0
        ? [...clusters].sort().map(sub)
        : [sub('arn:aws:ecs:*:${AWS::AccountId}:cluster/no-stage-migrates')],
    taskRoles:
      roles.size > 0
        ? [...roles].sort().map((r) => sub(`arn:aws:iam::\${AWS::AccountId}:role/${r}`))
        : [sub('arn:aws:iam::${AWS::AccountId}:role/no-migration-task-roles-configured')],
  };
}
