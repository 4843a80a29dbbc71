import type { PipelineConfig } from './config/config.schema';

/**
 * The EventBridge rules of the pipeline, in one place: `serverless.yml` reads its patterns from here
 * (through `serverless/variables.js`) and the local runtime routes events with the very same patterns.
 */
export interface EventRule {
  /** The serverless.yml function the rule targets. */
  target: 'startPromotion' | 'completeDeployment';
  description: string;
  pattern: Record<string, unknown>;
}

export const ECS_DEPLOYMENT_FINISHED = ['SERVICE_DEPLOYMENT_COMPLETED', 'SERVICE_DEPLOYMENT_FAILED'];

export function eventRules(config: PipelineConfig): EventRule[] {
  return [
    {
      target: 'startPromotion',
      description: 'Successful pushes of sha-<commit> images to the configured ECR repositories',
      pattern: {
        source: ['aws.ecr'],
        'detail-type': ['ECR Image Action'],
        detail: {
          'action-type': ['PUSH'],
          result: ['SUCCESS'],
          'repository-name': config.services.map((s) => s.ecrRepository),
          'image-tag': [{ prefix: 'sha-' }],
        },
      },
    },
    {
      target: 'completeDeployment',
      description: 'ECS service deployments that completed or failed',
      pattern: {
        source: ['aws.ecs'],
        'detail-type': ['ECS Deployment State Change'],
        detail: { eventName: ECS_DEPLOYMENT_FINISHED },
      },
    },
  ];
}

/** The pattern of the rule that targets `target`. */
export function patternFor(config: PipelineConfig, target: EventRule['target']): Record<string, unknown> {
  const rule = eventRules(config).find((r) => r.target === target);
  if (!rule) throw new Error(`no event rule targets ${target}`);
  return rule.pattern;
}
