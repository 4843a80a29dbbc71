/**
 * ECS sends its "ECS Deployment State Change" events, and CloudWatch its "CloudWatch Alarm State Change"
 * events, to the default bus of their own region, and the pipeline's rules listen in the pipeline's region
 * only. This writes a small CloudFormation template
 * that forwards those events (the same patterns as the pipeline's own rules) from one region's default bus to the default bus of the pipeline's region
 * (an EventBridge cross-region target, with a role allowed to put events there and nowhere else), and
 * prints how to deploy it to every configured region other than the pipeline's. A stack is single-region,
 * so it is one stack per region, from the same template (docs/deploying.md).
 *
 *   npx tsx scripts/forwarding-templates.ts --stage prod --pipeline-region eu-west-1
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfigFile } from '../shared/config/config.loader';
import type { PipelineConfig } from '../shared/config/config.schema';
import { patternFor } from '../shared/event-rules';

const ROOT = join(__dirname, '..');
export const FORWARDING_TEMPLATE_FILE = join(ROOT, 'dist', 'ecs-event-forwarding.template.json');

const TARGET_BUS = 'arn:${AWS::Partition}:events:${PipelineRegion}:${AWS::AccountId}:event-bus/default';

/** The forwarding template: the same event pattern as the pipeline's own ECS rule (shared/event-rules.ts). */
export function forwardingTemplate(config: PipelineConfig): Record<string, unknown> {
  const targetBus = TARGET_BUS;
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description:
      'ecs-promotion-pipeline: forwards ECS deployment and alarm state changes of this region to the pipeline region',
    Parameters: {
      PipelineRegion: {
        Type: 'String',
        Description: 'The region the pipeline stack is deployed to (where its ECS event rule listens)',
        AllowedPattern: '^[a-z]{2}(-[a-z]+)+-\\d$',
        ConstraintDescription: 'must be a region name such as eu-west-1',
      },
    },
    Rules: {
      OtherRegionOnly: {
        Assertions: [
          {
            Assert: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'PipelineRegion' }, { Ref: 'AWS::Region' }] }] },
            AssertDescription:
              'deploy this stack to the other regions only: the pipeline region receives its ECS events directly',
          },
        ],
      },
    },
    Resources: {
      ForwardEcsEventsRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          Description:
            'Lets EventBridge put ECS deployment and alarm events on the pipeline region default bus',
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Service: 'events.amazonaws.com' },
                Action: 'sts:AssumeRole',
                Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
              },
            ],
          },
          Policies: [
            {
              PolicyName: 'put-events-on-the-pipeline-region-bus',
              PolicyDocument: {
                Version: '2012-10-17',
                Statement: [
                  { Effect: 'Allow', Action: 'events:PutEvents', Resource: { 'Fn::Sub': targetBus } },
                ],
              },
            },
          ],
        },
      },
      ForwardEcsEventsRule: forwardingRule(
        'ECS deployments that completed or failed, for the pipeline in another region',
        patternFor(config, 'ecsDeploymentFinished'),
      ),
      // Alarms are regional too: a bake in this region is ended by its alarm's event, not the next sweep.
      ForwardAlarmEventsRule: forwardingRule(
        'Alarms the bakes watch going to ALARM, for the pipeline in another region',
        patternFor(config, 'alarmStateChange'),
      ),
    },
  };
}

/** A rule on this region's default bus that forwards what `pattern` matches to the pipeline region's. */
function forwardingRule(description: string, pattern: Record<string, unknown>): Record<string, unknown> {
  return {
    Type: 'AWS::Events::Rule',
    Properties: {
      Description: description,
      EventBusName: 'default',
      EventPattern: pattern,
      State: 'ENABLED',
      Targets: [
        {
          Id: 'pipeline-region-default-bus',
          Arn: { 'Fn::Sub': TARGET_BUS },
          RoleArn: { 'Fn::GetAtt': ['ForwardEcsEventsRole', 'Arn'] },
        },
      ],
    },
  };
}

/** Writes the template (dist/ecs-event-forwarding.template.json) from the config; returns its path. */
export function writeForwardingTemplate(configFile = join(ROOT, 'pipeline.config.yml')): string {
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  const template = forwardingTemplate(loadConfigFile(configFile));
  writeFileSync(FORWARDING_TEMPLATE_FILE, `${JSON.stringify(template, null, 2)}\n`);
  return FORWARDING_TEMPLATE_FILE;
}

/** The configured regions that need a forwarding stack: every one but the pipeline's. */
export function forwardingRegions(config: PipelineConfig, pipelineRegion: string): string[] {
  const regions = new Set(config.environments.flatMap((environment) => environment.regions));
  regions.delete(pipelineRegion);
  return [...regions];
}

function main(): void {
  const { values } = parseArgs({
    options: {
      stage: { type: 'string', default: 'dev' },
      'pipeline-region': { type: 'string', default: 'eu-west-1' },
      config: { type: 'string', default: join(ROOT, 'pipeline.config.yml') },
    },
  });
  const pipelineRegion = values['pipeline-region'];
  const file = writeForwardingTemplate(values.config);
  const regions = forwardingRegions(loadConfigFile(values.config), pipelineRegion);
  console.log(`wrote ${relative(ROOT, file)}`);
  if (regions.length === 0) {
    console.log(`every configured region is ${pipelineRegion}: no forwarding stack is needed`);
    return;
  }
  console.log('deploy it to every configured region other than the pipeline region:');
  for (const region of regions)
    console.log(
      `  aws cloudformation deploy --region ${region} --stack-name ecs-promotion-pipeline-${values.stage}-ecs-events ` +
        `--template-file ${relative(ROOT, file)} --parameter-overrides PipelineRegion=${pipelineRegion} ` +
        '--capabilities CAPABILITY_IAM',
    );
}

if (require.main === module) {
  try {
    main();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  }
}
