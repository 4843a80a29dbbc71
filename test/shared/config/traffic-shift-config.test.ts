import { parseConfig } from '../../../shared/config/config.loader';
import { planStages } from '../../../shared/domain/stage';
import { positionOf, sampleConfigText } from '../../support/fixtures';
import { configProblemsOf } from '../../support/config-errors';

const FILE = 'pipeline.config.yml';

const PROD = '      prod:\n        bakeMinutes: 30\n';
const TG = 'arn:aws:elasticloadbalancing:REGION:123456789012:targetgroup';
const RULE =
  'arn:aws:elasticloadbalancing:REGION:123456789012:listener-rule/app/orders/50dc6c495c0c9188/f2f7dc8efc522ab2';

/** orders-api's prod wiring in one region, as a flow mapping inside that region's target. */
function wiring(region: string, overrides: Record<string, string> = {}): string {
  const fields = {
    blueTargetGroupArn: `${TG}/orders-blue/73e2d6bc24d8a067`.replace('REGION', region),
    greenTargetGroupArn: `${TG}/orders-green/2453ed029918f21f`.replace('REGION', region),
    productionListenerRuleArn: `${RULE}/9683b2d02a6cabee`.replace('REGION', region),
    infrastructureRoleArn: 'arn:aws:iam::123456789012:role/ecs-infrastructure-orders',
    ...overrides,
  };
  const body = Object.entries(fields)
    .map(([k, v]) => `${k}: '${v}'`)
    .join(', ');
  return `loadBalancer: { ${body} },`;
}

/**
 * The sample with orders-api's prod given `lines` (indented as its fields) and load balancer wiring in the
 * regions listed (all three by default).
 */
function ordersProd(
  lines: string,
  regions: Record<string, Record<string, string>> = {
    'eu-west-1': {},
    'us-east-1': {},
    'ap-southeast-2': {},
  },
): string {
  let text = sampleConfigText();
  if (!text.includes(PROD)) throw new Error('the sample must have a prod with bakeMinutes: 30');
  text = text.replace(PROD, `${PROD}${lines}`);
  for (const [region, overrides] of Object.entries(regions)) {
    const endpoint = `endpoint: 'https://orders-api.${region}.example.internal',\n`;
    text = text.replace(endpoint, `${endpoint}              ${wiring(region, overrides)}\n`);
  }
  return text;
}

function problemsOf(text: string): string[] {
  return configProblemsOf(text, FILE);
}

const CANARY = '        strategy: canary\n';

