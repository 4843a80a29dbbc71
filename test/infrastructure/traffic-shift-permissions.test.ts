/**
 * The traffic shift on AWS, as the template grants it: the shift-traffic hook may rewrite only the listener
 * rules of stages that shift traffic, ECS may invoke only that function with the role the template makes
 * for it, and the deploy and rollback functions may pass only that role and the configured infrastructure
 * roles, and only to ECS. Packaged from the sample config with orders-api's production as a canary.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../shared/config/config.loader';
import { trafficShiftPolicyScope } from '../../shared/config/traffic-shift-policy';
import {
  actionsOf,
  asArray,
  functionLogicalId,
  loadPackagedTemplate,
  packageTemplates,
  policyStatementsOf,
  readTemplate,
  statementsOfFunction,
  type PolicyStatement,
  type Template,
} from '../support/packaged-template';

const ROOT = join(__dirname, '..', '..');
const SAMPLE = readFileSync(join(ROOT, 'pipeline.config.yml'), 'utf8');
const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-2'];
const ELB = (region: string) => `arn:aws:elasticloadbalancing:${region}:123456789012`;
const RULE = (region: string, id = '9683b2d02a6cabee') =>
  `${ELB(region)}:listener-rule/app/orders/50dc6c495c0c9188/f2f7dc8efc522ab2/${id}`;
const TEST_RULE = RULE('eu-west-1', '1111111111111111');
const INFRASTRUCTURE_ROLE = 'arn:aws:iam::123456789012:role/ecs-infrastructure-orders';
const INVOKE_ROLE = { 'Fn::GetAtt': ['TrafficShiftHookInvokeRole', 'Arn'] };
const HOOK_FUNCTION = { 'Fn::GetAtt': [functionLogicalId('shiftTraffic'), 'Arn'] };

/** The sample config with orders-api's production as a canary, wired to a load balancer in each region. */
function canaryConfig(): string {
  let yaml = SAMPLE.replace(
    /( {2}- name: orders-api[\s\S]*?\n {6}prod:\n)( {8}bakeMinutes: 30\n)/,
    '$1        strategy: canary\n$2',
  );
  for (const region of REGIONS) {
    const endpoint = `endpoint: 'https://orders-api.${region}.example.internal',`;
    const wiring = [
      `blueTargetGroupArn: '${ELB(region)}:targetgroup/orders-a/73e2d6bc24d8a067'`,
      `greenTargetGroupArn: '${ELB(region)}:targetgroup/orders-b/2453ed029918f21f'`,
      `productionListenerRuleArn: '${RULE(region)}'`,
      ...(region === 'eu-west-1' ? [`testListenerRuleArn: '${TEST_RULE}'`] : []),
      `infrastructureRoleArn: '${INFRASTRUCTURE_ROLE}'`,
    ];
    if (!yaml.includes(endpoint)) throw new Error(`the sample config changed: no ${endpoint}`);
    yaml = yaml.replace(endpoint, `${endpoint}\n              loadBalancer: { ${wiring.join(', ')} },`);
  }
  return yaml;
}

function grantsOf(statements: PolicyStatement[], action: string): PolicyStatement[] {
  return statements.filter((s) => s.Effect === 'Allow' && actionsOf(s).includes(action));
}

