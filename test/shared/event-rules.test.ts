import { parse } from 'yaml';
import { eventRules, patternFor } from '../../shared/event-rules';
import { matchesEventPattern, validateEventPattern } from '../../local-runtime/event-pattern';
import { pipelineConfigSchema, type PipelineConfig } from '../../shared/config/config.schema';
import { NO_CODECOMMIT_REPOSITORY } from '../../shared/git-tags/tag-created.schema';
import { loadEvent, sampleConfig, sampleConfigText } from '../support/fixtures';
import { MIGRATION_STARTED_BY_PREFIX } from '../../shared/domain/migrations';

/**
 * The pipeline's EventBridge rules (shared/event-rules.ts), matched with the local runtime's EventBridge
 * pattern matcher: which ECR pushes start a promotion, which ECS events complete a deployment.
 */
const config = sampleConfig();

function ecrPush(detail: Record<string, unknown>, over: Record<string, unknown> = {}) {
  const event = loadEvent('ecr-push-orders-api.json');
  return { ...event, ...over, detail: { ...event.detail, ...detail } };
}

type RawService = {
  name: string;
  ecrRepository: string;
  gitRepository?: string;
  environments: Record<string, { alarms?: { names?: string[]; prefixes?: string[] } }>;
};

/** The sample configuration changed by `edit` (its services as written in the file), checked by the schema. */
function configWith(edit: (services: RawService[]) => void): PipelineConfig {
  const raw = parse(sampleConfigText(), { merge: true }) as { services: RawService[] };
  edit(raw.services);
  return pipelineConfigSchema.parse(raw);
}

/** Every environment of every service watches `alarms` (an empty object: no alarm at all). */
const watching =
  (alarms: { names?: string[]; prefixes?: string[] }) =>
  (services: RawService[]): void => {
    for (const service of services)
      for (const environment of Object.values(service.environments)) environment.alarms = alarms;
  };

/** The rules whose pattern matches the event, as EventBridge would route it. */
function routed(event: unknown, rulesOf: PipelineConfig = config): string[] {
  return eventRules(rulesOf)
    .filter((rule) => matchesEventPattern(rule.pattern, event))
    .map((rule) => `${rule.id} -> ${rule.target}`);
}

describe('ECR push rule', () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown>, string[]]>([
    ['a successful push of sha-<commit>', {}, {}, ['ecrPush -> startPromotion']],
    ['a push of the other service', { 'repository-name': 'payments-api' }, {}, ['ecrPush -> startPromotion']],
    ['a push to a repository no service uses', { 'repository-name': 'billing-api' }, {}, []],
    ['a push tagged latest', { 'image-tag': 'latest' }, {}, []],
    ['a push tagged with a version', { 'image-tag': 'v1.2.3' }, {}, []],
    ['a push tagged SHA- in capitals', { 'image-tag': 'SHA-4b825dc' }, {}, []],
    ['a failed push', { result: 'FAILURE' }, {}, []],
    ['a deleted image', { 'action-type': 'DELETE' }, {}, []],
    ['an untagged push', { 'image-tag': undefined }, {}, []],
    ['a push event from another source', {}, { source: 'custom.ecr' }, []],
    ['a push event of another detail type', {}, { 'detail-type': 'ECR Image Scan' }, []],
  ])('when %s arrives, it is routed to %j', (_what, detail, over, expected) => {
    expect(routed(ecrPush(detail, over))).toEqual(expected);
  });

  it('the rule lists exactly the configured repositories and the sha- prefix', () => {
    expect(patternFor(config, 'ecrPush')).toEqual({
      source: ['aws.ecr'],
      'detail-type': ['ECR Image Action'],
      detail: {
        'action-type': ['PUSH'],
        result: ['SUCCESS'],
        'repository-name': ['orders-api', 'payments-api'],
        'image-tag': [{ prefix: 'sha-' }],
      },
    });
  });

  it('when a rule id is unknown, it says so', () => {
    expect(() => patternFor(config, 'nope' as never)).toThrow('no event rule nope');
  });
});

