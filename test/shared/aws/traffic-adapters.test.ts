import { CloudWatchServiceException, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
  ElasticLoadBalancingV2ServiceException,
  ModifyRuleCommand,
  RuleNotFoundException,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  loadBalancerDimension,
  targetGroupDimension,
  TrafficMetricsUnavailable,
  TrafficTargetsInvalid,
} from '../../../shared/aws/traffic-metrics.adapter';
import { ListenerRuleTrafficRouter } from '../../../shared/aws/traffic-router.adapter';
import { AwsTransientError } from '../../../shared/domain/errors';
import type { TrafficTargets } from '../../../shared/ports/traffic';
import { sdkError, unmodelledSdkError } from '../../helpers/sdk-errors';
import { mockedCloudWatchMetrics } from '../../support/cloudwatch-metrics';

const ELB = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012';
const TARGETS: TrafficTargets = {
  region: 'eu-west-1',
  loadBalancer: `${ELB}:loadbalancer/app/orders-prod/50dc6c495c0c9188`,
  listenerRule: `${ELB}:listener-rule/app/orders-prod/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`,
  blueTargetGroup: `${ELB}:targetgroup/orders-blue/73e2d6bc24d8a067`,
  greenTargetGroup: `${ELB}:targetgroup/orders-green/2453ed029918f21f`,
};
const FROM = Date.UTC(2026, 10, 30, 9, 0);
const TEN_MINUTES = { from: FROM, to: FROM + 10 * 60_000 };

