import { isCodeCommitRepository, type PipelineConfig } from './config/config.schema';
import { ALARM_EVENT_DETAIL_TYPE, ALARM_EVENT_SOURCE } from './events/alarm-state-change.schema';
import { codeCommitTagCreatedPattern, tagCreatedPattern } from './git-tags/tag-created.schema';
import { MIGRATION_STARTED_BY_PREFIX } from './domain/migrations';

/**
 * The EventBridge rules of the pipeline, in one place: `serverless.yml` reads its patterns from here
 * (through `serverless/variables.js`) and the local runtime routes events with the very same patterns.
 */
export interface EventRule {
  /** The rule's name in serverless/variables.js (`patterns.<id>`). */
  id:
    | 'ecrPush'
    | 'ecsDeploymentFinished'
    | 'alarmStateChange'
    | 'gitTagCreated'
    | 'codeCommitTagCreated'
    | 'migrationTaskStopped';
  /** The serverless.yml function the rule targets. */
  target: 'startPromotion' | 'settleDeployment' | 'settleBake' | 'startRelease' | 'settleMigration';
  /** The bus the rule listens on: the account's default bus, or the pipeline's own. */
  bus: 'default' | 'pipeline';
  description: string;
  pattern: Record<string, unknown>;
}

export const ECS_DEPLOYMENT_FINISHED = ['SERVICE_DEPLOYMENT_COMPLETED', 'SERVICE_DEPLOYMENT_FAILED'];

export function eventRules(config: PipelineConfig): EventRule[] {
  return [
    {
      id: 'ecrPush',
      target: 'startPromotion',
      bus: 'default',
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
      id: 'ecsDeploymentFinished',
      target: 'settleDeployment',
      bus: 'default',
      description: 'ECS service deployments that completed or failed',
      pattern: {
        source: ['aws.ecs'],
        'detail-type': ['ECS Deployment State Change'],
        detail: { eventName: ECS_DEPLOYMENT_FINISHED },
      },
    },
    {
      id: 'migrationTaskStopped',
      target: 'settleMigration',
      bus: 'default',
      description: 'Migration tasks the pipeline started (startedBy prefix) that stopped',
      pattern: {
        source: ['aws.ecs'],
        'detail-type': ['ECS Task State Change'],
        detail: { lastStatus: ['STOPPED'], startedBy: [{ prefix: MIGRATION_STARTED_BY_PREFIX }] },
      },
    },
    {
      id: 'alarmStateChange',
      target: 'settleBake',
      bus: 'default',
      description: 'Alarms the bakes watch (configured names and prefixes) going to ALARM',
      pattern: {
        source: [ALARM_EVENT_SOURCE],
        'detail-type': [ALARM_EVENT_DETAIL_TYPE],
        detail: { alarmName: watchedAlarms(config), state: { value: ['ALARM'] } },
      },
    },
    {
      id: 'gitTagCreated',
      target: 'startRelease',
      bus: 'pipeline',
      description: 'Git Tag Created events (GitHub webhook, or any CI with put-events)',
      pattern: tagCreatedPattern(),
    },
    {
      id: 'codeCommitTagCreated',
      target: 'startRelease',
      bus: 'default',
      description: 'Tags created in the CodeCommit repositories of the configured services',
      pattern: codeCommitTagCreatedPattern(codeCommitRepositories(config)),
    },
  ];
}

/**
 * Every alarm name and prefix a bake watches, in any environment: EventBridge matches a name exactly and a
 * prefix with `{"prefix": …}`. A config that watches no alarm at all gets a pattern no alarm event can match
 * (every alarm event has a name), so the rule exists but never fires.
 */
function watchedAlarms(config: PipelineConfig): unknown[] {
  const settings = config.services.flatMap((s) => Object.values(s.environments));
  const names = [...new Set(settings.flatMap((e) => e.alarms.names))].sort();
  const prefixes = [...new Set(settings.flatMap((e) => e.alarms.prefixes))].sort();
  const alternatives = [...names, ...prefixes.map((prefix) => ({ prefix }))];
  return alternatives.length > 0 ? alternatives : [{ exists: false }];
}

/** Services whose gitRepository is a CodeCommit repository name (GitHub ones are owner/name). */
function codeCommitRepositories(config: PipelineConfig): string[] {
  return config.services.flatMap((s) =>
    s.gitRepository && isCodeCommitRepository(s.gitRepository) ? [s.gitRepository] : [],
  );
}

/** The pattern of the rule `id`. */
export function patternFor(config: PipelineConfig, id: EventRule['id']): Record<string, unknown> {
  const rule = eventRules(config).find((r) => r.id === id);
  if (!rule) throw new Error(`no event rule ${id}`);
  return rule.pattern;
}
