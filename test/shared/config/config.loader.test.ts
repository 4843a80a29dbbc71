import { ConfigError } from '../../../shared/config/config-error';
import { loadConfigFile, parseConfig } from '../../../shared/config/config.loader';
import { pipelineConfigSchema } from '../../../shared/config/config.schema';
import { gateChecksPerStage } from '../../../shared/domain/history-budget';
import { planStages } from '../../../shared/domain/stage';
import { AWS_REGIONS } from '../../../shared/config/aws-regions';
import {
  lineOf,
  positionOf,
  SAMPLE_CONFIG_FILE,
  sampleConfig,
  sampleConfigText,
} from '../../support/fixtures';
import { configErrorThrownBy } from '../../support/config-errors';

const FILE = 'pipeline.config.yml';

/** Replaces exactly one occurrence of `from` in the sample configuration. */
function breakSample(from: string, to: string): string {
  const text = sampleConfigText();
  if (text.split(from).length !== 2) throw new Error(`"${from}" must occur exactly once in the sample`);
  return text.replace(from, to);
}

/** The ConfigError that parsing `text` throws. */
function configErrorOf(text: string): ConfigError {
  return configErrorThrownBy(() => parseConfig(text, FILE));
}

describe('loadConfigFile / parseConfig', () => {
  it('when the sample configuration is loaded, it returns its environments and services', () => {
    // Prepare
    const file = SAMPLE_CONFIG_FILE;

    // Act
    const config = loadConfigFile(file);

    // Assess
    expect(config.version).toBe(1);
    expect(config.environments.map((e) => [e.name, e.trigger])).toEqual([
      ['ppe', 'push'],
      ['staging', 'tag'],
      ['prod', 'previous'],
    ]);
    expect(config.services.map((s) => s.ecrRepository)).toEqual(['orders-api', 'payments-api']);
    expect(config.services[0]?.environments.ppe?.smoke.map((s) => s.name)).toEqual(['health', 'orders-list']);
  });

  it('when the YAML expands aliases without bound (billion laughs), it throws a ConfigError, not a crash', () => {
    // Prepare
    const levels = 'abcdefgh'.split('');
    const bomb = levels
      .map(
        (name, i) =>
          `${name}: &${name} [${Array(9)
            .fill(i === 0 ? 'lol' : `*${levels[i - 1]}`)
            .join(', ')}]`,
      )
      .join('\n');

    // Act
    const error = configErrorOf(bomb);

    // Assess
    expect(error.message).toMatch(/^pipeline\.config\.yml: .*\n {2}cannot read the YAML: .*alias/s);
  });

  it('when the file does not exist, it throws a ConfigError naming the file', () => {
    // Prepare
    const file = 'does-not-exist.config.yml';

    // Act
    const load = () => loadConfigFile(file);

    // Assess
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(
      `does-not-exist.config.yml: invalid pipeline configuration\n  no such file in ${process.cwd()}: ` +
        'run where the configuration is, or give its path (pipeline commands: --config <file>)',
    );
  });

  it('when the path is a directory, it says so and how to name the file', () => {
    // Act
    const load = () => loadConfigFile(__dirname);

    // Assess
    expect(load).toThrow(
      `${__dirname}: invalid pipeline configuration\n  a directory, not the configuration file: ` +
        'give its path (pipeline commands: --config <file>)',
    );
  });

  it('when an environment has an unknown field, it names the file, the path, the line and the field', () => {
    // Prepare
    const text = breakSample('    trigger: push\n', '    trigger: push\n    colour: blue\n');

    // Act
    const error = configErrorOf(text);

    // Assess
    expect(error.file).toBe(FILE);
    expect(error.message).toContain(`${FILE}: invalid pipeline configuration`);
    expect(error.problems).toEqual([
      `${positionOf(FILE, text, 'colour: blue', 'colour')}: environments[0].colour: unknown field "colour"`,
    ]);
  });

  it('when a trigger is not push, tag or previous, it names the path and the line and lists the triggers', () => {
    // Prepare
    const text = breakSample('trigger: tag', 'trigger: release');

    // Act
    const error = configErrorOf(text);

    // Assess
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(
      new RegExp(
        `^${positionOf(FILE, text, 'trigger: release', 'trigger')}: environments\\[1\\]\\.trigger: trigger must be "push"`,
      ),
    );
    expect(error.problems[0]).toContain('"tag"');
    expect(error.problems[0]).toContain('"previous"');
  });

  it('when the first environment is triggered by "previous", it says there is no previous environment', () => {
    // Prepare
    const text = breakSample('trigger: push', 'trigger: previous');

    // Act
    const error = configErrorOf(text);

    // Assess
    expect(error.problems).toEqual([
      `${positionOf(FILE, text, 'trigger: previous', 'trigger')}: environments[0].trigger: ` +
        'the first environment has no previous environment: use "push" or "tag"',
    ]);
  });

  it('when a service lacks a target for a region of the environment, it names the service, environment and region', () => {
    // Prepare: PPE also deploys to us-east-1, which no service configures
    const text = breakSample(
      'regions: [eu-west-1]\n  - name: staging',
      'regions: [eu-west-1, us-east-1]\n  - name: staging',
    );

    // Act
    const error = configErrorOf(text);

    // Assess
    const regionsKey = `${FILE}:${lineOf(text, 'cluster: ppe,') - 3}:9`; // the `regions:` key under ppe
    expect(error.problems[0]).toBe(
      `${regionsKey}: services[0].environments.ppe.regions: ` +
        'missing region "us-east-1", which environment "ppe" deploys to',
    );
    expect(error.problems[1]).toMatch(
      /^pipeline\.config\.yml:\d+:9: services\[1\]\.environments\.ppe\.regions: missing region "us-east-1"/,
    );
  });

  it('when a service targets a region its environment does not deploy to, it names that region and its line', () => {
    // Prepare: prod no longer deploys to ap-southeast-2, yet both services still target it
    const text = breakSample(
      'regions: [eu-west-1, us-east-1, ap-southeast-2]',
      'regions: [eu-west-1, us-east-1]',
    );

    // Act
    const error = configErrorOf(text);

    // Assess
    const ordersTarget = lineOf(text, "endpoint: 'https://orders-api.ap-southeast-2") - 5; // the key itself
    expect(error.problems).toHaveLength(2);
    expect(error.problems[0]).toBe(
      `${FILE}:${ordersTarget}:11: services[0].environments.prod.regions.ap-southeast-2: ` +
        'environment "prod" does not deploy to ap-southeast-2: add it to environments[].regions or remove it here',
    );
    expect(error.problems[1]).toMatch(
      /^pipeline\.config\.yml:\d+:11: services\[1\]\.environments\.prod\.regions\.ap-southeast-2: /,
    );
  });

  it('when two services have the same name, it names the second one and its line', () => {
    // Prepare
    const text = breakSample('  - name: payments-api', '  - name: orders-api');

    // Act
    const error = configErrorOf(text);

    // Assess
    const line = lineOf(text, 'ecrRepository: payments-api') - 1;
    expect(error.problems).toEqual([`${FILE}:${line}:5: services[1].name: "orders-api" is defined twice`]);
  });

  it('when gitRepository is a CodeCommit repository name (no owner), it accepts it', () => {
    // Prepare
    const text = breakSample('gitRepository: example-org/orders-api', 'gitRepository: orders-api');

    // Act
    const config = parseConfig(text, FILE);

    // Assess
    expect(config.services[0]?.gitRepository).toBe('orders-api');
  });

  it('when gitRepository is neither owner/name nor a CodeCommit name, it says which forms it takes', () => {
    // Prepare
    const text = breakSample('gitRepository: example-org/orders-api', 'gitRepository: orders api');

    // Act
    const error = configErrorOf(text);

    // Assess
    expect(error.problems).toEqual([
      `${positionOf(FILE, text, 'gitRepository: orders api', 'gitRepository')}: services[0].gitRepository: ` +
        'must be "owner/name" as GitHub shows it, or a CodeCommit repository name ' +
        '(letters, digits, ".", "_" and "-", at most 100)',
    ]);
  });

  it('when a long freezeWaitHours would space freeze checks more than a day apart, it names the key and the bound', () => {
    // Prepare: a release deploys 4 stages (staging + 3 prod regions)
    const text = breakSample(
      '    regions: [eu-west-1, us-east-1, ap-southeast-2]\n',
      '    regions: [eu-west-1, us-east-1, ap-southeast-2]\n    freezeWaitHours: 8760\n',
    );

    // Act
    const error = configErrorOf(text);

    // Assess
    expect(error.problems).toEqual([
      `${positionOf(FILE, text, 'freezeWaitHours: 8760', 'freezeWaitHours')}: environments[2].freezeWaitHours: ` +
        'with 4 stages per execution, a wait of 8760 hours would look for the end of a freeze only every ' +
        "32.2 hours (Step Functions' limit of 25,000 history events); at most 6528 hours keeps it daily",
    ]);
  });

  it('when a trigger deploys more stages than the history limit allows, it names the regions and the bound', () => {
    // Prepare: 25 prod regions
    const regions = AWS_REGIONS.slice(0, 25);
    const config = sampleConfig();
    config.environments[2]!.regions = regions;
    for (const service of config.services)
      service.environments.prod!.regions = Object.fromEntries(
        regions.map((r) => [r, Object.values(service.environments.prod!.regions)[0]!]),
      );

    // Act
    const result = pipelineConfigSchema.safeParse(config);

    // Assess
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => [i.path.join('.'), i.message])).toContainEqual([
      'environments.2.regions',
      "a tag deploys 26 stages (environment × region) in one execution; Step Functions' limit of 25,000 " +
        'history events allows at most 21: deploy fewer regions per trigger, or split the environments',
    ]);
  });

  it('when two services push to the same ECR repository, it names the repository and its line', () => {
    // Prepare
    const text = breakSample('ecrRepository: payments-api', 'ecrRepository: orders-api');

    // Act
    const error = configErrorOf(text);

    // Assess
    const line = lineOf(text, 'gitRepository: example-org/payments-api') - 1;
    expect(error.problems).toEqual([
      `${FILE}:${line}:5: services[1].ecrRepository: "orders-api" already belongs to another service: ` +
        'a push must map to one service',
    ]);
  });

  it('when an approver is not an email address, it names the approver entry and its line', () => {
    // Prepare
    const text = breakSample('release-manager@example.com', 'release-manager');

    // Act
    const error = configErrorOf(text);

    // Assess
    expect(error.problems).toEqual([
      `${positionOf(FILE, text, 'approvers:', 'release-manager,')}: environments[2].approval.approvers[0]: each approver must be an email address`,
    ]);
  });

  it('when minApprovals exceeds the number of approvers, it names minApprovals and its line', () => {
    // Prepare
    const text = breakSample('minApprovals: 1', 'minApprovals: 3');

    // Act
    const error = configErrorOf(text);

    // Assess
    expect(error.problems).toEqual([
      `${positionOf(FILE, text, 'minApprovals: 3', 'minApprovals')}: environments[2].approval.minApprovals: ` +
        'minApprovals cannot exceed the number of approvers',
    ]);
  });

  it('when the text is not valid YAML, it throws a ConfigError naming the file and the syntax problem', () => {
    // Prepare
    const text = breakSample('version: 1', 'version: [1');

    // Act
    const error = configErrorOf(text);

    // Assess
    expect(error.message.startsWith(`${FILE}: invalid pipeline configuration\n`)).toBe(true);
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^pipeline\.config\.yml:\d+:\d+: YAML syntax: .*end with a \]$/);
  });

  it('when a field is misspelt, it points at the key itself and suggests the field it meant', () => {
    // Prepare
    const text = sampleConfigText().replace('bakeMinutes: 5\n', 'bakeMinute: 5\n');

    // Act
    const error = configErrorOf(text);

    // Assess
    expect(error.problems).toEqual([
      `${positionOf(FILE, text, 'bakeMinute: 5', 'bakeMinute')}: services[0].environments.ppe.bakeMinute: ` +
        'unknown field "bakeMinute" (did you mean "bakeMinutes"?)',
    ]);
  });

  it.each([
    [
      'bakeMinutes',
      'bakeMinutes: 5\n',
      'bakeMinutes: -5\n',
      'services[0].environments.ppe.bakeMinutes: must be at least 0, got -5',
    ],
    [
      'timeoutHours',
      'timeoutHours: 168',
      'timeoutHours: 0',
      'environments[2].approval.timeoutHours: must be more than 0, got 0',
    ],
    [
      'expectStatus',
      'expectStatus: 200',
      'expectStatus: 999',
      'services[0].environments.ppe.smoke[0].expectStatus: must be at most 599, got 999',
    ],
  ])(
    'when a number is out of its range (%s), it names the bound and the number written',
    (key, from, to, problem) => {
      // Prepare
      const text = sampleConfigText().replace(from, to);

      // Act
      const error = configErrorOf(text);

      // Assess
      expect(error.problems[0]).toBe(`${positionOf(FILE, text, to.trim(), key)}: ${problem}`);
    },
  );

  it('when bakeMinutes carries a unit (5m), it says to write the number alone and in which unit', () => {
    // Prepare
    const text = sampleConfigText().replace('bakeMinutes: 5\n', 'bakeMinutes: 5m\n');

    // Act
    const error = configErrorOf(text);

    // Assess
    expect(error.problems).toEqual([
      `${positionOf(FILE, text, 'bakeMinutes: 5m', 'bakeMinutes')}: services[0].environments.ppe.bakeMinutes: ` +
        'expected a number, got "5m": write the number alone (bakeMinutes is in minutes)',
    ]);
  });

  it.each([
    ['an empty file', ''],
    ['only comments', '# nothing yet\n'],
  ])('when the file has %s, it says the file is empty and what it needs', (_, text) => {
    // Act
    const error = configErrorOf(text);

    // Assess
    expect(error.problems).toEqual([
      `${FILE}:1:1: the file is empty: it needs version: 1, environments and services (start from the repository's pipeline.config.yml)`,
    ]);
  });

  it('when a tab indents a line, it says YAML indents with spaces, once, at that line', () => {
    // Prepare
    const text = breakSample('    trigger: push\n', '\ttrigger: push\n');

    // Act
    const error = configErrorOf(text);

    // Assess
    expect(error.problems).toEqual([
      `${FILE}:${lineOf(text, '\ttrigger: push')}:1: YAML syntax: a tab indents this line: YAML indents with spaces only`,
    ]);
  });

  it('when the YAML has several syntax errors, it reports the first one only, as one line', () => {
    // Prepare: a broken key and an unclosed list further down
    const text = breakSample('version: 1', 'version: 1\nrelea ses: 1\n  x: 2\nfoo: [');

    // Act
    const error = configErrorOf(text);

    // Assess
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^pipeline\.config\.yml:\d+:\d+: YAML syntax: [^\n]+$/);
  });

  it.each([
    ['EU-WEST-1', '"EU-WEST-1": region codes are lowercase, write eu-west-1'],
    ['eu-mars-1', '"eu-mars-1" is not an AWS region (the known regions are in shared/config/aws-regions.ts)'],
    [
      'eu-wset-1',
      '"eu-wset-1" is not an AWS region (did you mean "eu-west-1"?) (the known regions are in shared/config/aws-regions.ts)',
    ],
    ['europe', '"europe" is not an AWS region code such as eu-west-1'],
  ])('when an environment deploys to %s, it says what is wrong with the region, once', (bad, message) => {
    // Prepare
    const text = breakSample(
      'regions: [eu-west-1]\n  - name: staging',
      `regions: [${bad}]\n  - name: staging`,
    );

    // Act
    const error = configErrorOf(text);

    // Assess: one problem at the region, not one more per service that deploys there
    expect(error.problems).toEqual([
      `${positionOf(FILE, text, `regions: [${bad}]`, bad)}: environments[0].regions[0]: ${message}`,
    ]);
  });

  it('when a service targets a region that does not exist, it names that key', () => {
    // Prepare
    const text = breakSample(
      '          eu-west-1:\n            {\n              cluster: ppe,\n              service: orders-api,',
      '          eu-mars-1:\n            {\n              cluster: ppe,\n              service: orders-api,',
    );

    // Act
    const error = configErrorOf(text);

    // Assess
    expect(error.problems[0]).toBe(
      `${positionOf(FILE, text, 'eu-mars-1:', 'eu-mars-1')}: services[0].environments.ppe.regions.eu-mars-1: ` +
        '"eu-mars-1" is not an AWS region (the known regions are in shared/config/aws-regions.ts)',
    );
  });

  it('when two services have the same git repository, it names the second and the service that has it', () => {
    // Prepare: a tag on example-org/orders-api could only ever release the first
    const text = breakSample(
      'gitRepository: example-org/payments-api',
      'gitRepository: Example-Org/orders-api',
    );

    // Act
    const error = configErrorOf(text);

    // Assess
    expect(error.problems).toEqual([
      `${positionOf(FILE, text, 'gitRepository: Example-Org/orders-api', 'gitRepository')}: services[1].gitRepository: ` +
        '"Example-Org/orders-api" is already the git repository of orders-api: a tag must map to one service ' +
        '(give each service its own repository)',
    ]);
  });

  it('when a mapping has the same key twice, it rejects the file instead of keeping the last value', () => {
    // Prepare
    const text = breakSample('version: 1', 'version: 1\nversion: 2');

    // Act
    const error = configErrorOf(text);

    // Assess
    expect(error.problems.join('\n')).toMatch(/keys must be unique/i);
  });
});

