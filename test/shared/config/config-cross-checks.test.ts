import { parse } from 'yaml';
import { AWS_REGIONS } from '../../../shared/config/aws-regions';
import { pipelineConfigSchema } from '../../../shared/config/config.schema';
import { sampleConfigText } from '../../support/fixtures';

/**
 * The config schema's cross-checks (shared/config/config.schema.ts): rules that span entries, each broken
 * alone in a copy of the sample configuration, with the exact path and message it reports.
 */
type Raw = {
  environments: Record<string, unknown>[];
  services: {
    name: string;
    ecrRepository: string;
    environments: Record<string, { regions: Record<string, unknown> }>;
  }[];
};

function sample(): Raw {
  return parse(sampleConfigText(), { merge: true }) as Raw;
}

function problems(config: unknown): string[] {
  const result = pipelineConfigSchema.safeParse(config);
  if (result.success) return [];
  return result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

/** Every cross-check issue is a zod "custom" issue: what the loader and editors receive with its path. */
function codes(config: unknown): string[] {
  const result = pipelineConfigSchema.safeParse(config);
  return result.success ? [] : result.error.issues.map((i) => i.code);
}

const env = (raw: Raw, name: string) => raw.environments.find((e) => e.name === name)!;

describe('config schema cross-checks', () => {
  it('when the sample configuration is checked, it has no problem', () => {
    expect(problems(sample())).toEqual([]);
  });

  it.each<[string, (raw: Raw) => void, string[]]>([
    [
      'two environments share a name',
      (raw) => {
        raw.environments.push({ ...env(raw, 'prod') });
      },
      ['environments.3.name: "prod" is defined twice'],
    ],
    [
      'the first environment is triggered by the previous one',
      (raw) => {
        env(raw, 'ppe').trigger = 'previous';
      },
      ['environments.0.trigger: the first environment has no previous environment: use "push" or "tag"'],
    ],
    [
      'the smoke-test VPC placements name something that is no region',
      (raw) => {
        const placement = {
          subnetIds: ['subnet-0123456789abcdef0'],
          securityGroupIds: ['sg-0123456789abcdef0'],
        };
        (raw as Raw & { smokeTestVpc?: unknown }).smokeTestVpc = {
          'eu-west-1': placement,
          'Europe West': placement,
        };
      },
      [
        'smokeTestVpc.Europe West: "Europe West" is not an AWS region code such as eu-west-1 (smokeTestVpc is keyed by region)',
      ],
    ],
    [
      'no environment is defined',
      (raw) => {
        raw.environments = [];
        for (const service of raw.services) service.environments = {};
      },
      ['environments: define at least one environment'],
    ],
    [
      'two services share a name',
      (raw) => {
        raw.services[1]!.name = 'orders-api';
      },
      ['services.1.name: "orders-api" is defined twice'],
    ],
    [
      'two services push to one repository',
      (raw) => {
        raw.services[1]!.ecrRepository = 'orders-api';
      },
      [
        'services.1.ecrRepository: "orders-api" already belongs to another service: a push must map to one service',
      ],
    ],
    [
      'an environment lists a region that is no region beside a good one',
      (raw) => {
        (env(raw, 'ppe').regions as string[]).push('mars-north-1');
      },
      // Reported once, where it is: not again as a region every service misses.
      ['environments.0.regions.1: "mars-north-1" is not an AWS region code such as eu-west-1'],
    ],
    [
      'two services name one git repository in different case',
      (raw) => {
        (raw.services[1] as Record<string, unknown>).gitRepository = 'Example-Org/Orders-API';
      },
      [
        'services.1.gitRepository: "Example-Org/Orders-API" is already the git repository of orders-api: a tag must map to one service (give each service its own repository)',
      ],
    ],
    [
      'three services name one git repository',
      (raw) => {
        raw.services.push({ ...raw.services[1]!, name: 'billing-api', ecrRepository: 'billing-api' });
        for (const svc of raw.services.slice(1))
          (svc as Record<string, unknown>).gitRepository = 'example-org/orders-api';
      },
      // Both later services name the first owner, not the one before them.
      [
        'services.1.gitRepository: "example-org/orders-api" is already the git repository of orders-api: a tag must map to one service (give each service its own repository)',
        'services.2.gitRepository: "example-org/orders-api" is already the git repository of orders-api: a tag must map to one service (give each service its own repository)',
      ],
    ],
    [
      'a service skips an environment',
      (raw) => {
        delete raw.services[0]!.environments.staging;
      },
      ['services.0.environments: missing environment "staging" (every service deploys to every environment)'],
    ],
    [
      'a service skips a region of an environment',
      (raw) => {
        delete raw.services[1]!.environments.prod!.regions['us-east-1'];
      },
      [
        'services.1.environments.prod.regions: missing region "us-east-1", which environment "prod" deploys to',
      ],
    ],
    [
      'a service targets a region its environment does not deploy to',
      (raw) => {
        raw.services[0]!.environments.ppe!.regions['us-west-2'] =
          raw.services[0]!.environments.ppe!.regions['eu-west-1'];
      },
      [
        'services.0.environments.ppe.regions.us-west-2: environment "ppe" does not deploy to us-west-2: add it to environments[].regions or remove it here',
      ],
    ],
    [
      'a service deploys to an unknown environment',
      (raw) => {
        raw.services[0]!.environments.qa = raw.services[0]!.environments.staging!;
      },
      ['services.0.environments.qa: unknown environment "qa"; known: ppe, staging, prod'],
    ],
    [
      'an environment needs more approvals than it has approvers',
      (raw) => {
        (env(raw, 'prod').approval as Record<string, unknown>).minApprovals = 3;
      },
      ['environments.2.approval.minApprovals: minApprovals cannot exceed the number of approvers'],
    ],
    [
      'an environment needs as many approvals as it has approvers',
      (raw) => {
        (env(raw, 'prod').approval as Record<string, unknown>).minApprovals = 2;
      },
      [],
    ],
    [
      'a deployment window repeats a day',
      (raw) => {
        env(raw, 'prod').deploymentWindows = [
          { days: ['mon', 'mon'], start: '09:00', end: '16:00', timezone: 'UTC' },
        ];
      },
      ['environments.2.deploymentWindows.0.days: days must not repeat'],
    ],
    [
      'a deployment window ends when it starts',
      (raw) => {
        env(raw, 'prod').deploymentWindows = [
          { days: ['mon'], start: '09:00', end: '09:00', timezone: 'UTC' },
        ];
      },
      [
        'environments.2.deploymentWindows.0.end: end must be after start on the same day (split a window across midnight into two)',
      ],
    ],
    [
      'a deployment window ends a minute after it starts',
      (raw) => {
        env(raw, 'prod').deploymentWindows = [
          { days: ['mon'], start: '09:00', end: '09:01', timezone: 'UTC' },
        ];
      },
      [],
    ],
  ])('when %s, the problems are exact', (_what, breakIt, expected) => {
    // Prepare
    const raw = sample();
    breakIt(raw);

    // Act + Assess
    expect(problems(raw)).toEqual(expected);
    // The cross-checks' issues are "custom"; an empty list is zod's own minimum-length issue.
    expect(codes(raw)).toEqual(
      expected.map((p) => (p.endsWith('define at least one environment') ? 'too_small' : 'custom')),
    );
  });

  type Layout = { name: string; trigger: string; regions: number; freezeWaitHours?: number }[];

  /** The sample configuration with these environments (the first `regions` AWS regions each) and one service. */
  function configOf(layout: Layout): unknown {
    const raw = sample();
    const service = raw.services[0]!;
    const target = Object.values(service.environments.ppe!.regions)[0];
    const regionsOf = (e: Layout[number]) => AWS_REGIONS.slice(0, e.regions);
    raw.environments = layout.map((e) => ({
      name: e.name,
      trigger: e.trigger,
      regions: regionsOf(e),
      ...(e.freezeWaitHours !== undefined && { freezeWaitHours: e.freezeWaitHours }),
    }));
    const template = service.environments.ppe!;
    service.environments = Object.fromEntries(
      layout.map((e) => [
        e.name,
        { ...template, regions: Object.fromEntries(regionsOf(e).map((r) => [r, target])) },
      ]),
    );
    raw.services = [service];
    return raw;
  }

  const tooMany = (trigger: string, stages: number) =>
    `a ${trigger} deploys ${stages} stages (environment × region) in one execution; Step Functions' limit of ` +
    '25,000 history events allows at most 21: deploy fewer regions per trigger, or split the environments';
  const freezeWait = (stages: number, hours: number, every: string, most: number) =>
    `with ${stages} stages per execution, a wait of ${hours} hours would look for the end of a freeze only every ` +
    `${every} hours (Step Functions' limit of 25,000 history events); at most ${most} hours keeps it daily`;

  it.each<[string, Layout, [string, string][]]>([
    ['a push deploys 21 stages', [{ name: 'ppe', trigger: 'push', regions: 21 }], []],
    [
      'a push deploys 22 stages',
      [{ name: 'ppe', trigger: 'push', regions: 22 }],
      [['environments.0.regions', tooMany('push', 22)]],
    ],
    [
      'a tag chain (tag, then previous) deploys 22 stages after a push environment',
      [
        { name: 'a', trigger: 'push', regions: 1 },
        { name: 'b', trigger: 'tag', regions: 1 },
        { name: 'c', trigger: 'previous', regions: 21 },
      ],
      [['environments.2.regions', tooMany('tag', 22)]],
    ],
    [
      'a push chain deploys 22 stages after a tag environment',
      [
        { name: 'a', trigger: 'tag', regions: 1 },
        { name: 'b', trigger: 'push', regions: 1 },
        { name: 'c', trigger: 'previous', regions: 21 },
      ],
      [['environments.2.regions', tooMany('push', 22)]],
    ],
    [
      'a tag starts a second chain after a push chain',
      [
        { name: 'a', trigger: 'push', regions: 1 },
        { name: 'b', trigger: 'previous', regions: 1 },
        { name: 'c', trigger: 'tag', regions: 1 },
        { name: 'd', trigger: 'previous', regions: 21 },
      ],
      [['environments.3.regions', tooMany('tag', 22)]],
    ],
    [
      'a push deploys 21 stages and waits 144 hours for a freeze (a recheck exactly daily)',
      [{ name: 'ppe', trigger: 'push', regions: 21, freezeWaitHours: 144 }],
      [],
    ],
    [
      'a push deploys 21 stages and waits 145 hours for a freeze',
      [{ name: 'ppe', trigger: 'push', regions: 21, freezeWaitHours: 145 }],
      [['environments.0.freezeWaitHours', freezeWait(21, 145, '24.2', 144)]],
    ],
    [
      'a year-long freeze wait on a tag environment after a 4-stage push (the tag starts no push stage)',
      [
        { name: 'a', trigger: 'push', regions: 4 },
        { name: 'b', trigger: 'tag', regions: 1, freezeWaitHours: 8760 },
      ],
      [],
    ],
    [
      'a year-long freeze wait on a first environment triggered by the previous one (there is none)',
      [
        { name: 'a', trigger: 'previous', regions: 1, freezeWaitHours: 8760 },
        { name: 'b', trigger: 'push', regions: 4 },
      ],
      [['environments.0.trigger', 'the first environment has no previous environment: use "push" or "tag"']],
    ],
    [
      'a year-long freeze wait on every environment of a 4-stage release',
      [
        { name: 'a', trigger: 'push', regions: 1, freezeWaitHours: 8760 },
        { name: 'b', trigger: 'tag', regions: 1, freezeWaitHours: 8760 },
        { name: 'c', trigger: 'previous', regions: 3, freezeWaitHours: 8760 },
      ],
      [
        ['environments.1.freezeWaitHours', freezeWait(4, 8760, '32.2', 6528)],
        ['environments.2.freezeWaitHours', freezeWait(4, 8760, '32.2', 6528)],
      ],
    ],
    [
      'a year-long freeze wait along a 10-stage push chain, none on the tag',
      [
        { name: 'a', trigger: 'push', regions: 1, freezeWaitHours: 8760 },
        { name: 'b', trigger: 'previous', regions: 9, freezeWaitHours: 8760 },
        { name: 'c', trigger: 'tag', regions: 1 },
      ],
      [
        ['environments.0.freezeWaitHours', freezeWait(10, 8760, '116.8', 1800)],
        ['environments.1.freezeWaitHours', freezeWait(10, 8760, '116.8', 1800)],
      ],
    ],
  ])('when %s, the history limit problems are exact', (_what, layout, expected) => {
    // Act
    const result = pipelineConfigSchema.safeParse(configOf(layout));

    // Assess
    const issues = result.success ? [] : result.error.issues;
    expect(issues.map((i) => [i.path.join('.'), i.message])).toEqual(expected);
    expect(issues.map((i) => i.code)).toEqual(expected.map(() => 'custom'));
  });
});
