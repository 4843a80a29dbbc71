import * as z from 'zod';
import { lazySchema } from '../domain/lazy-schema';
import { LISTENER_RULE_ARN_PATTERN } from '../domain/load-balancer-arn';
import { DEFAULT_JUDGEMENT_THRESHOLDS } from '../domain/traffic-judgement';
import { kpiSettings } from './kpi.schema';

/**
 * The config of shifting traffic between blue and green (docs/deployment-strategies.md): which strategy a
 * service uses in an environment, its schedule, the thresholds green is judged by, and the load balancer
 * wiring of each region. Rolling is the default, so a config without any of these keys means what it
 * always meant. `config.schema.ts` adds these fields to a service's environment and region and calls
 * {@link checkTrafficShift} for the rules that span them.
 */

export const STRATEGIES = ['rolling', 'blue-green', 'canary', 'linear'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** The longest pause ECS allows between steps of its own canary and linear strategies (24 hours). */
const MAX_STEP_MINUTES = 24 * 60;
/** ECS keeps blue at most this long after the production shift (bakeTimeInMinutes). */
const MAX_KEEP_BLUE_MINUTES = 24 * 60;

const percent = () =>
  z
    .number()
    .min(1, 'a step sends at least 1% of traffic to green')
    .max(100, 'a step sends at most 100% of traffic to green')
    // A refinement, not .int(): the loader words type errors itself, and this says what to change.
    .refine(Number.isInteger, 'percentages are whole numbers');

const minutes = (what: string) =>
  z
    .number()
    .min(0, `${what} cannot be negative`)
    .max(MAX_STEP_MINUTES, `${what} cannot exceed ${MAX_STEP_MINUTES} (24 hours, as ECS allows)`);

export const canarySettings = lazySchema(() =>
  z
    .object({
      /** Green's share of production traffic at each step, rising, ending at 100. */
      steps: z
        .array(percent())
        .min(2, 'list at least two steps, the last one 100 (such as [5, 25, 50, 100])')
        .superRefine((steps, ctx) => {
          steps.forEach((step, i) => {
            if (i > 0 && step <= steps[i - 1]!)
              ctx.addIssue({
                code: 'custom',
                path: [i],
                message: `steps must rise: ${step} comes after ${steps[i - 1]}`,
              });
          });
          if (steps.at(-1) !== 100)
            ctx.addIssue({
              code: 'custom',
              path: [steps.length - 1],
              message: 'the last step must be 100 (all traffic on green)',
            });
        })
        .default([5, 25, 50, 100]),
      /** How long green is watched at each step before 100: one value for all, or one per such step. */
      pauseMinutes: z.union([minutes('pauseMinutes'), z.array(minutes('each pause'))]).default(10),
    })
    .strict()
    .superRefine((canary, ctx) => {
      const judged = canary.steps.length - 1;
      if (Array.isArray(canary.pauseMinutes) && canary.pauseMinutes.length !== judged)
        ctx.addIssue({
          code: 'custom',
          path: ['pauseMinutes'],
          message:
            `give one pause per step before 100 (${judged} for [${canary.steps.join(', ')}]), ` +
            `not ${canary.pauseMinutes.length}; or one number for all of them`,
        });
    }),
);

export const linearSettings = lazySchema(() =>
  z
    .object({
      /** Green's share grows by this much each step, up to 100. */
      stepPercent: percent().max(99, 'stepPercent must be below 100 (100 at once is blue-green)').default(10),
      /** How long green is watched at each step before the next. */
      stepMinutes: minutes('stepMinutes').default(6),
    })
    .strict(),
);

const smokeCheckLike = lazySchema(() =>
  z
    .object({
      name: z.string().min(1).max(40),
      path: z.string().startsWith('/', 'path must start with "/"').max(2048),
      expectStatus: z.number().int().min(100).max(599).default(200),
      bodyContains: z.string().min(1).max(1024).optional(),
      maxLatencyMs: z.number().int().positive().max(60_000).default(2000),
      timeoutMs: z.number().int().positive().max(60_000).default(5000),
    })
    .strict(),
);

export const blueGreenSettings = lazySchema(() =>
  z
    .object({
      /** HTTP checks against green through the test listener, before any production traffic reaches it. */
      testChecks: z.array(smokeCheckLike).default([]),
    })
    .strict(),
);

export const judgementSettings = lazySchema(() =>
  z
    .object({
      /** Green fails above this share of 5xx (0.05 is 5%) when it is also worse than blue. */
      maxErrorRate: z
        .number()
        .gt(0, 'maxErrorRate must be above 0')
        .max(1, 'maxErrorRate is a share: 0.05 is 5%')
        .default(DEFAULT_JUDGEMENT_THRESHOLDS.maxErrorRate),
      /** Green fails when its p95 latency exceeds this multiple of blue's. */
      maxP95Ratio: z
        .number()
        .min(1, 'maxP95Ratio below 1 would fail green for being as fast as blue')
        .max(100)
        .default(DEFAULT_JUDGEMENT_THRESHOLDS.maxP95Ratio),
      /** Fewer requests than this on either side, and the window is inconclusive: the step extends. */
      minRequests: z
        .number()
        .int()
        .min(1, 'minRequests must be at least 1: no data never passes a step')
        .default(DEFAULT_JUDGEMENT_THRESHOLDS.minRequests),
      /** How many times one step may be extended for too little traffic before the deployment fails. */
      maxExtensions: z.number().int().min(0).max(20).default(3),
      /** The service's own CloudWatch metrics green must not drop below blue's (kpi.schema.ts). */
      kpis: kpiSettings.optional(),
    })
    .strict(),
);
export type JudgementSettings = z.output<typeof judgementSettings>;

export const DEFAULT_JUDGEMENT_SETTINGS: JudgementSettings = {
  ...DEFAULT_JUDGEMENT_THRESHOLDS,
  maxExtensions: 3,
};

const arn = (service: string, resource: RegExp, example: string) =>
  z
    .string()
    .regex(new RegExp(`^arn:aws[a-z-]*:${service}:${resource.source}$`), `must be an ARN such as ${example}`);

const listenerRule = (what: string) =>
  z
    .string()
    .regex(
      LISTENER_RULE_ARN_PATTERN,
      `${what} must be an Application Load Balancer listener rule ARN such as ` +
        'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/orders/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee',
    );

const targetGroup = () =>
  arn(
    'elasticloadbalancing',
    /[a-z0-9-]+:\d{12}:targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]+/,
    'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/orders-blue/73e2d6bc24d8a067',
  );