describe('planStages', () => {
  it('when an image is pushed, it plans PPE in eu-west-1 only, without approval', () => {
    // Prepare
    const config = sampleConfig();

    // Act
    const stages = planStages(config, 'orders-api', 'push');

    // Assess
    expect(stages).toHaveLength(1);
    expect(stages[0]).toEqual({
      environment: 'ppe',
      region: 'eu-west-1',
      cluster: 'ppe',
      service: 'orders-api',
      container: 'app',
      endpoint: 'https://orders-api.ppe.eu-west-1.example.internal',
      smoke: config.services[0]?.environments.ppe?.smoke,
      alarms: { names: ['orders-api-ppe-5xx'], prefixes: ['orders-api-ppe-latency'] },
      bakeSeconds: 300,
      deploymentTimeoutSeconds: 1800,
      gate: { windows: [], maxWaitSeconds: 24 * 3600, maxChecks: gateChecksPerStage(1) },
    });
  });

  it('when a version is tagged, it plans staging then the prod regions in configured order, approval only on prod', () => {
    // Prepare
    const config = sampleConfig();

    // Act
    const stages = planStages(config, 'orders-api', 'tag');

    // Assess
    expect(stages.map((s) => `${s.environment}/${s.region}`)).toEqual([
      'staging/eu-west-1',
      'prod/eu-west-1',
      'prod/us-east-1',
      'prod/ap-southeast-2',
    ]);
    expect(stages[0]?.approval).toBeUndefined();
    for (const prod of stages.slice(1)) {
      expect(prod.approval).toEqual({
        approvers: ['release-manager@example.com', 'oncall-lead@example.com'],
        minApprovals: 1,
        timeoutSeconds: 168 * 3600,
        timeoutHours: 168,
        allowSelfApproval: false,
      });
      expect(prod.bakeSeconds).toBe(30 * 60);
      expect(prod.deploymentTimeoutSeconds).toBe(45 * 60);
    }
    expect(stages[3]?.endpoint).toBe('https://orders-api.ap-southeast-2.example.internal');
  });

  describe('with dev (push), qa (previous), staging (tag), prod (previous)', () => {
    const target = (cluster: string, region: string) =>
      `{ cluster: ${cluster}, service: web, container: app, endpoint: 'https://web.${cluster}.${region}.example.internal' }`;
    const text = [
      'version: 1',
      'environments:',
      '  - { name: dev, trigger: push, regions: [eu-west-1] }',
      '  - { name: qa, trigger: previous, regions: [eu-west-1] }',
      '  - { name: staging, trigger: tag, regions: [eu-west-1] }',
      '  - { name: prod, trigger: previous, regions: [eu-west-1, us-east-1] }',
      'services:',
      '  - name: web',
      '    ecrRepository: team/web',
      '    environments:',
      `      dev: { regions: { eu-west-1: ${target('dev', 'eu-west-1')} } }`,
      `      qa: { regions: { eu-west-1: ${target('qa', 'eu-west-1')} } }`,
      `      staging: { regions: { eu-west-1: ${target('staging', 'eu-west-1')} } }`,
      `      prod: { regions: { eu-west-1: ${target('prod', 'eu-west-1')}, us-east-1: ${target('prod', 'us-east-1')} } }`,
      '',
    ].join('\n');

    it('when an image is pushed, it plans dev then qa', () => {
      // Prepare
      const config = parseConfig(text, 'team.config.yml');

      // Act
      const stages = planStages(config, 'web', 'push');

      // Assess
      expect(stages.map((s) => `${s.environment}/${s.region}/${s.cluster}`)).toEqual([
        'dev/eu-west-1/dev',
        'qa/eu-west-1/qa',
      ]);
    });

    it('when a version is tagged, it plans staging then both prod regions', () => {
      // Prepare
      const config = parseConfig(text, 'team.config.yml');

      // Act
      const stages = planStages(config, 'web', 'tag');

      // Assess
      expect(stages.map((s) => `${s.environment}/${s.region}`)).toEqual([
        'staging/eu-west-1',
        'prod/eu-west-1',
        'prod/us-east-1',
      ]);
      // defaults apply where the file says nothing
      expect(stages[0]?.bakeSeconds).toBe(600);
      expect(stages[0]?.deploymentTimeoutSeconds).toBe(1800);
      expect(stages[0]?.smoke).toEqual([]);
    });
  });

  it('when the service is not configured, it throws naming the service', () => {
    // Prepare
    const config = sampleConfig();

    // Act
    const plan = () => planStages(config, 'billing-worker', 'push');

    // Assess
    expect(plan).toThrow('unknown service "billing-worker"');
  });
});
