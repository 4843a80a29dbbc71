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

  test("rules on the region's default bus match what the pipeline's own ECS and alarm rules match", () => {
    const rules = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Events::Rule');
    expect(rules.map((r) => r.Properties.EventPattern)).toEqual([
      patternFor(config, 'ecsDeploymentFinished'),
      patternFor(config, 'alarmStateChange'),
    ]);
    for (const rule of rules) {
      expect(rule.Properties.EventBusName).toBe('default');
      expect(rule.Properties.State).toBe('ENABLED');
    }
  });

  test('the alarm rule forwards only the watched alarms (names and prefixes of the config) going to ALARM', () => {
    expect(patternFor(config, 'alarmStateChange')).toEqual({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      detail: {
        alarmName: [
          'orders-api-ppe-5xx',
          'orders-api-prod-5xx',
          'orders-api-staging-5xx',
          'payments-api-ppe-5xx',
          'payments-api-prod-5xx',
          'payments-api-staging-5xx',
          { prefix: 'orders-api-ppe-latency' },
          { prefix: 'orders-api-prod-latency' },
          { prefix: 'payments-api-ppe-latency' },
          { prefix: 'payments-api-prod-latency' },
        ],
        state: { value: ['ALARM'] },
      },
    });
  });

  test('they target the default bus of the pipeline region, through a role that may put events there only', () => {
    const rules = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Events::Rule');
    for (const rule of rules) {
      const [target] = rule.Properties.Targets as { Arn: unknown; RoleArn: unknown }[];
      expect(target!.Arn).toEqual(PIPELINE_REGION_BUS);
      expect(target!.RoleArn).toEqual({ 'Fn::GetAtt': ['ForwardEcsEventsRole', 'Arn'] });
    }
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
