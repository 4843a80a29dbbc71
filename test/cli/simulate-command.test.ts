import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli';

const ROOT = join(__dirname, '..', '..');
const ev = (name: string) => join(ROOT, 'events', name);
const CONFIG = join(ROOT, 'pipeline.config.yml');

const run = runCli;

/** `text` as bad.yml in a new temporary directory; its path. */
function badConfigFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'pipeline-config-')), 'bad.yml');
  writeFileSync(file, text);
  return file;
}

describe('pipeline simulate', () => {
  it('when given one push with --json, it reports the execution, its transitions and the PPE deployment', async () => {
    // Act
    const { code, out, err } = await run(
      'simulate',
      '--event',
      ev('ecr-push-orders-api.json'),
      '--config',
      CONFIG,
      '--json',
    );

    // Assess
    expect(err).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(out);
    expect(report.ignored).toEqual([]);
    expect(report.executions).toHaveLength(1);
    expect(report.executions[0]).toMatchObject({
      stateMachine: 'promote',
      name: 'push-orders-api-4b825dc642cb-3f7a9c3f7a9c',
      status: 'SUCCEEDED',
      transitions: 13,
      deployments: [
        {
          service: 'orders-api',
          environment: 'ppe',
          region: 'eu-west-1',
          digest: 'sha256:3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a',
          outcome: 'deployed',
        },
      ],
    });
    expect(report.executions[0].states.map((s: { state: string }) => s.state)).toEqual([
      'Deploy each stage in order',
      'Take the deployment lock',
      'Superseded or needs approval?',
      'Check the deployment gate',
      'Deployment gate open?',
      'Deploy to region',
      'Wait for ECS deployment',
      'Run smoke checks',
      'Bake',
      'Check alarms after bake',
      'Complete the stage',
      'Stage deployed',
      'Promotion complete',
    ]);
  });

  it('when events include a duplicate and pushes no rule matches, it lists each under ignored with its reason', async () => {
    // Act
    const { code, out } = await run(
      'simulate',
      '--event',
      ev('ecr-push-orders-api.json'),
      '--event',
      ev('ecr-push-orders-api.json'),
      '--event',
      ev('ecr-push-latest-tag.json'),
      '--event',
      ev('ecr-push-unknown-repository.json'),
      '--json',
    );

    // Assess
    expect(code).toBe(0);
    const report = JSON.parse(out);
    expect(report.executions).toHaveLength(1);
    expect(report.ignored).toEqual([
      { event: ev('ecr-push-orders-api.json'), reason: expect.stringContaining('duplicate delivery') },
      {
        event: ev('ecr-push-latest-tag.json'),
        reason: expect.stringContaining('detail.image-tag "latest" is not one of [{"prefix":"sha-"}]'),
      },
      {
        event: ev('ecr-push-unknown-repository.json'),
        reason: expect.stringContaining(
          'detail.repository-name "billing-worker" is not one of ["orders-api","payments-api"]',
        ),
      },
    ]);
  });

  it('when a commit is marked broken, it reports the PPE deployment as rolled back with the cause', async () => {
    // Act
    const { code, out } = await run(
      'simulate',
      '--event',
      ev('ecr-push-orders-api.json'),
      '--event',
      ev('ecr-push-orders-api-broken.json'),
      '--break',
      'badc0ffee=alarm',
      '--json',
    );

    // Assess: a rollback is a run that did not do what it should (exit 1); the cause is text, not JSON in JSON
    expect(code).toBe(1);
    const [good, broken] = JSON.parse(out).executions;
    expect(good.deployments[0].outcome).toBe('deployed');
    expect(broken).toMatchObject({ status: 'FAILED', error: 'AlarmBreached' });
    expect(broken.deployments[0].outcome).toBe('rolled back');
    expect(broken.cause).toContain('orders-api-ppe-5xx');
    expect(broken.cause).not.toMatch(/^\{|errorMessage/);
  });

  it('when a production region is rejected, it reports the rejection and exits 1', async () => {
    // Act
    const { code, out } = await run(
      'simulate',
      '--event',
      ev('ecr-push-orders-api.json'),
      '--event',
      ev('git-tag-orders-api-v1.4.0.json'),
      '--reject-region',
      'us-east-1',
      '--json',
    );

    // Assess
    expect(code).toBe(1);
    const release = JSON.parse(out).executions[1];
    expect(
      release.deployments.map((d: { region: string; outcome: string }) => `${d.region} ${d.outcome}`),
    ).toContain('us-east-1 rejected');
  });

  it('when --reject-region names a region without approvals, it exits 2 and says which regions have them', async () => {
    // Act
    const { code, err } = await run(
      'simulate',
      '--event',
      ev('ecr-push-orders-api.json'),
      '--reject-region',
      'us-est-1',
    );

    // Assess
    expect(code).toBe(2);
    expect(err).toBe(
      'pipeline simulate: --reject-region us-est-1: no environment asks for approval in us-est-1 ' +
        '(did you mean "us-east-1"?) (regions with approvals: eu-west-1, us-east-1, ap-southeast-2)',
    );
  });

  it('when two pushes overlap, the second shows as queued behind the lock, not failed, and both exit 0', async () => {
    // Act
    const { code, out } = await run(
      'simulate',
      '--event',
      ev('ecr-push-orders-api.json'),
      '--event',
      ev('ecr-push-payments-api.json'),
      '--event',
      ev('ecr-push-orders-api-broken.json'),
      '--concurrent',
    );

    // Assess
    expect(code).toBe(0);
    expect(out).toMatch(/Take the deployment lock\s+queued \(another deployment held the lock\)/);
    expect(out).not.toContain('failed: StageLocked');
  });

  it('without --json, it prints a stage-by-stage account and the deployments', async () => {
    // Act
    const { code, out } = await run('simulate', '--event', ev('ecr-push-payments-api.json'));

    // Assess
    expect(code).toBe(0);
    expect(out).toContain(
      'promote push-payments-api-9fceb02d0ae5-8b21d48b21d4: SUCCEEDED, 13 state transitions',
    );
    expect(out).toMatch(/stage 1: ppe\/eu-west-1/);
    expect(out).toMatch(/Wait for ECS deployment\s+ok\s+1m 30s/);
    expect(out).toMatch(/Bake\s+ok\s+5m 00s/);
    expect(out).toMatch(/payments-api\s+ppe\s+eu-west-1\s+sha256:(8b21d4){10}8b21\s+deployed/);
  });

  it.each([
    [['simulate'], 'simulate needs at least one --event'],
    [
      ['simulate', '--event', ev('does-not-exist.json')],
      'does-not-exist.json: cannot read the event file (ENOENT)',
    ],
    [['simulate', '--event', ev('malformed-not-json.json')], 'malformed-not-json.json: not valid JSON'],
    [['simulate', '--event', ev('malformed-missing-envelope-fields.json')], 'not an EventBridge event: id'],
    [
      ['simulate', '--event', ev('github-push-tag-created.json')],
      'github-push-tag-created.json: not an EventBridge event: id: Invalid input: expected string, received undefined ' +
        '(this is an HTTP request as API Gateway passes it, such as a GitHub webhook delivery: POST its body, signed, ' +
        'to /webhooks/github of pipeline local; docs/git-tags.md)',
    ],
    [['simulate', '--event', ev('ecr-push-orders-api.json'), '--break', 'zzz=smoke'], '--break zzz=smoke'],
    [['simulate', '--events', ev('ecr-push-orders-api.json')], "Unknown option '--events'"],
    [['simulat'], 'unknown command "simulat"'],
  ])('when called as %j, it exits 2 with one line naming the problem', async (argv, message) => {
    // Act
    const { code, err, out } = await run(...argv);

    // Assess
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toContain(message);
    expect(err.split('\n')).toHaveLength(1);
  });

  it('when the config is invalid, it exits 2 naming the config file, the path and the problem', async () => {
    // Prepare
    const file = badConfigFile(
      'version: 1\nenvironments:\n  - name: ppe\n    trigger: whenever\n    regions: [eu-west-1]\nservices: []\n',
    );

    // Act
    const { code, err } = await run('simulate', '--event', ev('ecr-push-orders-api.json'), '--config', file);

    // Assess
    expect(code).toBe(2);
    expect(err.split('\n')[1]).toContain(`${file}:4:5: environments[0].trigger: trigger must be "push"`);
  });

  it('when the config has several problems, it prints one a line, each with file:line:column', async () => {
    // Prepare
    const file = badConfigFile(
      'version: 1\nenvironments:\n  - name: ppe\n    trigger: whenever\n    regoins: [eu-west-1]\nservices: []\n',
    );

    // Act
    const { code, err } = await run('simulate', '--event', ev('ecr-push-orders-api.json'), '--config', file);

    // Assess
    expect(code).toBe(2);
    expect(err.split('\n')).toEqual([
      `pipeline simulate: ${file}: 4 problems`,
      `${file}:3:5: environments[0].regions: missing "regions": it needs a list`,
      `${file}:4:5: environments[0].trigger: trigger must be "push" (an image push), "tag" (a git tag vX.Y.Z) or "previous" (success of the environment before it)`,
      `${file}:5:5: environments[0].regoins: unknown field "regoins" (did you mean "regions"?)`,
      `${file}:6:1: services: define at least one service`,
    ]);
  });

  it.each([
    [
      'without --redeploy',
      [],
      ['already running', 'already running', 'already running', 'already running'],
      18,
    ],
    ['with --redeploy', ['--redeploy'], ['deployed', 'deployed', 'deployed', 'deployed'], 53],
  ])(
    'when a second tag names the commit v1.4.0 released, %s its release stages are %j',
    async (_with, flags, outcomes, secondTransitions) => {
      // Act
      const { code, out } = await run(
        'simulate',
        '--event',
        ev('ecr-push-orders-api.json'),
        '--event',
        ev('git-tag-orders-api-v1.4.0.json'),
        '--event',
        ev('git-tag-orders-api-v1.4.1-same-commit.json'),
        '--json',
        ...flags,
      );

      // Assess
      expect(code).toBe(0);
      const releases = (
        JSON.parse(out) as {
          executions: { stateMachine: string; transitions: number; deployments: { outcome: string }[] }[];
        }
      ).executions.filter((e) => e.stateMachine === 'release');
      expect(releases).toHaveLength(2);
      expect(releases[0]!.deployments.map((d) => d.outcome)).toEqual(Array(4).fill('deployed'));
      expect(releases[1]!.deployments.map((d) => d.outcome)).toEqual(outcomes);
      expect(releases[1]!.transitions).toBe(secondTransitions);
    },
  );

  it('when run through the installed bin, it prints the JSON report', () => {
    // Act
    const out = execFileSync(
      process.execPath,
      [join(ROOT, 'bin', 'pipeline.js'), 'simulate', '--event', ev('ecr-push-orders-api.json'), '--json'],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );

    // Assess
    expect(JSON.parse(out).executions[0].status).toBe('SUCCEEDED');
  });
});