describe('ECS deployment rule', () => {
  const ecsEvent = (eventName: string) => ({
    version: '0',
    id: 'e',
    source: 'aws.ecs',
    'detail-type': 'ECS Deployment State Change',
    account: '123456789012',
    time: '2026-01-01T00:00:00Z',
    region: 'eu-west-1',
    resources: [],
    detail: { eventType: 'INFO', eventName, deploymentId: 'ecs-svc/1' },
  });
  it.each<[string, string[]]>([
    ['SERVICE_DEPLOYMENT_COMPLETED', ['ecsDeploymentFinished -> settleDeployment']],
    ['SERVICE_DEPLOYMENT_FAILED', ['ecsDeploymentFinished -> settleDeployment']],
    ['SERVICE_DEPLOYMENT_IN_PROGRESS', []],
  ])('when ECS sends %s, it is routed to %j', (eventName, expected) => {
    expect(routed(ecsEvent(eventName))).toEqual(expected);
  });
});

describe('tag rules', () => {
  it('only services whose git repository is a CodeCommit name get the CodeCommit rule', () => {
    const pattern = JSON.stringify(patternFor(config, 'codeCommitTagCreated'));
    const codeCommit = config.services.filter((s) => s.gitRepository && !s.gitRepository.includes('/'));
    for (const service of config.services)
      expect(pattern.includes(`"${service.gitRepository}"`)).toBe(codeCommit.includes(service));
  });

  /** orders-api in CodeCommit, payments-api on GitHub, and billing-api with no git repository at all. */
  const mixed = configWith((services) => {
    const [orders, payments] = services as [RawService, RawService];
    orders.gitRepository = 'orders-api';
    services.push({
      ...payments,
      name: 'billing-api',
      ecrRepository: 'billing-api',
      gitRepository: undefined,
    });
  });
  const codeCommitTag = (repositoryName: string, detail: Record<string, unknown> = {}) => {
    const event = loadEvent('codecommit-tag-created.json');
    return { ...event, detail: { ...event.detail, repositoryName, ...detail } };
  };

  it('the CodeCommit rule lists exactly the CodeCommit repositories: not GitHub ones, not services without one', () => {
    expect(patternFor(mixed, 'codeCommitTagCreated')).toEqual({
      source: ['aws.codecommit'],
      'detail-type': ['CodeCommit Repository State Change'],
      detail: { event: ['referenceCreated'], referenceType: ['tag'], repositoryName: ['orders-api'] },
    });
  });

  it('when no service is in CodeCommit, the CodeCommit rule names a repository that cannot exist', () => {
    const detail = patternFor(config, 'codeCommitTagCreated').detail as { repositoryName: unknown };
    expect(detail.repositoryName).toEqual([NO_CODECOMMIT_REPOSITORY]);
  });

  const cases: [string, unknown, string[]][] = [
    [
      'a tag created in a CodeCommit repository of a service',
      codeCommitTag('orders-api'),
      ['codeCommitTagCreated -> startRelease'],
    ],
    ['a tag created in a CodeCommit repository no service uses', codeCommitTag('payments-api'), []],
    [
      'a tag in CodeCommit named like a GitHub repository of a service',
      codeCommitTag('example-org/payments-api'),
      [],
    ],
    [
      'a branch updated in a CodeCommit repository of a service',
      loadEvent('codecommit-branch-updated.json'),
      [],
    ],
    [
      'a Git Tag Created event on the pipeline bus',
      loadEvent('git-tag-orders-api-v1.4.0.json'),
      ['gitTagCreated -> startRelease'],
    ],
  ];
  it.each(cases.map(([what, event, expected]) => [what, expected, event] as const))(
    'when %s arrives, it is routed to %j',
    (_what, expected, event) => {
      expect(routed(event, mixed)).toEqual(expected);
    },
  );
});