/** One region's load balancer wiring for blue/green, canary and linear. */
export const loadBalancerWiring = lazySchema(() =>
  z
    .object({
      /** The target group the service runs in before a deployment (ECS alternates the two). */
      blueTargetGroupArn: targetGroup(),
      /** The alternate target group green starts in (ECS's advancedConfiguration.alternateTargetGroupArn). */
      greenTargetGroupArn: targetGroup(),
      productionListenerRuleArn: listenerRule('productionListenerRuleArn'),
      /** Where blue-green's test checks reach green before production traffic does. */
      testListenerRuleArn: listenerRule('testListenerRuleArn').optional(),
      /** The URL of the test listener, for blue-green's test checks. */
      testEndpoint: z.url({ protocol: /^https?$/, error: 'testEndpoint must be an http(s) URL' }).optional(),
      /** The role ECS assumes to change the listener rules (the ECS infrastructure role for load balancers). */
      infrastructureRoleArn: arn(
        'iam',
        /:\d{12}:role\/[\w+=,.@/-]{1,512}/,
        'arn:aws:iam::123456789012:role/ecs-infrastructure-orders',
      ),
    })
    .strict()
    .refine((w) => w.blueTargetGroupArn !== w.greenTargetGroupArn, {
      message: 'blue and green must be two different target groups',
      path: ['greenTargetGroupArn'],
    }),
);
export type LoadBalancerWiring = z.output<typeof loadBalancerWiring>;

