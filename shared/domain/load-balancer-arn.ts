/**
 * Elastic Load Balancing ARNs. A listener rule's ARN names its load balancer
 * (`…:listener-rule/app/<name>/<lb-id>/<listener-id>/<rule-id>`), so the config asks for the rule only.
 */
export const LISTENER_RULE_ARN_PATTERN =
  /^arn:(aws[a-z-]*):elasticloadbalancing:([a-z0-9-]+):(\d{12}):listener-rule\/(app\/[^/]+\/[0-9a-f]+)\/[0-9a-f]+\/[0-9a-f]+$/;

/** `…:listener-rule/app/orders/50dc…/f2f7…/9683…` → `…:loadbalancer/app/orders/50dc…`. */
export function loadBalancerOfRule(listenerRuleArn: string): string {
  const match = LISTENER_RULE_ARN_PATTERN.exec(listenerRuleArn);
  if (!match) throw new Error(`${listenerRuleArn} is not an Application Load Balancer listener rule ARN`);
  const [, partition, region, account, loadBalancer] = match;
  return `arn:${partition}:elasticloadbalancing:${region}:${account}:loadbalancer/${loadBalancer}`;
}
