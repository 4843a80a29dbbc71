/**
 * The sample configuration with orders-api's PPE and production deployed as canaries (the default schedule,
 * 5 → 25 → 50 → 100), wired to a load balancer in each region: stages whose execution input carries a
 * traffic shift plan.
 */
import { parseConfig } from '../../shared/config/config.loader';
import type { PipelineConfig } from '../../shared/config/config.schema';
import { planStages, type Stage } from '../../shared/domain/stage';
import type { LocalApiPipeline } from '../../local-runtime/local-api';
import { sampleConfigText } from './fixtures';

const TG = 'arn:aws:elasticloadbalancing:REGION:123456789012:targetgroup';
const RULE = 'arn:aws:elasticloadbalancing:REGION:123456789012:listener-rule/app';

/** Each environment/region its own load balancer and target groups, as on AWS. */
function wiring(environment: string, region: string): string {
  const tg = `${TG.replace('REGION', region)}/orders-${environment}`;
  const rule = `${RULE.replace('REGION', region)}/orders-${environment}/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`;
  return (
    `loadBalancer: { blueTargetGroupArn: '${tg}-a/73e2d6bc24d8a067', ` +
    `greenTargetGroupArn: '${tg}-b/2453ed029918f21f', ` +
    `productionListenerRuleArn: '${rule}', ` +
    `infrastructureRoleArn: 'arn:aws:iam::123456789012:role/ecs-infrastructure-orders' },`
  );
}

/**
 * The sample text with orders-api's ppe and prod as canaries (payments-api keeps rolling); `ppeSettings`
 * (lines indented as the environment's fields) set PPE's schedule.
 */
export function canaryConfigText(ppeSettings = ''): string {
  let text = sampleConfigText();
  const replaceOnce = (from: string, to: string) => {
    if (!text.includes(from)) throw new Error(`the sample config has no ${JSON.stringify(from)}`);
    text = text.replace(from, to);
  };
  replaceOnce(
    '      ppe:\n        bakeMinutes: 5\n',
    `      ppe:\n        bakeMinutes: 5\n        strategy: canary\n${ppeSettings}`,
  );
  replaceOnce(
    '      prod:\n        bakeMinutes: 30\n',
    '      prod:\n        bakeMinutes: 30\n        strategy: canary\n',
  );
  for (const [endpoint, environment, region] of [
    ['https://orders-api.ppe.eu-west-1.example.internal', 'ppe', 'eu-west-1'],
    ['https://orders-api.eu-west-1.example.internal', 'prod', 'eu-west-1'],
    ['https://orders-api.us-east-1.example.internal', 'prod', 'us-east-1'],
    ['https://orders-api.ap-southeast-2.example.internal', 'prod', 'ap-southeast-2'],
  ] as const) {
    const line = `endpoint: '${endpoint}',\n`;
    replaceOnce(line, `${line}              ${wiring(environment, region)}\n`);
  }
  return text;
}

export function canaryConfig(): PipelineConfig {
  return parseConfig(canaryConfigText(), 'pipeline.config.yml');
}

type Engine = LocalApiPipeline['engine'];

/**
 * The engine as the local API reads it, each execution's input planned as the canary config plans it (the
 * stages carry their traffic shift plan), so that a test of what people see of a shift runs a quick rolling
 * stage, not a real shift on real traffic, and seeds the log with the progress it needs. A rolling stage
 * held by a stopped clock (waiting for its ECS deployment, as a shifting stage waits for ECS's blue/green
 * deployment) is a shift that is running.
 */
export function plannedAsCanary(engine: Engine): Engine {
  const config = canaryConfig();
  return {
    listExecutions: (input) => engine.listExecutions(input),
    getExecutionHistory: (input) => engine.getExecutionHistory(input),
    describeExecution: async (input) => {
      const execution = await engine.describeExecution(input);
      const parsed = JSON.parse(execution.input) as {
        service: string;
        trigger: { kind: 'push' | 'tag' };
        stages: Stage[];
      };
      const planned = planStages(config, parsed.service, parsed.trigger.kind);
      const stages = parsed.stages.map((stage) => ({
        ...stage,
        traffic: planned.find((p) => p.environment === stage.environment && p.region === stage.region)
          ?.traffic,
      }));
      return { ...execution, input: JSON.stringify({ ...parsed, stages }) };
    },
  };
}
