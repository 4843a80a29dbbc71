import type { PipelineConfig } from '../../shared/config/config.schema';
import { suggestion } from '../../shared/config/did-you-mean';
import { UsageError } from '../usage-error';

/**
 * Names an operator gives that the configuration defines: a service, an environment, a region of it. One
 * rule for every command: a name the config does not have is bad input (exit 2), said before anything is
 * asked of the pipeline, with the closest name and the list. (What the pipeline's state lacks, an execution
 * or an approval id, is "found nothing": exit 1.)
 */
export function checkService(config: PipelineConfig, service: string): void {
  const known = config.services.map((s) => s.name);
  if (!known.includes(service))
    throw new UsageError(
      `no service "${service}" in the config${suggestion(service, known)} (services: ${known.join(', ')})`,
    );
}

export function checkEnvironment(config: PipelineConfig, environment: string): void {
  const known = config.environments.map((e) => e.name);
  if (!known.includes(environment))
    throw new UsageError(
      `no environment "${environment}" in the config${suggestion(environment, known)} (environments: ${known.join(', ')})`,
    );
}

export function checkRegion(config: PipelineConfig, environment: string, region: string): void {
  const known = config.environments.find((e) => e.name === environment)?.regions ?? [];
  if (!known.includes(region))
    throw new UsageError(
      `${environment} has no region "${region}"${suggestion(region, known)} (regions: ${known.join(', ')})`,
    );
}
