import { serveLocalPipeline, type LocalHttpServer } from '../../local-runtime/local-http-server';
import { LocalPipeline } from '../../local-runtime/local-pipeline';
import { runCli } from '../support/cli';
import { loadEvent, sampleConfig } from '../support/fixtures';

/**
 * Every operator command in both output modes, and their bad arguments, against a local stack where one
 * good push deployed to PPE and a broken push was rolled back there.
 */
const good = loadEvent('ecr-push-orders-api.json');
const broken = loadEvent('ecr-push-orders-api-broken.json');
const BROKEN_COMMIT = String(broken.detail['image-tag']).replace('sha-', '');
const GOOD_EXECUTION = 'push-orders-api-4b825dc642cb-3f7a9c3f7a9c';

let pipeline: LocalPipeline;
let url: string;
let http: LocalHttpServer;
let brokenExecution: string;

beforeAll(async () => {
  pipeline = await LocalPipeline.start({
    config: sampleConfig(),
    behaviours: { [BROKEN_COMMIT.slice(0, 7)]: { failsHealthCheck: true } },
  });
  http = await serveLocalPipeline(pipeline, 0);
  url = http.url;
  await pipeline.putEvent(good);
  await pipeline.putEvent(broken);
  await pipeline.settled();
  const { executions } = await pipeline.engine.listExecutions({ statusFilter: 'FAILED' });
  brokenExecution = executions[0]!.name;
});

afterAll(async () => {
  await pipeline.close();
  await http.close();
});

const cli = (...args: string[]) => runCli(...args, '--local', '--url', url);
const json = async (...args: string[]) => {
  const result = await cli(...args, '--json');
  return { ...result, body: JSON.parse(result.out) as Record<string, unknown> };
};

describe('pipeline status', () => {
  it('when asked for a service, it prints each environment/region with the version, digest, time and execution', async () => {
    // Act
    const { code, out } = await cli('status', 'orders-api');

    // Assess
    expect(code).toBe(0);
    expect(out.split('\n')[0]).toBe('orders-api');
    expect(out).toMatch(/ENVIRONMENT +REGION +VERSION +DIGEST +SINCE +EXECUTION +NOW/);
    expect(out).toMatch(
      new RegExp(
        `ppe +eu-west-1 +sha-4b825dc642cb +3f7a9c3f7a9c +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC +${GOOD_EXECUTION} +-`,
      ),
    );
    expect(out).toMatch(/prod +us-east-1 +\(never deployed\)/);
    expect(out).not.toContain('payments-api');
  });

  it('when asked for JSON, it gives every target of every service with what runs there', async () => {
    // Act
    const { code, body } = await json('status');

    // Assess
    expect(code).toBe(0);
    const targets = body.targets as {
      service: string;
      environment: string;
      running: { version: string } | null;
    }[];
    expect(targets).toHaveLength(10);
    expect(targets.find((t) => t.service === 'orders-api' && t.environment === 'ppe')?.running?.version).toBe(
      'sha-4b825dc642cb6eb9a060e54bf8d69288fbee4904',
    );
    expect(body.frozen).toEqual([]);
  });
});

describe('pipeline executions and show', () => {
  it('when listing, it shows both executions newest first with the stage each reached', async () => {
    // Act
    const human = await cli('executions');
    const machine = await json('executions', '--status', 'failed');

    // Assess
    expect(human.code).toBe(0);
    const lines = human.out.split('\n');
    expect(lines[0]).toMatch(/^STARTED +STATUS +EXECUTION +SERVICE +VERSION +STAGE$/);
    expect(lines[1]).toMatch(
      new RegExp(
        `FAILED +${brokenExecution} +orders-api .*ppe/eu-west-1: Stop the stage \\(SmokeTestFailed\\)`,
      ),
    );
    expect(lines[2]).toMatch(new RegExp(`SUCCEEDED +${GOOD_EXECUTION}`));
    expect((machine.body.executions as { name: string }[]).map((e) => e.name)).toEqual([brokenExecution]);
  });

  it('when showing a failed execution, it gives the step table, the failing step, error and cause, and what to do', async () => {
    // Act
    const human = await cli('show', brokenExecution);
    const machine = await json('show', brokenExecution);

    // Assess
    expect(human.code).toBe(0);
    expect(human.out).toContain('ppe/eu-west-1: rolled back');
    expect(human.out).toMatch(/Run smoke checks +failed: SmokeTestFailed +\S.* +3\n/); // two retries
    expect(human.out).toMatch(/Failed at ppe\/eu-west-1 › Run smoke checks: SmokeTestFailed/);
    expect(human.out).toContain('expected status 200, got 503');
    // The suggested command keeps the flags this one was given: it talks to the same stack
    expect(human.out).toContain(`pipeline redrive ${brokenExecution} --local --url ${url}\``);
    expect(machine.body).toMatchObject({
      name: brokenExecution,
      status: 'FAILED',
      failure: {
        error: 'SmokeTestFailed',
        step: 'ppe/eu-west-1 › Run smoke checks',
        cause: expect.stringContaining('rolled back'),
      },
    });
  });

  it('when the execution does not exist, it says so and exits 1', async () => {
    // Act
    const { code, out } = await cli('show', 'push-nope');

    // Assess
    expect(code).toBe(1);
    expect(out).toBe('no execution named push-nope (see: pipeline executions)');
  });
});

