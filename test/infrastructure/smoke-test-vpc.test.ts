/**
 * Private endpoints: the smoke-test function can run in a VPC, per region the pipeline may be deployed to
 * (`smokeTestVpc` of pipeline.config.yml). A Lambda function can only be placed in a VPC of its own
 * region, so the template takes the entry of the region it is packaged for.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../shared/config/config.loader';
import {
  actionsOf,
  functionLogicalId,
  packageTemplates,
  policyStatementsOf,
  readTemplate,
  roleOf,
  type Template,
} from '../support/packaged-template';

/** The statements of the traffic shift hook's role that invoke a Lambda function. */
const hookInvokes = (template: Template) =>
  policyStatementsOf(roleOf(template, 'shiftTraffic')).filter((s) =>
    actionsOf(s).some((a) => a.startsWith('lambda:')),
  );
const hookEnvironment = (template: Template) =>
  (
    template.Resources[functionLogicalId('shiftTraffic')]!.Properties!.Environment as {
      Variables: Record<string, unknown>;
    }
  ).Variables;
import { configErrorThrownBy } from '../support/config-errors';

const ROOT = join(__dirname, '..', '..');
const SAMPLE = readFileSync(join(ROOT, 'pipeline.config.yml'), 'utf8');
const PLACEMENTS = `
smokeTestVpc:
  eu-west-1:
    subnetIds: [subnet-0a1b2c3d4e5f60718, subnet-0a1b2c3d4e5f60719]
    securityGroupIds: [sg-0a1b2c3d4e5f60710]
  us-east-1:
    subnetIds: [subnet-11112222]
    securityGroupIds: [sg-33334444, sg-0123456789abcdef0]
`;

function configError(yaml: string): string {
  return configErrorThrownBy(() => parseConfig(SAMPLE + yaml, 'pipeline.config.yml')).message;
}

describe('smokeTestVpc in pipeline.config.yml', () => {
  test('when it gives subnets and security groups per region, the config loads with them', () => {
    const config = parseConfig(SAMPLE + PLACEMENTS, 'pipeline.config.yml');
    expect(config.smokeTestVpc?.['us-east-1']).toEqual({
      subnetIds: ['subnet-11112222'],
      securityGroupIds: ['sg-33334444', 'sg-0123456789abcdef0'],
    });
  });

  test.each([
    [
      'a key that is no region',
      'smokeTestVpc:\n  europe:\n    subnetIds: [subnet-11112222]\n    securityGroupIds: [sg-33334444]\n',
      'is not an AWS region code such as eu-west-1 (smokeTestVpc is keyed by region)',
    ],
    [
      'a subnet id that is no subnet id',
      'smokeTestVpc:\n  eu-west-1:\n    subnetIds: [vpc-11112222]\n    securityGroupIds: [sg-33334444]\n',
      'smokeTestVpc.eu-west-1.subnetIds[0]',
    ],
    [
      'no security group',
      'smokeTestVpc:\n  eu-west-1:\n    subnetIds: [subnet-11112222]\n    securityGroupIds: []\n',
      'list at least one security group',
    ],
    [
      'a repeated subnet',
      'smokeTestVpc:\n  eu-west-1:\n    subnetIds: [subnet-11112222, subnet-11112222]\n    securityGroupIds: [sg-33334444]\n',
      'subnetIds must not repeat',
    ],
    [
      'an unknown field',
      'smokeTestVpc:\n  eu-west-1:\n    subnets: [subnet-11112222]\n    subnetIds: [subnet-11112222]\n    securityGroupIds: [sg-33334444]\n',
      'subnets',
    ],
  ])('when it has %s, loading fails and says where and what', (_, yaml, expected) => {
    const message = configError(yaml);
    expect(message).toContain('pipeline.config.yml');
    expect(message).toContain(expected);
  });
});

describe('the packaged template with smokeTestVpc', () => {
  let template: Template;
  beforeAll(async () => {
    const configFile = join(mkdtempSync(join(tmpdir(), 'smoke-vpc-')), 'pipeline.config.yml');
    writeFileSync(configFile, SAMPLE + PLACEMENTS);
    const [file] = await packageTemplates([
      { stage: 'dev', region: 'us-east-1', configFile, label: 'smoke-vpc' },
    ]);
    template = readTemplate(file!);
  }, 600_000);

  test('places the smoke-test function in the VPC given for the region it is deployed to', () => {
    const smoke = template.Resources[functionLogicalId('runSmokeChecks')]!;
    expect(smoke.Properties!.VpcConfig).toEqual({
      SubnetIds: ['subnet-11112222'],
      SecurityGroupIds: ['sg-33334444', 'sg-0123456789abcdef0'],
    });
  });

  test('lets the smoke-test role manage its network interfaces, and places no other function in a VPC', () => {
    // The roles the functions run with (osls's default IamRoleLambdaExecution is left unused).
    const functionRoles = new Set(
      Object.values(template.Resources)
        .filter((r) => r.Type === 'AWS::Lambda::Function')
        .map((r) => (r.Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0]),
    );
    const roles = Object.entries(template.Resources).filter(([id]) => functionRoles.has(id));
    const withManagedPolicies = roles.filter(
      ([, r]) => ((r.Properties?.ManagedPolicyArns as unknown[]) ?? []).length > 0,
    );
    expect(withManagedPolicies.map(([id]) => id)).toEqual(['RunSmokeChecksIamRoleLambdaExecution']);
    expect(JSON.stringify(withManagedPolicies[0]![1].Properties!.ManagedPolicyArns)).toContain(
      ':iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole',
    );
    const inVpc = Object.entries(template.Resources).filter(
      ([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties?.VpcConfig !== undefined,
    );
    expect(inVpc.map(([id]) => id)).toEqual([functionLogicalId('runSmokeChecks')]);
  });

  test('lets the traffic shift hook invoke that one function, and tells it which, for its test checks', () => {
    const smoke = { 'Fn::GetAtt': [functionLogicalId('runSmokeChecks'), 'Arn'] };
    expect(hookInvokes(template)).toEqual([
      { Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: [smoke] },
    ]);
    expect(hookEnvironment(template)).toMatchObject({ TEST_CHECKS_FUNCTION_ARN: smoke });
  });
});

describe('the packaged sample template (no smokeTestVpc)', () => {
  test('keeps the smoke-test function outside any VPC, and the hook runs its test checks itself', async () => {
    const [file] = await packageTemplates([{ stage: 'dev', region: 'us-east-1' }]);
    const template = readTemplate(file!);
    expect(template.Resources[functionLogicalId('runSmokeChecks')]!.Properties!.VpcConfig).toBeUndefined();
    // The hook may invoke no function, and is not told of one.
    expect(hookInvokes(template)).toEqual([]);
    expect(hookEnvironment(template)).not.toHaveProperty('TEST_CHECKS_FUNCTION_ARN');
  }, 600_000);
});
