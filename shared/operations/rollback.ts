import type { Clock } from '../clock';
import type { PipelineConfig } from '../config/config.schema';
import { targetKey, triggerKindOf, type DeploymentRecord } from '../domain/deployment-record';
import type { DeploymentRecordStore } from '../ports/deployment';
import { planStages, type Stage } from '../domain/stage';
import { executionName } from '../use-cases/promotion';
import type { Promotion } from '../domain/promotion.schema';
import type { PipelineExecutions } from '../ports/operations';

export interface RollbackRequest {
  service: string;
  environment: string;
  /** One region of the environment; all of them when absent. */
  region?: string;
  /** The release to go back to; the one each region ran before the current one when absent. */
  to?: string;
  /** The operator, as `pipeline history` will show it. */
  by: string;
}

/** Why a rollback cannot be planned: the message says what to do instead. */
export class RollbackRefusedError extends Error {
  override readonly name = 'RollbackRefused';
}

export interface RollbackPlan {
  name: string;
  promotion: Promotion;
  /** What each region runs now, for the operator to read before it changes. */
  current: { environment: string; region: string; version: string | null }[];
}

/**
 * Plans `pipeline rollback`: a promotion of an earlier release's image (by digest) through the same
 * deploy/smoke/bake steps, to one environment (or one region of it). It is marked as a rollback by
 * `rollbackBy`, passes the supersede check on purpose (`allowDowngrade`) and asks no approval: the
 * operator's command is the decision, recorded with their identity.
 */
export async function planRollback(
  request: RollbackRequest,
  deps: { config: PipelineConfig; records: DeploymentRecordStore; clock: Clock },
): Promise<RollbackPlan> {
  const stages = stagesOf(deps.config, request);
  const history = await deps.records.history(request.service);
  const running = new Map((await deps.records.running(request.service)).map((r) => [targetKey(r), r]));
  // Versions recorded where their digest already ran name an image too (two tags on one commit).
  const deployedImages = history.filter(
    (r) => (r.outcome === 'deployed' || r.outcome === 'already running') && r.registry && r.repository,
  );

  let target: DeploymentRecord | undefined;
  if (request.to) {
    target = deployedImages.find((r) => r.version === request.to);
    if (!target) {
      const known = [...new Set(deployedImages.map((r) => r.version))].slice(0, 8).join(', ');
      throw new RollbackRefusedError(
        `${request.service} ${request.to} was never deployed by the pipeline, so its image is not known` +
          (known ? ` (known: ${known})` : ''),
      );
    }
  } else {
    // The release before the current one is the last one with another image: going back from v1.4.1 to
    // v1.4.0 of the same commit would change nothing.
    const previous = stages.map((stage) => {
      const now = running.get(targetKey(stage));
      return deployedImages.find(
        (r) =>
          r.environment === stage.environment &&
          r.region === stage.region &&
          r.version !== now?.version &&
          r.digest !== now?.digest,
      );
    });
    const versions = new Set(previous.map((r) => r?.version));
    if (versions.has(undefined))
      throw new RollbackRefusedError(
        `${request.service} has no earlier release in ${where(request)} to roll back to; name one with --to`,
      );
    if (versions.size > 1)
      throw new RollbackRefusedError(
        `the regions of ${request.environment} ran different releases before (${[...versions].join(', ')}): ` +
          'name the one to go back to with --to, or roll back one --region at a time',
      );
    target = previous[0]!;
  }

  const current = stages.map((s) => ({
    environment: s.environment,
    region: s.region,
    version: running.get(targetKey(s))?.version ?? null,
  }));
  if (current.every((c) => c.version === target.version))
    throw new RollbackRefusedError(`${request.service} already runs ${target.version} in ${where(request)}`);
  if (stages.every((s) => running.get(targetKey(s))?.digest === target.digest))
    throw new RollbackRefusedError(
      `${request.service} already runs the image of ${target.version} in ${where(request)} ` +
        `(as ${[...new Set(current.map((c) => c.version))].join(', ')}: tags of one commit)`,
    );

  const stamp = new Date(deps.clock.now()).toISOString().replace(/[-:]/g, '').slice(0, 13); // 20261122T2240
  const name = executionName(
    'rollback',
    request.service,
    request.environment,
    ...(request.region ? [request.region] : []),
    target.version,
    stamp,
  );
  const promotion: Promotion = {
    service: request.service,
    version: target.version,
    commit: target.commit,
    image: { registry: target.registry!, repository: target.repository!, digest: target.digest },
    trigger: {
      kind: triggerKindOf(target.version),
      eventId: name,
      at: target.triggeredAt ?? new Date(target.startedAt ?? target.at).toISOString(),
      allowDowngrade: true,
      rollbackBy: request.by,
    },
    stages,
  };
  return { name, promotion, current };
}

/** Starts the planned rollback; running the same command twice in one minute starts it once. */
export async function startRollback(
  plan: RollbackPlan,
  deps: { executions: PipelineExecutions },
): Promise<{ executionArn: string; alreadyExisted: boolean }> {
  return deps.executions.start('promote', plan.name, plan.promotion);
}

function stagesOf(config: PipelineConfig, request: RollbackRequest): Stage[] {
  if (!config.services.some((s) => s.name === request.service))
    throw new RollbackRefusedError(
      `no service ${request.service} in the config (services: ${config.services.map((s) => s.name).join(', ')})`,
    );
  const all = [...planStages(config, request.service, 'push'), ...planStages(config, request.service, 'tag')];
  const inEnvironment = all.filter((s) => s.environment === request.environment);
  if (inEnvironment.length === 0)
    throw new RollbackRefusedError(
      `${request.service} has no environment ${request.environment} (environments: ${[...new Set(all.map((s) => s.environment))].join(', ')})`,
    );
  const chosen = request.region ? inEnvironment.filter((s) => s.region === request.region) : inEnvironment;
  if (chosen.length === 0)
    throw new RollbackRefusedError(
      `${request.environment} has no region ${request.region} (regions: ${inEnvironment.map((s) => s.region).join(', ')})`,
    );
  // The operator's command is the decision: no approval is asked (their identity is on the record).
  return chosen.map(({ approval: _approval, ...stage }) => stage);
}

function where(request: RollbackRequest): string {
  return request.region ? `${request.environment}/${request.region}` : request.environment;
}