describe('pipeline history', () => {
  it('when asked, it lists the deployment records newest first, in both modes', async () => {
    // Act
    const human = await cli('history', 'orders-api', '--environment', 'ppe');
    const machine = await json('history', 'orders-api');

    // Assess
    expect(human.code).toBe(0);
    const lines = human.out.split('\n');
    expect(lines[0]).toMatch(/^AT +ENVIRONMENT +REGION +VERSION +DIGEST +KIND +OUTCOME +BY +EXECUTION$/);
    expect(lines[1]).toMatch(
      /ppe +eu-west-1 +sha-badc0ffee0dd .* deploy +rolled back \(SmokeTestFailed: .*\) +ECR push/,
    );
    expect(lines[2]).toMatch(
      /ppe +eu-west-1 +sha-4b825dc642cb .* deploy +deployed +ECR push \(event 5e1c0e6b\)/,
    );
    expect((machine.body.records as { outcome: string }[]).map((r) => r.outcome)).toEqual([
      'rolled back',
      'deployed',
    ]);
  });
});

describe('pipeline redrive, rollback, approve, freeze', () => {
  it('when the execution succeeded, redrive refuses with the reason', async () => {
    // Act
    const human = await cli('redrive', GOOD_EXECUTION);
    const machine = await json('redrive', GOOD_EXECUTION);

    // Assess
    expect(human).toMatchObject({ code: 1 });
    expect(human.out).toContain(
      `${GOOD_EXECUTION} is SUCCEEDED: only a FAILED, TIMED_OUT or ABORTED execution can be redriven`,
    );
    expect(machine.body).toMatchObject({ outcome: 'refused', refusals: [{ overridable: false }] });
  });

  it('when there is no earlier release to go back to, rollback refuses and says to name one', async () => {
    // Act
    const human = await cli('rollback', 'orders-api', 'ppe', '--yes');
    const machine = await json('rollback', 'orders-api', 'staging', '--to', 'v9.9.9', '--yes');

    // Assess
    expect(human.code).toBe(1);
    expect(human.out).toBe(
      'Not rolled back: orders-api has no earlier release in ppe to roll back to; name one with --to',
    );
    expect(machine.body).toEqual({
      outcome: 'refused',
      reason:
        'orders-api v9.9.9 was never deployed by the pipeline, so its image is not known (known: sha-4b825dc642cb6eb9a060e54bf8d69288fbee4904)',
    });
  });

  it('when the approval does not exist, approve says so and exits 1, in both modes', async () => {
    // Act
    const human = await cli('approve', 'no-such-approval', '--as', 'release-manager@example.com');
    const machine = await json('reject', 'no-such-approval');

    // Assess
    expect(human).toMatchObject({
      code: 1,
      out: "no approval no-such-approval (check the id in the email's link)",
    });
    expect(machine.body).toEqual({ outcome: 'not-found', approvalId: 'no-such-approval' });
  });

  it('when an environment is frozen and unfrozen, status shows it meanwhile, in both modes', async () => {
    // Act
    const frozen = await json(
      'freeze',
      'staging',
      '--reason',
      'game day',
      '--for',
      '2',
      '--as',
      'oncall@example.com',
    );
    const shown = await cli('status', 'orders-api');
    const unfrozen = await cli('unfreeze', 'staging');
    const again = await json('unfreeze', 'staging');

    // Assess
    expect(frozen.body).toMatchObject({
      environment: 'staging',
      freeze: { reason: 'game day', by: 'oncall@example.com' },
    });
    expect(shown.out.split('\n')[0]).toMatch(
      /^FROZEN staging since .* by oncall@example\.com: game day \(until .*\)$/,
    );
    expect(unfrozen.out).toMatch(/^Unfrozen staging \(frozen since .* by oncall@example\.com\)/);
    expect(again.body).toEqual({ environment: 'staging', lifted: null });
  });
});

