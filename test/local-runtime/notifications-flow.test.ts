import { LocalPipeline, type LocalPipelineOptions } from '../../local-runtime/local-pipeline';
import { readableCause } from '../../shared/domain/failure-cause';
import { DEPLOYED_ENV } from '../../shared/domain/deployment-record';
import { loadEvent, sampleConfig } from '../support/fixtures';

/**
 * Notifications from the real stop-stage and request-approval steps, run by the real state machines in the
 * local runtime; the local notification topic keeps what was published.
 */
const ORDERS_PPE = { region: 'eu-west-1', cluster: 'ppe', service: 'orders-api' };
const GOOD_COMMIT = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const BROKEN_NAME = 'push-orders-api-badc0ffee0dd-c0ffeec0ffee';

let pipeline: LocalPipeline;

async function start(options: Partial<LocalPipelineOptions> = {}): Promise<void> {
  pipeline = await LocalPipeline.start({ config: sampleConfig(), ...options });
}

async function deliver(file: string): Promise<void> {
  await pipeline.putEvent(loadEvent(file));
  await pipeline.settled();
}

async function execution(name: string) {
  const { executions } = await pipeline.engine.listExecutions({});
  const found = executions.find((e) => e.name === name);
  if (!found) throw new Error(`no execution ${name}`);
  return pipeline.engine.describeExecution({ executionArn: found.executionArn });
}

afterEach(async () => {
  await pipeline?.close();
});

describe('notifications, executed locally', () => {
  it('when a PPE stage fails its smoke tests and rolls back, it publishes one concise rolled-back notification', async () => {
    // Prepare
    await start({ behaviours: { badc0ffee: { failsHealthCheck: true } } });
    await deliver('ecr-push-orders-api.json');

    // Act
    await deliver('ecr-push-orders-api-broken.json');

    // Assess
    const failed = await execution(BROKEN_NAME);
    expect(failed.status).toBe('FAILED');
    expect(pipeline.notifications.list()).toEqual([
      {
        kind: 'stage-rolled-back',
        subject: 'orders-api sha-badc0ffee0dd rolled back in ppe/eu-west-1 (SmokeTestFailed)',
        text: [
          'orders-api sha-badc0ffee0dd rolled back in ppe/eu-west-1.',
          readableCause(failed.cause),
          `Execution: ${BROKEN_NAME}`,
        ].join('\n'),
        service: 'orders-api',
        version: 'sha-badc0ffee0ddf00d1234567890abcdef12345678',
        environment: 'ppe',
        region: 'eu-west-1',
        executionName: BROKEN_NAME,
        at: expect.any(Number),
      },
    ]);
    expect(readableCause(failed.cause)).toMatch(
      /^SmokeTestFailed: .*expected status 200, got 503 \(in ppe\/eu-west-1; rolled back: restored orders-api:\d+\)$/,
    );
  });

  it('when the notification topic is unavailable, the failed stage still rolls back and fails with its own error', async () => {
    // Prepare
    await start({ behaviours: { badc0ffee: { failsHealthCheck: true } } });
    await deliver('ecr-push-orders-api.json');
    pipeline.notifications.failNext(1);

    // Act
    await deliver('ecr-push-orders-api-broken.json');

    // Assess
    const failed = await execution(BROKEN_NAME);
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toBe('SmokeTestFailed');
    expect(failed.cause).toContain('rolled back');
    expect(pipeline.platform.serving(ORDERS_PPE)?.containers[0]?.environment[DEPLOYED_ENV.commit]).toBe(
      GOOD_COMMIT,
    );
    expect(pipeline.notifications.list()).toEqual([]);
    const stopStageRuns = pipeline.lambdas.invocations.filter((i) => i.functionName === 'stopStage');
    expect(stopStageRuns).toEqual([expect.objectContaining({ errorName: 'SmokeTestFailed' })]);
  });

  it('when a successful promotion runs, it publishes nothing', async () => {
    // Prepare
    await start();

    // Act
    await deliver('ecr-push-orders-api.json');

    // Assess
    expect(pipeline.notifications.list()).toEqual([]);
  });

  it('when a release waits for approval in each production region, it announces each wait once, without the links', async () => {
    // Prepare
    await start();
    await deliver('ecr-push-orders-api.json');
    pipeline.notifications.failNext(1); // the first announcement is lost: the release goes on regardless

    // Act
    await deliver('git-tag-orders-api-v1.4.0.json');

    // Assess
    const { executions } = await pipeline.engine.listExecutions({
      stateMachineArn: pipeline.stateMachineArns.release,
    });
    expect(executions.map((e) => e.status)).toEqual(['SUCCEEDED']);
    const published = pipeline.notifications.list();
    expect(published.map((n) => [n.kind, n.environment, n.region])).toEqual([
      ['approval-waiting', 'prod', 'us-east-1'],
      ['approval-waiting', 'prod', 'ap-southeast-2'],
    ]);
    expect(published[0]).toMatchObject({
      subject: 'orders-api v1.4.0 waits for approval in prod/us-east-1',
      version: 'v1.4.0',
      executionName: executions[0]!.name,
    });
    expect(published[0]!.text).toMatch(
      /^orders-api v1\.4\.0 \(commit 4b825dc642cb\) waits for approval in prod\/us-east-1\.\n1 of 2 approvers must approve by \S+Z; their links were emailed to them\.\nExecution: release-orders-api-v1_4_0-4b825dc6$/,
    );
    for (const notification of published) expect(notification.text).not.toMatch(/https?:|approvals\//);
  });
});