describe('migration task rule', () => {
  const taskEvent = (detail: Record<string, unknown>, over: Record<string, unknown> = {}) => ({
    version: '0',
    source: 'aws.ecs',
    'detail-type': 'ECS Task State Change',
    detail: {
      lastStatus: 'STOPPED',
      startedBy: `${MIGRATION_STARTED_BY_PREFIX}run/staging/eu-west-1/4b825dc642cb/abc/r0`,
      ...detail,
    },
    ...over,
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>, string[]]>([
    ['a stopped task the pipeline started', {}, {}, ['migrationTaskStopped -> settleMigration']],
    ['a task of ours still running', { lastStatus: 'RUNNING' }, {}, []],
    ['a stopped task someone else started', { startedBy: 'ecs-svc/123' }, {}, []],
    ['a stopped task with no startedBy', { startedBy: undefined }, {}, []],
    ['a task event from another source', {}, { source: 'custom.ecs' }, []],
    ['an ECS event of another detail type', {}, { 'detail-type': 'ECS Container Instance State Change' }, []],
  ])('when %s arrives, it is routed to %j', (_what, detail, over, expected) => {
    expect(routed(taskEvent(detail, over))).toEqual(expected);
  });
});

describe('alarm state change rule', () => {
  const alarm = (name: string, state: string, over: Record<string, unknown> = {}) => {
    const event = loadEvent('cloudwatch-alarm-orders-api-ppe-5xx.json');
    const detail = event.detail as { state: Record<string, unknown> };
    return {
      ...event,
      ...over,
      detail: { ...detail, alarmName: name, state: { ...detail.state, value: state } },
    };
  };

  const cases: [string, unknown, string[]][] = [
    [
      'a watched alarm going to ALARM',
      alarm('orders-api-ppe-5xx', 'ALARM'),
      ['alarmStateChange -> settleBake'],
    ],
    ['a watched alarm going back to OK', alarm('orders-api-ppe-5xx', 'OK'), []],
    ['a watched alarm with too little data', alarm('orders-api-ppe-5xx', 'INSUFFICIENT_DATA'), []],
    ['an alarm no bake watches', alarm('billing-api-5xx', 'ALARM'), []],
    ['an alarm event from another source', alarm('orders-api-ppe-5xx', 'ALARM', { source: 'custom.cw' }), []],
    [
      'another CloudWatch event type',
      alarm('orders-api-ppe-5xx', 'ALARM', { 'detail-type': 'CloudWatch Alarm Configuration Change' }),
      [],
    ],
    [
      'an alarm named after a watched prefix going to ALARM',
      alarm('orders-api-ppe-latency-p99', 'ALARM'),
      ['alarmStateChange -> settleBake'],
    ],
    ['an alarm named like a watched prefix cut short', alarm('orders-api-ppe-laten', 'ALARM'), []],
    [
      'an alarm another service watches in another environment',
      alarm('payments-api-prod-5xx', 'ALARM'),
      ['alarmStateChange -> settleBake'],
    ],
    ['a watched name with something after it', alarm('orders-api-ppe-5xx-2', 'ALARM'), []],
  ];
  // The event itself is too long for a test title: the title names it and what it is routed to.
  it.each(cases.map(([what, event, expected]) => [what, expected, event] as const))(
    'when %s arrives, it is routed to %j',
    (_what, expected, event) => {
      expect(routed(event)).toEqual(expected);
    },
  );

  it('the rule lists every watched name once and every watched prefix once, as a prefix', () => {
    const { detail } = patternFor(config, 'alarmStateChange') as {
      detail: { alarmName: unknown[]; state: unknown };
    };
    const names = ['ppe', 'staging', 'prod'].flatMap((env) => [
      `orders-api-${env}-5xx`,
      `payments-api-${env}-5xx`,
    ]);
    const prefixes = ['orders-api-ppe-latency', 'orders-api-prod-latency', 'payments-api-ppe-latency'];
    prefixes.push('payments-api-prod-latency');
    // Names first, then prefixes (the order inside each group does not change what EventBridge matches).
    expect(detail.alarmName.slice(0, names.length)).toEqual(expect.arrayContaining(names));
    expect(detail.alarmName.slice(names.length)).toEqual(
      expect.arrayContaining(prefixes.map((prefix) => ({ prefix }))),
    );
    expect(detail.alarmName).toHaveLength(names.length + prefixes.length);
    expect(detail.state).toEqual({ value: ['ALARM'] });
  });

  describe('when the configuration watches alarms by name only', () => {
    const byName = configWith(watching({ names: ['orders-api-5xx', 'shared-db-cpu'] }));

    it('the rule lists those names, each once, and no prefix', () => {
      expect(patternFor(byName, 'alarmStateChange')).toEqual({
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { alarmName: ['orders-api-5xx', 'shared-db-cpu'], state: { value: ['ALARM'] } },
      });
    });

    it.each<[string, string[]]>([
      ['shared-db-cpu', ['alarmStateChange -> settleBake']],
      ['orders-api-5xx', ['alarmStateChange -> settleBake']],
      ['orders-api-5xx-canary', []],
      ['orders-api-ppe-5xx', []],
    ])('an alarm %s going to ALARM is routed to %j', (name, expected) => {
      expect(routed(alarm(name, 'ALARM'), byName)).toEqual(expected);
    });
  });

  describe('when the configuration watches alarms by prefix only', () => {
    const byPrefix = configWith(watching({ prefixes: ['orders-', 'shared-'] }));

    it('the rule lists each prefix once, as a prefix', () => {
      expect((patternFor(byPrefix, 'alarmStateChange').detail as { alarmName: unknown }).alarmName).toEqual([
        { prefix: 'orders-' },
        { prefix: 'shared-' },
      ]);
    });

    it.each<[string, string[]]>([
      ['orders-anything', ['alarmStateChange -> settleBake']],
      ['shared-', ['alarmStateChange -> settleBake']],
      ['payments-api-ppe-5xx', []],
      ['order-', []],
    ])('an alarm %s going to ALARM is routed to %j', (name, expected) => {
      expect(routed(alarm(name, 'ALARM'), byPrefix)).toEqual(expected);
    });
  });

  describe('when the configuration watches no alarm at all', () => {
    const none = configWith(watching({}));

    it('the rule still exists, with a name pattern EventBridge accepts that no alarm event matches', () => {
      const pattern = patternFor(none, 'alarmStateChange');
      expect(pattern.detail).toEqual({ alarmName: [{ exists: false }], state: { value: ['ALARM'] } });
      expect(() => validateEventPattern(pattern)).not.toThrow();
    });

    it.each(['orders-api-ppe-5xx', 'payments-api-prod-latency-p99', 'x'])(
      'an alarm %s going to ALARM is routed nowhere',
      (name) => {
        expect(routed(alarm(name, 'ALARM'), none)).toEqual([]);
      },
    );
  });
});

describe('every rule', () => {
  it('targets its function and listens on its bus: the pipeline bus only for normalised tag events', () => {
    expect(eventRules(config).map(({ id, target, bus }) => [id, target, bus])).toEqual([
      ['ecrPush', 'startPromotion', 'default'],
      ['ecsDeploymentFinished', 'settleDeployment', 'default'],
      ['migrationTaskStopped', 'settleMigration', 'default'],
      ['alarmStateChange', 'settleBake', 'default'],
      ['gitTagCreated', 'startRelease', 'pipeline'],
      ['codeCommitTagCreated', 'startRelease', 'default'],
    ]);
  });

  it('has a pattern EventBridge accepts, for the sample configuration and for one with nothing to watch', () => {
    const bare = configWith(watching({}));
    for (const rule of [...eventRules(config), ...eventRules(bare)])
      expect(() => validateEventPattern(rule.pattern)).not.toThrow();
  });

  it('says what it matches in a description of its own (the console and the template show it)', () => {
    const descriptions = eventRules(config).map((rule) => rule.description);
    for (const description of descriptions) expect(description.length).toBeGreaterThan(20);
    expect(new Set(descriptions).size).toBe(descriptions.length);
  });
});
