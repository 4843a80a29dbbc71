import { ConfigError } from '../../../shared/config/config-error';
import { parseConfig } from '../../../shared/config/config.loader';
import { kpiPer } from '../../../shared/domain/kpi-judgement';
import { planStages } from '../../../shared/domain/stage';
import { positionOf, sampleConfigText } from '../../support/fixtures';

/** `judgement.kpis`: business KPIs in a stage's traffic judgement, from the config to the stage's plan. */

const FILE = 'pipeline.config.yml';
const PROD = '      prod:\n        bakeMinutes: 30\n';
const TG = 'arn:aws:elasticloadbalancing:REGION:123456789012:targetgroup';
const RULE =
  'arn:aws:elasticloadbalancing:REGION:123456789012:listener-rule/app/orders/50dc6c495c0c9188/f2f7dc8efc522ab2';

/** The sample with orders-api's prod on a canary judged with `kpis` (a YAML flow sequence), wired in every region. */
function canaryWithKpis(kpis: string): string {
  let text = sampleConfigText();
  if (!text.includes(PROD)) throw new Error('the sample must have a prod with bakeMinutes: 30');
  text = text.replace(PROD, `${PROD}        strategy: canary\n        judgement:\n          kpis: ${kpis}\n`);
  for (const region of ['eu-west-1', 'us-east-1', 'ap-southeast-2']) {
    const endpoint = `endpoint: 'https://orders-api.${region}.example.internal',\n`;
    const wiring =
      `loadBalancer: { blueTargetGroupArn: '${TG}/orders-blue/73e2d6bc24d8a067', ` +
      `greenTargetGroupArn: '${TG}/orders-green/2453ed029918f21f', productionListenerRuleArn: '${RULE}/9683b2d02a6cabee', ` +
      `infrastructureRoleArn: 'arn:aws:iam::123456789012:role/ecs-infrastructure-orders' },`;
    text = text.replace(endpoint, `${endpoint}              ${wiring.replaceAll('REGION', region)}\n`);
  }
  return text;
}

function problemsOf(text: string): string[] {
  try {
    parseConfig(text, FILE);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

const CHECKOUTS =
  '{ name: checkout-success, namespace: Orders, metricName: CheckoutSucceeded, statistic: Sum, revisionDimension: Version';

describe('judgement.kpis in pipeline.config.yml', () => {
  it('when a KPI is given, its defaults are filled and every prod stage carries it in its plan', () => {
    // Prepare
    const text = canaryWithKpis(`[${CHECKOUTS}, dimensions: { Service: orders-api } }]`);

    // Act
    const stages = planStages(parseConfig(text, FILE), 'orders-api', 'tag');

    // Assess
    const prod = stages.filter((s) => s.environment === 'prod');
    expect(prod).toHaveLength(3);
    for (const stage of prod)
      expect(stage.traffic?.thresholds.kpis).toEqual([
        {
          name: 'checkout-success',
          namespace: 'Orders',
          metricName: 'CheckoutSucceeded',
          statistic: 'Sum',
          dimensions: { Service: 'orders-api' },
          revisionDimension: 'Version',
          maxDrop: 0.1,
        },
      ]);
  });

  it('when a KPI is an Average, it is compared as it is (per: none by default)', () => {
    const text = canaryWithKpis(
      '[{ name: payment-success, namespace: Orders, metricName: PaymentSucceeded, statistic: Average, revisionDimension: Version, maxDrop: 0.05 }]',
    );
    const prod = parseConfig(text, FILE).services.find((s) => s.name === 'orders-api')!.environments.prod!;
    const [kpi] = prod.judgement?.kpis ?? [];
    expect(kpi).toMatchObject({ statistic: 'Average', maxDrop: 0.05 });
    expect(kpiPer(kpi!)).toBe('none');
  });

  it.each<[string, string, string, string, string]>([
    [
      'the statistic is a percentile',
      `[${CHECKOUTS.replace('Sum', 'p99')} }]`,
      'p99',
      'statistic',
      'services[0].environments.prod.judgement.kpis[0].statistic: statistic must be "Sum" or "SampleCount" (a count of events, per request) or "Average" (a share of 0/1 samples)',
    ],
    [
      'a Sum is compared as it is',
      `[${CHECKOUTS}, per: none }]`,
      'per: none',
      'per',
      "services[0].environments.prod.judgement.kpis[0].per: a Sum grows with green's share of traffic, so it is compared per request: use per: requests, or statistic: Average for a share",
    ],
    [
      'the revision dimension is also a fixed dimension',
      `[${CHECKOUTS}, dimensions: { Version: 1.4.0 } }]`,
      'dimensions: { Version',
      'Version: 1.4.0',
      "services[0].environments.prod.judgement.kpis[0].dimensions.Version: Version is the revision dimension: its value is each side's version, set by the pipeline; remove it from dimensions",
    ],
    [
      'maxDrop is a percentage, not a share',
      `[${CHECKOUTS}, maxDrop: 10 }]`,
      'maxDrop: 10',
      'maxDrop',
      "services[0].environments.prod.judgement.kpis[0].maxDrop: maxDrop must be below 1: a share of blue's value, 0.1 is 10%",
    ],
    [
      'the revision dimension is missing',
      '[{ name: checkout-success, namespace: Orders, metricName: CheckoutSucceeded, statistic: Sum }]',
      'name: checkout-success',
      'name',
      'services[0].environments.prod.judgement.kpis[0].revisionDimension: missing "revisionDimension": it needs a string',
    ],
    [
      'the name has spaces',
      `[${CHECKOUTS.replace('checkout-success', "'checkout success'")} }]`,
      "'checkout success'",
      'checkout success',
      'services[0].environments.prod.judgement.kpis[0].name: name must be 1–40 lower-case letters, digits or dashes, such as checkout-success',
    ],
    [
      'two KPIs have one name',
      `[${CHECKOUTS} }, ${CHECKOUTS}, maxDrop: 0.2 }]`,
      'maxDrop: 0.2',
      'name',
      'services[0].environments.prod.judgement.kpis[1].name: two KPIs are called checkout-success: the cause of a failure names one, so give each its own name',
    ],
  ])('when %s, it names the path, the line and the fix', (_case, kpis, needle, key, problem) => {
    // Prepare
    const text = canaryWithKpis(kpis);

    // Act
    const problems = problemsOf(text);

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${FILE}:\\d+:\\d+: `));
    expect(problems[0]!.replace(/^[^ ]+ /, '')).toBe(problem);
    expect(
      problems[0]!.startsWith(`${positionOf(FILE, text, needle, key).split(':').slice(0, 2).join(':')}:`),
    ).toBe(true);
  });
});