describe('CloudWatchTrafficMetrics', () => {
  const { cloudwatch, source, result } = mockedCloudWatchMetrics(FROM);

  it('when asked for a window, it reads each target group of the load balancer over one period covering it', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        result('blue_requests', [22_876]),
        result('blue_errors', [41]),
        result('blue_p95', [0.18]),
        result('green_requests', [1_204]),
        result('green_errors', [2]),
        result('green_p95', [0.412]),
      ],
    });

    // Act
    const sample = await source().sample(TARGETS, { from: FROM, to: FROM + 9.5 * 60_000 });

    // Assess
    expect(sample).toEqual({
      blue: { requests: 22_876, errors: 41, p95Ms: 180 },
      green: { requests: 1_204, errors: 2, p95Ms: 412 },
    });
    const input = cloudwatch.commandCalls(GetMetricDataCommand)[0]!.args[0].input;
    expect(input.StartTime).toEqual(new Date(FROM));
    expect(input.EndTime).toEqual(new Date(FROM + 10 * 60_000));
    expect(input.MetricDataQueries).toHaveLength(6);
    expect(input.MetricDataQueries).toContainEqual({
      Id: 'green_p95',
      MetricStat: {
        Metric: {
          Namespace: 'AWS/ApplicationELB',
          MetricName: 'TargetResponseTime',
          Dimensions: [
            { Name: 'LoadBalancer', Value: 'app/orders-prod/50dc6c495c0c9188' },
            { Name: 'TargetGroup', Value: 'targetgroup/orders-green/2453ed029918f21f' },
          ],
        },
        Period: 600,
        Stat: 'p95',
      },
      ReturnData: true,
    });
    expect(
      input.MetricDataQueries?.map((q) => [q.Id, q.MetricStat?.Metric?.MetricName, q.MetricStat?.Stat]),
    ).toEqual([
      ['blue_requests', 'RequestCount', 'Sum'],
      ['blue_errors', 'HTTPCode_Target_5XX_Count', 'Sum'],
      ['blue_p95', 'TargetResponseTime', 'p95'],
      ['green_requests', 'RequestCount', 'Sum'],
      ['green_errors', 'HTTPCode_Target_5XX_Count', 'Sum'],
      ['green_p95', 'TargetResponseTime', 'p95'],
    ]);
  });

  it('when CloudWatch has no datapoints, it reads 0 requests and 0 errors but no latency (never 0 ms)', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [result('blue_requests', [900]), result('blue_p95', [0.2]), result('green_p95', [])],
    });

    // Act
    const sample = await source().sample(TARGETS, TEN_MINUTES);

    // Assess
    expect(sample).toEqual({
      blue: { requests: 900, errors: 0, p95Ms: 200 },
      green: { requests: 0, errors: 0 },
    });
  });

  it('when the answer comes in pages, it adds them up', async () => {
    // Prepare
    cloudwatch
      .on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [result('green_requests', [500], { StatusCode: 'PartialData' })],
        NextToken: 'more',
      })
      .resolvesOnce({ MetricDataResults: [result('green_requests', [700]), result('green_p95', [0.1])] });

    // Act
    const sample = await source().sample(TARGETS, TEN_MINUTES);

    // Assess
    expect(sample.green).toEqual({ requests: 1_200, errors: 0, p95Ms: 100 });
    expect(cloudwatch.commandCalls(GetMetricDataCommand)[1]!.args[0].input.NextToken).toBe('more');
  });

  it('when a query comes back Forbidden, it refuses to judge on the rest', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        result('green_errors', [], {
          StatusCode: 'Forbidden',
          Messages: [{ Code: 'Forbidden', Value: 'not authorized' }],
        }),
      ],
    });

    // Act
    const reading = source().sample(TARGETS, TEN_MINUTES);

    // Assess
    await expect(reading).rejects.toThrow(TrafficMetricsUnavailable);
    await expect(reading).rejects.toThrow(
      'CloudWatch in eu-west-1 answered Forbidden for green_errors (Forbidden not authorized): the step cannot be judged without it',
    );
  });

  it('when CloudWatch throttles, it raises a transient error the state machine retries', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).rejects(unmodelledSdkError(CloudWatchServiceException, 'Throttling'));

    // Act, Assess
    await expect(source().sample(TARGETS, TEN_MINUTES)).rejects.toThrow(AwsTransientError);
  });

  it.each([
    ['an ALB ARN', () => loadBalancerDimension(TARGETS.loadBalancer), 'app/orders-prod/50dc6c495c0c9188'],
    [
      'a target group ARN',
      () => targetGroupDimension(TARGETS.greenTargetGroup),
      'targetgroup/orders-green/2453ed029918f21f',
    ],
    [
      'a China partition ARN',
      () => targetGroupDimension('arn:aws-cn:elasticloadbalancing:cn-north-1:1:targetgroup/a/b'),
      'targetgroup/a/b',
    ],
  ])('derives the dimension from %s', (_case, derive, dimension) => {
    expect(derive()).toBe(dimension);
  });

  it.each([
    [
      'a network load balancer',
      { loadBalancer: `${ELB}:loadbalancer/net/orders/1` },
      'not an Application Load Balancer',
    ],
    ['a bare name', { blueTargetGroup: 'orders-blue' }, '"orders-blue" is not a target group\'s ARN'],
  ])('refuses %s before calling CloudWatch', async (_case, wrong, message) => {
    // Act, Assess
    await expect(source().sample({ ...TARGETS, ...wrong }, TEN_MINUTES)).rejects.toThrow(
      TrafficTargetsInvalid,
    );
    await expect(source().sample({ ...TARGETS, ...wrong }, TEN_MINUTES)).rejects.toThrow(message);
    expect(cloudwatch.commandCalls(GetMetricDataCommand)).toHaveLength(0);
  });
});

