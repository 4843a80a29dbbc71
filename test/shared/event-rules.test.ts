import { eventRules, patternFor } from '../../shared/event-rules';
import { matchesEventPattern } from '../../local-runtime/event-pattern';
import { loadEvent, sampleConfig } from '../support/fixtures';
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

/** The rules whose pattern matches the event, as EventBridge would route it. */
function routed(event: unknown): string[] {
  return eventRules(config)
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

  it.each<[string, unknown, string[]]>([
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
  ])('when %s arrives, it is routed to %j', (_what, event, expected) => {
    expect(routed(event)).toEqual(expected);
  });
});

describe('every rule', () => {
  it('says what it matches in a description of its own (the console and the template show it)', () => {
    const descriptions = eventRules(config).map((rule) => rule.description);
    for (const description of descriptions) expect(description.length).toBeGreaterThan(20);
    expect(new Set(descriptions).size).toBe(descriptions.length);
  });
});
