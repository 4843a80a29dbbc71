import type { PipelineConfig } from './config.schema';

/** A CloudFormation `Fn::Sub` value, for ARNs that need the account id. */
type Sub = { 'Fn::Sub': string };

/**
 * What the functions of a traffic shift may touch, from the config (serverless/variables.js): the hook
 * rewrites the weights of the production listener rules of stages that shift traffic (and, for test
 * checks, their test listener rules), and the deploy and rollback functions pass those stages'
 * infrastructure roles to ECS. Listener rules and roles are full ARNs in the config. A config where no
 * stage shifts gets an ARN that can match nothing, as IAM has no empty list: the hook can then change no
 * rule and the deploy pass no infrastructure role.
 */
export function trafficShiftPolicyScope(config: PipelineConfig): {
  listenerRules: (string | Sub)[];
  infrastructureRoles: (string | Sub)[];
} {
  const rules = new Set<string>();
  const roles = new Set<string>();
  for (const service of config.services)
    for (const settings of Object.values(service.environments)) {
      if (!settings || settings.strategy === 'rolling') continue;
      for (const target of Object.values(settings.regions)) {
        const wiring = target.loadBalancer;
        if (!wiring) continue;
        rules.add(wiring.productionListenerRuleArn);
        if (wiring.testListenerRuleArn !== undefined) rules.add(wiring.testListenerRuleArn);
        roles.add(wiring.infrastructureRoleArn);
      }
    }
  const sub = (value: string): Sub => ({ 'Fn::Sub': value });
  return {
    listenerRules:
      rules.size > 0
        ? [...rules].sort()
        : [
            sub(
              'arn:aws:elasticloadbalancing:*:${AWS::AccountId}:listener-rule/app/no-stage-shifts-traffic/0/0/0',
            ),
          ],
    infrastructureRoles:
      roles.size > 0
        ? [...roles].sort()
        : [sub('arn:aws:iam::${AWS::AccountId}:role/no-ecs-infrastructure-roles-configured')],
  };
}
