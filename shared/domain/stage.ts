import type { PipelineConfig, SmokeCheckConfig, Trigger } from '../config/config.schema';
import type { DeploymentWindow } from './deployment-gate';
import { gateChecksPerStage, stagesPerExecution } from './history-budget';

/**
 * One environment/region a version is deployed to, with everything the steps need. The plan is computed
 * once when an execution starts and travels in its input, so a retried or redriven step acts on exactly
 * what the execution was started with.
 */
export interface Stage {
  environment: string;
  region: string;
  cluster: string;
  service: string;
  container: string;
  endpoint: string;
  smoke: SmokeCheckConfig[];
  alarms: { names: string[]; prefixes: string[] };
  bakeSeconds: number;
  deploymentTimeoutSeconds: number;
  /** The deployment gate before the deploy: the environment's windows (none: any time) and how long to wait. */
  gate: {
    windows: DeploymentWindow[];
    maxWaitSeconds: number;
    /** How often the stage may check the gate: its share of the execution's history (history-budget.ts). */
    maxChecks: number;
  };
  /** Set when a person must approve before this stage deploys. */
  approval?: {
    approvers: string[];
    minApprovals: number;
    timeoutSeconds: number;
    allowSelfApproval: boolean;
  };
}

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

  const stages: Stage[] = [];
  const maxChecks = gateChecksPerStage(stagesPerExecution(config.environments, trigger));
  let chained = false;
  for (const env of config.environments) {
    const starts: boolean = env.trigger === trigger || (chained && env.trigger === 'previous');
    chained = starts;
    if (!starts) continue;
    const settings = service.environments[env.name];
    if (!settings) throw new Error(`service "${serviceName}" has no settings for environment "${env.name}"`);
    for (const region of env.regions) {
      const target = settings.regions[region];
      if (!target) throw new Error(`service "${serviceName}" has no target for ${env.name}/${region}`);
      stages.push({
        environment: env.name,
        region,
        ...target,
        smoke: settings.smoke,
        alarms: settings.alarms,
        bakeSeconds: Math.round(settings.bakeMinutes * 60),
        deploymentTimeoutSeconds: Math.round(settings.deploymentTimeoutMinutes * 60),
        gate: {
          windows: env.deploymentWindows ?? [],
          maxWaitSeconds: Math.round(env.freezeWaitHours * 3600),
          maxChecks,
        },
        ...(env.approval && {
          approval: {
            approvers: env.approval.approvers,
            minApprovals: env.approval.minApprovals,
            timeoutSeconds: Math.round(env.approval.timeoutHours * 3600),
            allowSelfApproval: env.approval.allowSelfApproval,
          },
        }),
      });
    }
  }
  return stages;
}
