import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CloudWatchTrafficMetrics } from '../../shared/aws/traffic-metrics.adapter';
import { ListenerRuleTrafficRouter } from '../../shared/aws/traffic-router.adapter';
import type { TrafficTargets } from '../../shared/ports/traffic';
import { startMotoServer, type MotoServer } from '../support/moto-server';

/**
 * The traffic adapters against moto: the router's DescribeRules and ModifyRule on a real (emulated) load
 * balancer, listener and weighted rule, and the metrics source's GetMetricData over per-target-group
 * metrics. The load balancer needs subnets, built with two EC2 query calls over plain HTTP (the repo has no
 * EC2 client). One gap (docs/aws-conformance.md): moto computes no percentile statistics, so `p95` comes back
 * without datapoints there and the p95 read stays covered by test/shared/aws/traffic-adapters.test.ts.
 */
const REGION = 'eu-west-1';

let moto: MotoServer;
let elb: ElasticLoadBalancingV2Client;
let cloudwatch: CloudWatchClient;
let targets: TrafficTargets;
let defaultRule: string;

/** An EC2 query-protocol call to moto; returns the first `<tag>` of the answer. */
async function ec2(params: Record<string, string>, tag: string): Promise<string> {
  const response = await fetch(moto.endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20261130/${REGION}/ec2/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: new URLSearchParams({ Version: '2016-11-15', ...params }).toString(),
  });
  const body = await response.text();
  const value = new RegExp(`<${tag}>([^<]+)</${tag}>`).exec(body)?.[1];
  if (!response.ok || !value) throw new Error(`EC2 ${params.Action} answered ${response.status}: ${body}`);
  return value;
}

beforeAll(async () => {
  moto = await startMotoServer();
  elb = new ElasticLoadBalancingV2Client(moto.clientConfig(REGION));
  cloudwatch = new CloudWatchClient(moto.clientConfig(REGION));
  const vpc = await ec2({ Action: 'CreateVpc', CidrBlock: '10.0.0.0/16' }, 'vpcId');
  const subnets = [
    await ec2(
      { Action: 'CreateSubnet', VpcId: vpc, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'eu-west-1a' },
      'subnetId',
    ),
    await ec2(
      { Action: 'CreateSubnet', VpcId: vpc, CidrBlock: '10.0.2.0/24', AvailabilityZone: 'eu-west-1b' },
      'subnetId',
    ),
  ];
  const lb = await elb.send(new CreateLoadBalancerCommand({ Name: 'orders-prod', Subnets: subnets }));
  const group = async (name: string) =>
    (
      await elb.send(
        new CreateTargetGroupCommand({
          Name: name,
          Protocol: 'HTTP',
          Port: 8080,
          VpcId: vpc,
          TargetType: 'ip',
        }),
      )
    ).TargetGroups![0]!.TargetGroupArn!;
  const [blue, green] = [await group('orders-blue'), await group('orders-green')];
  const listener = await elb.send(
    new CreateListenerCommand({
      LoadBalancerArn: lb.LoadBalancers![0]!.LoadBalancerArn!,
      Protocol: 'HTTP',
      Port: 80,
      DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }],
    }),
  );
  const listenerArn = listener.Listeners![0]!.ListenerArn!;
  const rule = await elb.send(
    new CreateRuleCommand({
      ListenerArn: listenerArn,
      Priority: 10,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/orders*'] } }],
      Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: blue, Weight: 1 }] } }],
    }),
  );
  const rules = await elb.send(new DescribeRulesCommand({ ListenerArn: listenerArn }));
  defaultRule = rules.Rules!.find((r) => r.IsDefault)!.RuleArn!;
  targets = {
    region: REGION,
    loadBalancer: lb.LoadBalancers![0]!.LoadBalancerArn!,
    listenerRule: rule.Rules![0]!.RuleArn!,
    blueTargetGroup: blue,
    greenTargetGroup: green,
  };
}, 90_000);
afterAll(() => moto?.stop());