/** The fields a service's environment gains; all optional, so configs without them stay rolling. */
export const trafficShiftFields = () => ({
  strategy: z
    .enum(STRATEGIES, {
      error: () => 'strategy must be "rolling" (the default), "blue-green", "canary" or "linear"',
    })
    .default('rolling'),
  canary: canarySettings.optional(),
  linear: linearSettings.optional(),
  blueGreen: blueGreenSettings.optional(),
  /** How long blue keeps running after green has all traffic, for an instant switch back (ECS bake time). */
  keepBlueMinutes: z
    .number()
    .int()
    .min(0)
    .max(MAX_KEEP_BLUE_MINUTES, `keepBlueMinutes cannot exceed ${MAX_KEEP_BLUE_MINUTES} (ECS's limit)`)
    .default(15),
  judgement: judgementSettings.optional(),
});

interface ShiftEnvironment {
  strategy: Strategy;
  canary?: unknown;
  linear?: unknown;
  blueGreen?: { testChecks: unknown[] };
  judgement?: unknown;
  regions: Record<string, { loadBalancer?: { testEndpoint?: string; testListenerRuleArn?: string } }>;
}

/**
 * The rules across a service environment's fields: settings of another strategy are a mistake (they would
 * be silently ignored), and every region of a strategy that shifts traffic needs its load balancer wiring.
 */
export function checkTrafficShift(
  settings: ShiftEnvironment,
  path: (string | number)[],
  ctx: z.RefinementCtx,
): void {
  const owner: Record<'canary' | 'linear' | 'blueGreen', Strategy> = {
    canary: 'canary',
    linear: 'linear',
    blueGreen: 'blue-green',
  };
  for (const [key, strategy] of Object.entries(owner) as [keyof typeof owner, Strategy][])
    if (settings[key] !== undefined && settings.strategy !== strategy)
      ctx.addIssue({
        code: 'custom',
        path: [...path, key],
        message: `${key} settings apply to strategy "${strategy}", but the strategy here is "${settings.strategy}": set strategy: ${strategy} or remove them`,
      });
  if (settings.strategy === 'rolling') {
    if (settings.judgement !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'judgement'],
        message:
          'judgement applies to blue-green, canary and linear; a rolling update shifts no traffic to judge',
      });
    return;
  }
  const testChecks = settings.blueGreen?.testChecks.length ?? 0;
  for (const [region, target] of Object.entries(settings.regions)) {
    if (target.loadBalancer === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'regions', region],
        message: `strategy "${settings.strategy}" shifts traffic through a load balancer: add loadBalancer (blueTargetGroupArn, greenTargetGroupArn, productionListenerRuleArn, infrastructureRoleArn) for ${region}`,
      });
      continue;
    }
    if (testChecks > 0 && (!target.loadBalancer.testEndpoint || !target.loadBalancer.testListenerRuleArn))
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'regions', region, 'loadBalancer'],
        message: `blueGreen.testChecks reach green through the test listener: add testListenerRuleArn and testEndpoint for ${region}`,
      });
  }
}

/** The part of a parsed config `refuseSharedWiring` reads. */
interface WiredServices {
  services: {
    name: string;
    environments: Record<string, { regions: Record<string, { loadBalancer?: LoadBalancerWiring }> }>;
  }[];
}

/**
 * Each service environment region shifts through target groups and a production listener rule of its own.
 * Two that share one would move each other's traffic: one deployment's canary weights apply to the other's
 * users, and each judges the other's requests as its own. Reported where the second use is.
 */
export function refuseSharedWiring(config: WiredServices, ctx: z.RefinementCtx): void {
  const owners = new Map<string, string>();
  config.services.forEach((service, i) => {
    for (const [environment, settings] of Object.entries(service.environments))
      for (const [region, target] of Object.entries(settings.regions)) {
        const wiring = target.loadBalancer;
        if (!wiring) continue;
        const here = `${service.name} ${environment}/${region}`;
        const fields = ['blueTargetGroupArn', 'greenTargetGroupArn', 'productionListenerRuleArn'] as const;
        for (const field of fields) {
          const arn = wiring[field];
          const owner = owners.get(arn);
          if (owner === undefined) {
            owners.set(arn, here);
            continue;
          }
          if (owner === here) continue; // blue = green is reported by the wiring's own check
          ctx.addIssue({
            code: 'custom',
            path: ['services', i, 'environments', environment, 'regions', region, 'loadBalancer', field],
            message: `${arn} is already wired to ${owner}: each service environment region needs target groups and a production listener rule of its own, or one deployment's traffic shift moves the other's traffic`,
          });
        }
      }
  });
}
