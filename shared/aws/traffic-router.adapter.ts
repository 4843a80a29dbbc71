import {
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
  ModifyRuleCommand,
  RuleNotFoundException,
  TargetGroupNotFoundException,
  type Action,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { TrafficRouter, TrafficTargets } from '../ports/traffic';
import { isAwsError, mapAwsError } from './aws-errors';
import { clientsFrom, type ClientSource } from './regional-clients';
import { TrafficTargetsInvalid } from './traffic-metrics.adapter';

export interface ListenerRuleTrafficRouterOptions {
  /** A ready client (tests) or a per-region factory; defaults to one client per region, shared per container. */
  clients?: ClientSource<ElasticLoadBalancingV2Client>;
}

/**
 * Production traffic split by the weights of a listener rule's forward action: blue gets `100 − green`, green
 * gets `green` (ELB weights are relative, 0–999, so percentages read as they are). The rule is read first
 * and only its forward action is rewritten: ModifyRule replaces all of a rule's actions, so an
 * authentication action in front of the forward stays (an OIDC one keeps its stored client secret), and so
 * do the group's stickiness settings. Setting the weights a rule already has changes nothing, so a retried
 * step is harmless. A listener's default rule cannot be changed by ModifyRule (it belongs to the listener),
 * and a forward to any target group other than blue and green means the config points at another rule:
 * both are refused with what to fix.
 */
export class ListenerRuleTrafficRouter implements TrafficRouter {
  private readonly client: (region: string) => ElasticLoadBalancingV2Client;

  constructor(options: ListenerRuleTrafficRouterOptions = {}) {
    this.client = clientsFrom(options.clients, ElasticLoadBalancingV2Client);
  }

  async setGreenWeight(targets: TrafficTargets, greenPercent: number): Promise<void> {
    if (!Number.isInteger(greenPercent) || greenPercent < 0 || greenPercent > 100)
      throw new RangeError(
        `green's share of traffic must be a whole percent from 0 to 100, got ${greenPercent}`,
      );
    const client = this.client(targets.region);
    const rule = targets.listenerRule;
    try {
      const described = await client.send(new DescribeRulesCommand({ RuleArns: [rule] }));
      const current = described.Rules?.[0];
      if (!current) throw notFound(targets);
      if (current.IsDefault)
        throw new TrafficTargetsInvalid(
          `${rule} is a listener's default rule, whose actions only ModifyListener changes: ` +
            'give the traffic settings a listener rule of its own (a path or host condition) for the service',
        );
      const actions = current.Actions ?? [];
      const forward = actions.find((a) => a.Type === 'forward');
      if (!forward)
        throw new TrafficTargetsInvalid(`${rule} does not forward to target groups: ${describe(actions)}`);
      const groups = new Set([
        ...(forward.TargetGroupArn ? [forward.TargetGroupArn] : []),
        ...(forward.ForwardConfig?.TargetGroups ?? []).flatMap((g) =>
          g.TargetGroupArn ? [g.TargetGroupArn] : [],
        ),
      ]);
      const strangers = [...groups].filter(
        (g) => g !== targets.blueTargetGroup && g !== targets.greenTargetGroup,
      );
      if (strangers.length > 0)
        throw new TrafficTargetsInvalid(
          `${rule} forwards to ${strangers.join(', ')}, which is neither blue (${targets.blueTargetGroup}) nor green ` +
            `(${targets.greenTargetGroup}): check listenerRule and the target groups in the traffic settings`,
        );

      const weighted: Action = {
        Type: 'forward',
        ...(forward.Order !== undefined && { Order: forward.Order }),
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: targets.blueTargetGroup, Weight: 100 - greenPercent },
            { TargetGroupArn: targets.greenTargetGroup, Weight: greenPercent },
          ],
          ...(forward.ForwardConfig?.TargetGroupStickinessConfig && {
            TargetGroupStickinessConfig: forward.ForwardConfig.TargetGroupStickinessConfig,
          }),
        },
      };
      await client.send(
        new ModifyRuleCommand({
          RuleArn: rule,
          Actions: actions.map((action) => (action === forward ? weighted : resendable(action))),
        }),
      );
    } catch (error) {
      if (error instanceof TrafficTargetsInvalid) throw error;
      if (isAwsError(error, RuleNotFoundException)) throw notFound(targets);
      if (isAwsError(error, TargetGroupNotFoundException))
        throw new TrafficTargetsInvalid(
          `a target group of ${rule} does not exist in ${targets.region} (blue ${targets.blueTargetGroup}, ` +
            `green ${targets.greenTargetGroup}): check the traffic settings`,
        );
      throw mapAwsError(error, `setting green to ${greenPercent}% on ${rule} in ${targets.region}`);
    }
  }
}

function notFound(targets: TrafficTargets): TrafficTargetsInvalid {
  return new TrafficTargetsInvalid(
    `listener rule ${targets.listenerRule} does not exist in ${targets.region}: check listenerRule in the traffic settings`,
  );
}

function describe(actions: Action[]): string {
  return actions.length === 0
    ? 'it has no actions'
    : `its actions are ${actions.map((a) => a.Type).join(', ')}`;
}

/** An action as DescribeRules shows it, fit to send back: an OIDC action's secret is never shown, so keep it. */
function resendable(action: Action): Action {
  if (action.Type === 'authenticate-oidc' && action.AuthenticateOidcConfig)
    return {
      ...action,
      AuthenticateOidcConfig: { ...action.AuthenticateOidcConfig, UseExistingClientSecret: true },
    };
  return action;
}