describe('the traffic shift scope of a config (shared/config/traffic-shift-policy.ts)', () => {
  it('when stages shift traffic, it lists their production and test listener rules and their roles', () => {
    // Act
    const scope = trafficShiftPolicyScope(parseConfig(canaryConfig(), 'pipeline.config.yml'));

    // Assess
    expect(scope).toEqual({
      listenerRules: [...REGIONS.map((r) => RULE(r)), TEST_RULE].sort(),
      infrastructureRoles: [INFRASTRUCTURE_ROLE],
    });
  });

  it('when every stage rolls, it names a rule and a role that match nothing (IAM has no empty list)', () => {
    // Act
    const scope = trafficShiftPolicyScope(parseConfig(SAMPLE, 'pipeline.config.yml'));

    // Assess
    expect(JSON.stringify(scope.listenerRules)).toMatch(/listener-rule\/app\/no-stage-shifts-traffic\//);
    expect(JSON.stringify(scope.infrastructureRoles)).toMatch(/role\/no-ecs-infrastructure-roles-configured/);
  });
});

describe('the packaged template of a config with a canary', () => {
  let template: Template;

  beforeAll(async () => {
    const configFile = join(mkdtempSync(join(tmpdir(), 'traffic-shift-')), 'pipeline.config.yml');
    writeFileSync(configFile, canaryConfig());
    const [file] = await packageTemplates([
      { stage: 'dev', region: 'eu-west-1', configFile, label: 'traffic-shift' },
    ]);
    template = readTemplate(file!);
  }, 600_000);

  it('when the hook shifts traffic, it may modify only the configured listener rules', () => {
    // Act
    const statements = statementsOfFunction(template, 'shiftTraffic');

    // Assess
    const modify = grantsOf(statements, 'elasticloadbalancing:ModifyRule');
    expect(modify).toHaveLength(1);
    expect(actionsOf(modify[0]!)).toEqual(['elasticloadbalancing:ModifyRule']);
    expect(asArray(modify[0]!.Resource)).toEqual([...REGIONS.map((r) => RULE(r)), TEST_RULE].sort());
    expect(grantsOf(statements, 'dynamodb:PutItem')[0]!.Resource).toEqual({
      'Fn::GetAtt': ['PipelineTable', 'Arn'],
    });
  });

  it("when the hook runs blue-green's test checks one after the other, it has the smoke checks' five minutes", () => {
    // Act
    const fn = template.Resources[functionLogicalId('shiftTraffic')]!;

    // Assess
    expect(fn.Properties!.Timeout).toBe(300);
  });

  it('when ECS invokes the hook, it assumes a role of its own that can invoke that one function only', () => {
    // Prepare
    const role = template.Resources.TrafficShiftHookInvokeRole!;
    const trust = (role.Properties!.AssumeRolePolicyDocument as { Statement: PolicyStatement[] }).Statement;

    // Act
    const statements = policyStatementsOf(role);

    // Assess
    expect(role.Type).toBe('AWS::IAM::Role');
    expect(trust).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'ecs.amazonaws.com' },
        Action: 'sts:AssumeRole',
      }),
    ]);
    expect(statements).toEqual([
      { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: HOOK_FUNCTION },
    ]);
  });

  it.each(['deployService', 'rollBackService'])(
    'when %s updates a service as blue/green, it may pass only the hook role and the infrastructure roles, to ECS',
    (name) => {
      // Act
      const passes = grantsOf(statementsOfFunction(template, name), 'iam:PassRole');
      const toEcs = passes.filter((s) => JSON.stringify(s.Condition).includes('"ecs.amazonaws.com"'));
      const fn = template.Resources[functionLogicalId(name)]!;
      const env = (fn.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;

      // Assess
      expect(toEcs).toHaveLength(1);
      expect(toEcs[0]!.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs.amazonaws.com' } });
      expect(asArray(toEcs[0]!.Resource)).toEqual([INVOKE_ROLE, INFRASTRUCTURE_ROLE]);
      expect(env.TRAFFIC_SHIFT_HOOK_FUNCTION_ARN).toEqual(HOOK_FUNCTION);
      expect(env.TRAFFIC_SHIFT_HOOK_ROLE_ARN).toEqual(INVOKE_ROLE);
    },
  );

  it('when a shifting stage rolls back while blue runs, the rollback may stop ECS service deployments only', () => {
    // Act
    const stop = grantsOf(statementsOfFunction(template, 'rollBackService'), 'ecs:StopServiceDeployment');

    // Assess
    expect(stop).toHaveLength(1);
    expect(stop[0]!.Resource).toEqual({
      'Fn::Sub': 'arn:aws:ecs:*:${AWS::AccountId}:service-deployment/*',
    });
  });
});

describe('the packaged sample template (every stage rolls)', () => {
  it('when no stage shifts traffic, the hook may modify no real listener rule', () => {
    // Act
    const modify = grantsOf(
      statementsOfFunction(loadPackagedTemplate(), 'shiftTraffic'),
      'elasticloadbalancing:ModifyRule',
    );

    // Assess
    expect(JSON.stringify(modify[0]!.Resource)).toMatch(/no-stage-shifts-traffic/);
  });
});