describe('ListenerRuleTrafficRouter', () => {
  const elb = mockClient(ElasticLoadBalancingV2Client);
  beforeEach(() => elb.reset());
  const router = () =>
    new ListenerRuleTrafficRouter({ clients: new ElasticLoadBalancingV2Client({ region: 'eu-west-1' }) });
  const rule = (actions: Rule['Actions'], extra: Partial<Rule> = {}): Rule => ({
    RuleArn: TARGETS.listenerRule,
    Priority: '10',
    IsDefault: false,
    Actions: actions,
    ...extra,
  });

  it('when green gets 5%, it rewrites the forward weights and keeps the other actions and stickiness', async () => {
    // Prepare
    const oidc = {
      Type: 'authenticate-oidc' as const,
      Order: 1,
      AuthenticateOidcConfig: {
        Issuer: 'https://id.example.com',
        AuthorizationEndpoint: 'https://id.example.com/auth',
        TokenEndpoint: 'https://id.example.com/token',
        UserInfoEndpoint: 'https://id.example.com/me',
        ClientId: 'orders',
      },
    };
    const stickiness = { Enabled: true, DurationSeconds: 300 };
    elb.on(DescribeRulesCommand).resolves({
      Rules: [
        rule([
          oidc,
          {
            Type: 'forward',
            Order: 2,
            TargetGroupArn: TARGETS.blueTargetGroup,
            ForwardConfig: {
              TargetGroups: [{ TargetGroupArn: TARGETS.blueTargetGroup, Weight: 1 }],
              TargetGroupStickinessConfig: stickiness,
            },
          },
        ]),
      ],
    });
    elb.on(ModifyRuleCommand).resolves({});

    // Act
    await router().setGreenWeight(TARGETS, 5);

    // Assess
    expect(elb).toHaveReceivedCommandWith(DescribeRulesCommand, { RuleArns: [TARGETS.listenerRule] });
    expect(elb).toHaveReceivedCommandWith(ModifyRuleCommand, {
      RuleArn: TARGETS.listenerRule,
      Actions: [
        {
          ...oidc,
          AuthenticateOidcConfig: { ...oidc.AuthenticateOidcConfig, UseExistingClientSecret: true },
        },
        {
          Type: 'forward',
          Order: 2,
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: TARGETS.blueTargetGroup, Weight: 95 },
              { TargetGroupArn: TARGETS.greenTargetGroup, Weight: 5 },
            ],
            TargetGroupStickinessConfig: stickiness,
          },
        },
      ],
    });
  });

  it.each([
    [-1, 'got -1'],
    [101, 'got 101'],
    [2.5, 'got 2.5'],
  ])('refuses a green share of %s without calling ELB', async (percent, says) => {
    // Act, Assess
    await expect(router().setGreenWeight(TARGETS, percent)).rejects.toThrow(says);
    expect(elb.calls()).toHaveLength(0);
  });

  it.each([
    [
      'the default rule',
      [rule([{ Type: 'forward', TargetGroupArn: TARGETS.blueTargetGroup }], { IsDefault: true })],
      'default rule',
    ],
    [
      'a rule forwarding elsewhere',
      [rule([{ Type: 'forward', TargetGroupArn: `${ELB}:targetgroup/payments/1` }])],
      'which is neither blue',
    ],
    [
      'a rule that redirects',
      [rule([{ Type: 'redirect', RedirectConfig: { StatusCode: 'HTTP_301' } }])],
      'its actions are redirect',
    ],
    ['no rule at all', [], 'does not exist in eu-west-1'],
  ])('refuses %s with what to fix, changing nothing', async (_case, rules, says) => {
    // Prepare
    elb.on(DescribeRulesCommand).resolves({ Rules: rules });

    // Act
    const setting = router().setGreenWeight(TARGETS, 25);

    // Assess
    await expect(setting).rejects.toThrow(TrafficTargetsInvalid);
    await expect(setting).rejects.toThrow(says);
    expect(elb.commandCalls(ModifyRuleCommand)).toHaveLength(0);
  });

  it('when the rule is gone, it says which and where', async () => {
    // Prepare
    elb.on(DescribeRulesCommand).rejects(sdkError(RuleNotFoundException));

    // Act, Assess
    await expect(router().setGreenWeight(TARGETS, 25)).rejects.toThrow(
      `listener rule ${TARGETS.listenerRule} does not exist in eu-west-1`,
    );
  });

  it('when ELB throttles the change, it raises a transient error the state machine retries', async () => {
    // Prepare
    elb
      .on(DescribeRulesCommand)
      .resolves({ Rules: [rule([{ Type: 'forward', TargetGroupArn: TARGETS.blueTargetGroup }])] });
    elb
      .on(ModifyRuleCommand)
      .rejects(unmodelledSdkError(ElasticLoadBalancingV2ServiceException, 'Throttling'));

    // Act, Assess
    await expect(router().setGreenWeight(TARGETS, 25)).rejects.toThrow(AwsTransientError);
  });
});
