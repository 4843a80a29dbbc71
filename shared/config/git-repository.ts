import type { PipelineConfig, ServiceConfig } from './config.schema';

/**
 * The service whose release tags a git repository carries (`services[].gitRepository`), if any: the same
 * rule for the webhook, which ignores a tag of any other repository at once, and for start-release.
 */
export function serviceOfGitRepository(
  config: Pick<PipelineConfig, 'services'>,
  repository: string,
): ServiceConfig | undefined {
  return config.services.find((service) => service.gitRepository === repository);
}
