/**
 * ECS sends deployment events to the default bus of the service's own region; the stack that
 * scripts/forwarding-templates.ts writes forwards them from each other configured region to the default bus
 * of the pipeline region, where the pipeline's own rule (same pattern) resumes the waiting execution.
 * cfn-lint and checkov check the template itself in scripts/check-template.ts.
 */
import { join } from 'node:path';
import { loadConfigFile } from '../../shared/config/config.loader';
import { patternFor } from '../../shared/event-rules';
import { forwardingRegions, forwardingTemplate } from '../../scripts/forwarding-templates';

const config = loadConfigFile(join(__dirname, '..', '..', 'pipeline.config.yml'));
const template = forwardingTemplate(config) as {
  Parameters: Record<string, unknown>;
  Rules: Record<string, { Assertions: { Assert: unknown }[] }>;
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
};
const PIPELINE_REGION_BUS = {
  'Fn::Sub': 'arn:${AWS::Partition}:events:${PipelineRegion}:${AWS::AccountId}:event-bus/default',
};

describe('the ECS event forwarding template', () => {
  test('a stack is needed in every configured region but the pipeline region', () => {
    expect(forwardingRegions(config, 'eu-west-1')).toEqual(['us-east-1', 'ap-southeast-2']);
    expect(forwardingRegions(config, 'us-east-1')).toEqual(['eu-west-1', 'ap-southeast-2']);
  });

  test("a rule on the region's default bus matches what the pipeline's own ECS rule matches", () => {
    const rules = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Events::Rule');
    expect(rules).toHaveLength(1);
    expect(rules[0]!.Properties.EventBusName).toBe('default');
    expect(rules[0]!.Properties.EventPattern).toEqual(patternFor(config, 'ecsDeploymentFinished'));
    expect(rules[0]!.Properties.State).toBe('ENABLED');
  });

  test('it targets the default bus of the pipeline region, through a role that may put events there only', () => {
    const rule = Object.values(template.Resources).find((r) => r.Type === 'AWS::Events::Rule')!;
    const [target] = rule.Properties.Targets as { Arn: unknown; RoleArn: unknown }[];
    expect(target!.Arn).toEqual(PIPELINE_REGION_BUS);
    expect(target!.RoleArn).toEqual({ 'Fn::GetAtt': ['ForwardEcsEventsRole', 'Arn'] });
    const role = template.Resources.ForwardEcsEventsRole!;
    expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument)).toContain('events.amazonaws.com');
    const policies = role.Properties.Policies as { PolicyDocument: { Statement: unknown[] } }[];
    expect(policies.flatMap((p) => p.PolicyDocument.Statement)).toEqual([
      { Effect: 'Allow', Action: 'events:PutEvents', Resource: PIPELINE_REGION_BUS },
    ]);
  });

  test('it cannot be deployed to the pipeline region itself (the bus would forward to itself)', () => {
    expect(template.Parameters.PipelineRegion).toBeDefined();
    expect(template.Rules.OtherRegionOnly!.Assertions[0]!.Assert).toEqual({
      'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'PipelineRegion' }, { Ref: 'AWS::Region' }] }],
    });
  });
});