describe('deployment strategies in the config', () => {
  it('when a config says nothing of strategies, every service environment deploys rolling', () => {
    // Act
    const config = parseConfig(sampleConfigText(), FILE);

    // Assess
    const strategies = config.services.flatMap((s) => Object.values(s.environments).map((e) => e.strategy));
    expect(new Set(strategies)).toEqual(new Set(['rolling']));
    expect(config.services[0]!.environments['prod']!.regions['eu-west-1']!.loadBalancer).toBeUndefined();
  });

  it('when prod is a canary with its wiring, the defaults fill the schedule and the thresholds', () => {
    // Act
    const config = parseConfig(ordersProd(CANARY), FILE);

    // Assess
    const prod = config.services[0]!.environments['prod']!;
    expect(prod.strategy).toBe('canary');
    expect(prod.keepBlueMinutes).toBe(15);
    expect(prod.regions['us-east-1']!.loadBalancer?.productionListenerRuleArn).toContain(':us-east-1:');
  });

  it('when canary steps and per-step pauses are given, they are kept as written', () => {
    // Act
    const config = parseConfig(
      ordersProd(
        `${CANARY}        canary: { steps: [1, 10, 100], pauseMinutes: [2, 20] }\n        judgement: { minRequests: 500, maxExtensions: 2 }\n`,
      ),
      FILE,
    );

    // Assess
    const prod = config.services[0]!.environments['prod']!;
    expect(prod.canary).toEqual({ steps: [1, 10, 100], pauseMinutes: [2, 20] });
    expect(prod.judgement).toEqual({
      maxErrorRate: 0.05,
      maxP95Ratio: 2,
      minRequests: 500,
      maxExtensions: 2,
    });
  });

  it('when prod is a canary, its stages carry the plan and the wiring, and the other stages roll', () => {
    // Prepare
    const config = parseConfig(
      ordersProd(`${CANARY}        canary: { steps: [5, 25, 100], pauseMinutes: 4 }\n`),
      FILE,
    );

    // Act
    const stages = planStages(config, 'orders-api', 'tag');

    // Assess
    expect(stages.map((s) => [s.environment, s.region, s.traffic?.strategy ?? 'rolling'])).toEqual([
      ['staging', 'eu-west-1', 'rolling'],
      ['prod', 'eu-west-1', 'canary'],
      ['prod', 'us-east-1', 'canary'],
      ['prod', 'ap-southeast-2', 'canary'],
    ]);
    const traffic = stages[2]!.traffic!;
    expect(traffic.steps).toEqual([
      { percent: 5, windowMs: 240_000 },
      { percent: 25, windowMs: 240_000 },
    ]);
    expect(traffic.loadBalancer.loadBalancerArn).toBe(
      'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/orders/50dc6c495c0c9188',
    );
    expect(stages[2]).not.toHaveProperty('loadBalancer');
  });

  it('when prod is blue-green with test checks, its stages carry them (as GETs) with the test listener', () => {
    // Prepare
    const testWiring = (region: string) => ({
      testListenerRuleArn: `${RULE}/1111b2d02a6cabee`.replace('REGION', region),
      testEndpoint: `https://orders-test.${region}.example.internal:8443`,
    });
    const config = parseConfig(
      ordersProd(
        '        strategy: blue-green\n' +
          '        blueGreen: { testChecks: [{ name: health, path: /health }, { name: orders, path: /orders, bodyContains: items, timeoutMs: 2000 }] }\n',
        {
          'eu-west-1': testWiring('eu-west-1'),
          'us-east-1': testWiring('us-east-1'),
          'ap-southeast-2': testWiring('ap-southeast-2'),
        },
      ),
      FILE,
    );

    // Act
    const stages = planStages(config, 'orders-api', 'tag');

    // Assess
    const traffic = stages.find((s) => s.region === 'us-east-1' && s.environment === 'prod')!.traffic!;
    expect(traffic.steps).toEqual([]);
    expect(traffic.testChecks).toEqual([
      {
        name: 'health',
        path: '/health',
        method: 'GET',
        expectStatus: 200,
        maxLatencyMs: 2000,
        timeoutMs: 5000,
      },
      {
        name: 'orders',
        path: '/orders',
        method: 'GET',
        expectStatus: 200,
        bodyContains: 'items',
        maxLatencyMs: 2000,
        timeoutMs: 2000,
      },
    ]);
    expect(traffic.loadBalancer.testEndpoint).toBe('https://orders-test.us-east-1.example.internal:8443');
    expect(stages.find((s) => s.environment === 'staging')!.traffic).toBeUndefined();
  });

  it("when prod shifts traffic, its stages wait for ECS through the whole shift and blue's bake, the rolling stages as configured", () => {
    // Prepare: the default canary (5, 25, 50 for 10 minutes each, each extensible 3 times), blue kept 20
    // minutes, 45 minutes for ECS to start green (the sample's prod).
    const config = parseConfig(ordersProd(`${CANARY}        keepBlueMinutes: 20\n`), FILE);

    // Act
    const stages = planStages(config, 'orders-api', 'tag');

    // Assess: 45 + (3 steps × 10 min × 4 windows + 15 of the hook's margin) + 20 minutes
    expect(stages.map((s) => [s.environment, s.region, s.deploymentTimeoutSeconds])).toEqual([
      ['staging', 'eu-west-1', 30 * 60],
      ['prod', 'eu-west-1', (45 + 120 + 15 + 20) * 60],
      ['prod', 'us-east-1', (45 + 120 + 15 + 20) * 60],
      ['prod', 'ap-southeast-2', (45 + 120 + 15 + 20) * 60],
    ]);
  });

  it.each<[string, string, string, string, string]>([
    [
      'the strategy is misspelt',
      '        strategy: canery\n',
      'canery',
      'strategy',
      'services[0].environments.prod.strategy: strategy must be "rolling" (the default), "blue-green", "canary" or "linear"',
    ],
    [
      'the canary steps do not end at 100',
      `${CANARY}        canary: { steps: [5, 25, 50] }\n`,
      'steps: [5, 25, 50]',
      '50]',
      'services[0].environments.prod.canary.steps[2]: the last step must be 100 (all traffic on green)',
    ],
    [
      'the canary steps go down',
      `${CANARY}        canary: { steps: [25, 5, 100] }\n`,
      'steps: [25, 5, 100]',
      '5, 100',
      'services[0].environments.prod.canary.steps[1]: steps must rise: 5 comes after 25',
    ],
    [
      'a step is a fraction',
      `${CANARY}        canary: { steps: [2.5, 100] }\n`,
      'steps: [2.5, 100]',
      '2.5',
      'services[0].environments.prod.canary.steps[0]: percentages are whole numbers',
    ],
    [
      'there are pauses for each step including 100',
      `${CANARY}        canary: { steps: [5, 50, 100], pauseMinutes: [5, 5, 5] }\n`,
      'pauseMinutes: [5, 5, 5]',
      'pauseMinutes',
      'services[0].environments.prod.canary.pauseMinutes: give one pause per step before 100 (2 for [5, 50, 100]), not 3; or one number for all of them',
    ],
    [
      'canary settings come with the linear strategy',
      '        strategy: linear\n        canary: { steps: [5, 100] }\n',
      'canary: { steps',
      'canary',
      'services[0].environments.prod.canary: canary settings apply to strategy "canary", but the strategy here is "linear": set strategy: canary or remove them',
    ],
    [
      'a linear step is all traffic at once',
      '        strategy: linear\n        linear: { stepPercent: 100 }\n',
      'stepPercent: 100',
      'stepPercent',
      'services[0].environments.prod.linear.stepPercent: stepPercent must be below 100 (100 at once is blue-green)',
    ],
    [
      'a rolling environment has judgement thresholds',
      '        judgement: { maxP95Ratio: 3 }\n',
      'judgement: {',
      'judgement',
      'services[0].environments.prod.judgement: judgement applies to blue-green, canary and linear; a rolling update shifts no traffic to judge',
    ],
    [
      'the minimum sample is zero (no data would pass)',
      `${CANARY}        judgement: { minRequests: 0 }\n`,
      'minRequests: 0',
      'minRequests',
      'services[0].environments.prod.judgement.minRequests: minRequests must be at least 1: no data never passes a step',
    ],
  ])('when %s, it names the path, the line and the fix', (_case, lines, needle, key, problem) => {
    // Prepare
    const text = ordersProd(lines);

    // Act
    const problems = problemsOf(text);

    // Assess
    expect(problems).toEqual([`${positionOf(FILE, text, needle, key)}: ${problem}`]);
  });

  it('when a region of a canary has no load balancer wiring, it names that region', () => {
    // Prepare
    const text = ordersProd(CANARY, { 'eu-west-1': {}, 'ap-southeast-2': {} });

    // Act
    const problems = problemsOf(text);

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^pipeline\.config\.yml:\d+:\d+: services\[0\]\.environments\.prod\.regions\.us-east-1: strategy "canary" shifts traffic through a load balancer: add loadBalancer \(/,
    );
  });

  it('when the listener rule is not a rule ARN, or blue and green are one target group, it says which', () => {
    // Prepare
    const text = ordersProd(CANARY, {
      'eu-west-1': {
        productionListenerRuleArn:
          'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/orders/50dc6c495c0c9188/f2f7dc8efc522ab2',
      },
      'us-east-1': {
        greenTargetGroupArn: `${TG}/orders-blue/73e2d6bc24d8a067`.replace('REGION', 'us-east-1'),
      },
      'ap-southeast-2': {},
    });

    // Act
    const problems = problemsOf(text);

    // Assess
    expect(problems.map((p) => p.replace(/^[^ ]+ /, ''))).toEqual([
      'services[0].environments.prod.regions.eu-west-1.loadBalancer.productionListenerRuleArn: productionListenerRuleArn must be an Application Load Balancer listener rule ARN such as arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/orders/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee',
      'services[0].environments.prod.regions.us-east-1.loadBalancer.greenTargetGroupArn: blue and green must be two different target groups',
    ]);
  });

  it('when two stages share a target group or listener rule, it names the second and who has it', () => {
    // Prepare: staging eu-west-1 wired to prod eu-west-1's green target group and listener rule.
    const shared = {
      blueTargetGroupArn: `${TG}/orders-staging/0000ed029918f21f`.replace('REGION', 'eu-west-1'),
    };
    const staging = "endpoint: 'https://orders-api.staging.eu-west-1.example.internal',\n";
    const text = ordersProd(CANARY).replace(
      staging,
      `${staging}              ${wiring('eu-west-1', shared)}\n`,
    );
    const green = `${TG}/orders-green/2453ed029918f21f`.replace('REGION', 'eu-west-1');
    const rule = `${RULE}/9683b2d02a6cabee`.replace('REGION', 'eu-west-1');

    // Act
    const problems = problemsOf(text);

    // Assess
    const fix =
      "each service environment region needs target groups and a production listener rule of its own, or one deployment's traffic shift moves the other's traffic";
    expect(problems.map((p) => p.replace(/^[^ ]+ /, ''))).toEqual([
      `services[0].environments.prod.regions.eu-west-1.loadBalancer.greenTargetGroupArn: ${green} is already wired to orders-api staging/eu-west-1: ${fix}`,
      `services[0].environments.prod.regions.eu-west-1.loadBalancer.productionListenerRuleArn: ${rule} is already wired to orders-api staging/eu-west-1: ${fix}`,
    ]);
    expect(problems[0]).toMatch(/^pipeline\.config\.yml:\d+:\d+: /);
  });

  it('when blue-green has test checks but a region no test listener, it asks for one', () => {
    // Prepare
    const text = ordersProd(
      '        strategy: blue-green\n        blueGreen: { testChecks: [{ name: health, path: /health }] }\n',
      {
        'eu-west-1': {
          testListenerRuleArn: `${RULE}/1111b2d02a6cabee`.replace('REGION', 'eu-west-1'),
          testEndpoint: 'https://orders-test.eu-west-1.example.internal:8443',
        },
        'us-east-1': {},
        'ap-southeast-2': {
          testListenerRuleArn: `${RULE}/1111b2d02a6cabee`.replace('REGION', 'ap-southeast-2'),
          testEndpoint: 'https://orders-test.ap-southeast-2.example.internal:8443',
        },
      },
    );

    // Act
    const problems = problemsOf(text);

    // Assess
    expect(problems.map((p) => p.replace(/^[^ ]+ /, ''))).toEqual([
      'services[0].environments.prod.regions.us-east-1.loadBalancer: blueGreen.testChecks reach green through the test listener: add testListenerRuleArn and testEndpoint for us-east-1',
    ]);
  });
});