async function forwardWeights(rule: string): Promise<[string | undefined, number | undefined][]> {
  const described = await elb.send(new DescribeRulesCommand({ RuleArns: [rule] }));
  const forward = described.Rules![0]!.Actions!.find((a) => a.Type === 'forward')!;
  return (forward.ForwardConfig?.TargetGroups ?? []).map((g) => [g.TargetGroupArn, g.Weight]);
}

describe('ListenerRuleTrafficRouter against moto', () => {
  it('when the steps move green from 5% to 100% and back to 0, the rule forwards with those weights', async () => {
    // Prepare
    const router = new ListenerRuleTrafficRouter({
      clients: moto.adapterClient('traffic-router.adapter', ElasticLoadBalancingV2Client, REGION),
    });

    // Act, Assess
    for (const green of [5, 25, 100, 0]) {
      await router.setGreenWeight(targets, green);
      expect(await forwardWeights(targets.listenerRule)).toEqual([
        [targets.blueTargetGroup, 100 - green],
        [targets.greenTargetGroup, green],
      ]);
    }
  });

  it("when pointed at the listener's default rule, it refuses and leaves it alone", async () => {
    // Prepare
    const router = new ListenerRuleTrafficRouter({
      clients: moto.adapterClient('traffic-router.adapter', ElasticLoadBalancingV2Client, REGION),
    });

    // Act, Assess
    await expect(router.setGreenWeight({ ...targets, listenerRule: defaultRule }, 5)).rejects.toThrow(
      "is a listener's default rule",
    );
  });

  it('when the rule does not exist, it says so', async () => {
    // Prepare
    const router = new ListenerRuleTrafficRouter({
      clients: moto.adapterClient('traffic-router.adapter', ElasticLoadBalancingV2Client, REGION),
    });
    const missing = targets.listenerRule.replace(/\/[0-9a-f]+$/, '/0000000000000000');

    // Act, Assess
    await expect(router.setGreenWeight({ ...targets, listenerRule: missing }, 5)).rejects.toThrow(
      `listener rule ${missing} does not exist in ${REGION}`,
    );
  });
});

describe('CloudWatchTrafficMetrics against moto', () => {
  it('when the load balancer published per-target-group counts, it sums them per side over the window', async () => {
    // Prepare
    const from = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
    const dimensions = (group: string) => [
      { Name: 'LoadBalancer', Value: targets.loadBalancer.split(':loadbalancer/')[1]! },
      { Name: 'TargetGroup', Value: group.split(':').at(-1)! },
    ];
    const put = (group: string, metric: string, minute: number, value: number) =>
      cloudwatch.send(
        new PutMetricDataCommand({
          Namespace: 'AWS/ApplicationELB',
          MetricData: [
            {
              MetricName: metric,
              Dimensions: dimensions(group),
              Timestamp: new Date(from + minute * 60_000 + 1_000),
              Value: value,
              Unit: 'Count',
            },
          ],
        }),
      );
    for (let minute = 0; minute < 10; minute++) {
      await put(targets.blueTargetGroup, 'RequestCount', minute, 2_000);
      await put(targets.greenTargetGroup, 'RequestCount', minute, 120);
      await put(targets.blueTargetGroup, 'HTTPCode_Target_5XX_Count', minute, 4);
    }
    await put(targets.greenTargetGroup, 'HTTPCode_Target_5XX_Count', 3, 9);
    // Outside the window: not counted.
    await put(targets.greenTargetGroup, 'RequestCount', 11, 5_000);
    const source = new CloudWatchTrafficMetrics({
      clients: moto.adapterClient('traffic-metrics.adapter', CloudWatchClient, REGION),
    });

    // Act
    const sample = await source.sample(targets, { from, to: from + 10 * 60_000 });

    // Assess
    expect(sample).toEqual({
      blue: { requests: 20_000, errors: 40 },
      green: { requests: 1_200, errors: 9 },
    });
  });
});