describe('operator commands given bad arguments', () => {
  it.each([
    [
      ['status', 'billing-api'],
      'pipeline status: no service "billing-api" in the config (services: orders-api, payments-api)',
    ],
    [['status', 'a', 'b'], 'pipeline status: give at most one service'],
    [
      ['executions', '--status', 'DONE'],
      'pipeline executions: --status must be one of RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE; got "DONE"',
    ],
    [['executions', '--limit', '0'], 'pipeline executions: --limit must be a positive whole number, got "0"'],
    [['show'], 'pipeline show: give one execution name (see: pipeline executions)'],
    [['history'], 'pipeline history: give one service (see: pipeline status)'],
    [
      ['redrive', 'x', '--force'],
      'pipeline redrive: --force deploys an older version over a newer one: add --yes to confirm',
    ],
    [
      ['rollback', 'orders-api', 'prod'],
      'pipeline rollback: a rollback deploys at once: add --yes to confirm',
    ],
    [
      ['rollback', 'orders-api', '--yes'],
      'pipeline rollback: give the service and the environment: pipeline rollback orders-api prod',
    ],
    [['approve'], 'pipeline approve: give one approval id (from the email or pipeline status)'],
    [['freeze', 'prod'], 'pipeline freeze: a freeze needs --reason: say why deployments must wait'],
    [
      ['freeze', 'qa', '--reason', 'x'],
      'pipeline freeze: no environment "qa" in the config (environments: ppe, staging, prod)',
    ],
    [
      ['freeze', 'prod', '--reason', 'x', '--for', 'ever'],
      'pipeline freeze: --for must be a number of hours above 0, at most 720 (30 days), got "ever"',
    ],
    [
      ['freeze', 'prod', '--reason', 'x', '--for', '0'],
      'pipeline freeze: --for must be a number of hours above 0, at most 720 (30 days), got "0"',
    ],
    [['unfreeze', 'prod', '--reason', 'x'], 'pipeline unfreeze: unfreeze takes no --reason or --for'],
    [
      ['status', '--bogus'],
      "pipeline status: Unknown option '--bogus'. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- \"--bogus\"",
    ],
  ])('when given %j, it exits 2 with one line saying what is wrong', async (args, message) => {
    // Act
    const { code, err, out } = await cli(...args);

    // Assess
    expect({ code, err, out }).toEqual({ code: 2, err: message, out: '' });
  });

  it.each([
    [
      ['status', '--url', 'http://127.0.0.1:1'],
      'pipeline status: --url goes with --local (the local stack’s address)',
    ],
    [['status', '--local', '--stage', 'prod'], 'pipeline status: --stage is for AWS; drop it with --local'],
    [
      ['status', '--local', '--url', 'http://example.com'],
      'pipeline status: --url (or PIPELINE_LOCAL_URL) must be an http://127.0.0.1:<port> address (the local stack), got "http://example.com"',
    ],
    [
      ['status', '--stage', 'prod;rm'],
      'pipeline status: --stage must be letters, digits and dashes, got "prod;rm"',
    ],
  ])('when the connection options %j are wrong, it exits 2', async (args, message) => {
    // Act
    const { code, err } = await runCli(...args);

    // Assess
    expect({ code, err }).toEqual({ code: 2, err: message });
  });

  it('when the local stack is not running, it exits 3 and says to start it', async () => {
    // Act
    const { code, err } = await runCli('history', 'orders-api', '--local', '--url', 'http://127.0.0.1:9');

    // Assess
    expect(code).toBe(3);
    expect(err).toMatch(
      /^pipeline history: the local stack does not answer \(connection refused\): start it with `pipeline local`, or give its --url$/,
    );
  });
});
