import { LocalPipeline, type LocalPipelineOptions } from '../../local-runtime/local-pipeline';
import { DEPLOYED_ENV } from '../../shared/domain/deployment-record';
import type { ServiceReconciliation } from '../../shared/use-cases/reconcile-images';
import type { StartDecision } from '../../shared/use-cases/start-promotion';
import { loadEvent, sampleConfig } from '../support/fixtures';

/**
 * The reconciliation sweep in the local runtime: the real reconcile-images handler, the real promote
 * machine, the local ECR and ECS. A "lost" push is an image ECR stored whose event never reached the rule.
 */
const ORDERS_PPE = { region: 'eu-west-1', cluster: 'ppe', service: 'orders-api' };
const FIRST = 'ecr-push-orders-api.json'; // sha-4b825dc642cb…, digest 3f7a9c…
const SECOND = 'ecr-push-orders-api-broken.json'; // sha-badc0ffee0dd…, digest c0ffee… (healthy here)
const FIRST_NAME = 'push-orders-api-4b825dc642cb-3f7a9c3f7a9c';
const SECOND_NAME = 'push-orders-api-badc0ffee0dd-c0ffeec0ffee';
const FIVE_MINUTES = 5 * 60_000;

let pipeline: LocalPipeline;

async function start(options: Partial<LocalPipelineOptions> = {}): Promise<void> {
  pipeline = await LocalPipeline.start({ config: sampleConfig(), ...options });
}

async function deliver(file: string): Promise<StartDecision> {
  const routed = await pipeline.putEvent({ ...loadEvent(file), time: stackNow() });
  await pipeline.settled();
  return routed.deliveries[0]!.result as StartDecision;
}

/** ECR stores the image but its push event is lost; pushed now (the sample files' times are days old). */
function lose(file: string): void {
  pipeline.loseImagePushEvent({ ...loadEvent(file), time: stackNow() });
}

/** The stack's time as an event's `time`: pushes here happen now, not when the sample files say. */
function stackNow(): string {
  return new Date(pipeline.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Runs the sweep once, as its schedule would, and lets what it started finish. */
async function sweep(): Promise<ServiceReconciliation[]> {
  const { results } = (await pipeline.lambdas.invoke('reconcileImages', {})) as {
    results: ServiceReconciliation[];
  };
  await pipeline.settled();
  return results;
}

/** Lets pipeline time pass (the auto-advancing clock jumps there at once). */
async function wait(ms: number): Promise<void> {
  await pipeline.clock.sleep(ms);
}

async function executionNames(): Promise<string[]> {
  return (await pipeline.engine.listExecutions({})).executions.map((e) => e.name).sort();
}

function servingCommit(): string | undefined {
  return pipeline.platform.serving(ORDERS_PPE)?.containers[0]?.environment[DEPLOYED_ENV.commit];
}

/** Waits (real time, bounded) until `condition` holds: the scheduled sweep runs in the background. */
async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting until ${what}`);
}

afterEach(async () => {
  await pipeline?.close({ abandon: true });
});

describe('reconciliation sweep, executed locally', () => {
  it('when a push event is lost, the scheduled sweep starts exactly one promotion for it, under the name the event would have used', async () => {
    // Prepare
    await start({ reconcileEveryMs: FIVE_MINUTES });
    await deliver(FIRST);
    lose(SECOND);

    // Act: the schedule fires every 5 minutes of pipeline time
    await until(async () => (await executionNames()).includes(SECOND_NAME), 'the sweep starts a promotion');
    await pipeline.settled();
    const sweepsSoFar = pipeline.lambdas.invocations.filter((i) => i.functionName === 'reconcileImages');
    await until(
      async () =>
        pipeline.lambdas.invocations.filter((i) => i.functionName === 'reconcileImages').length >=
        sweepsSoFar.length + 2,
      'two more sweeps ran',
    );

    // Assess
    expect(await executionNames()).toEqual([FIRST_NAME, SECOND_NAME].sort());
    const reconciled = await pipeline.engine.describeExecution({
      executionArn: `${pipeline.stateMachineArns.promote.replace(':stateMachine:', ':execution:')}:${SECOND_NAME}`,
    });
    expect(reconciled.status).toBe('SUCCEEDED');
    expect(JSON.parse(reconciled.input)).toMatchObject({
      service: 'orders-api',
      version: 'sha-badc0ffee0ddf00d1234567890abcdef12345678',
      image: {
        registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
        repository: 'orders-api',
        digest: `sha256:${'c0ffee'.repeat(10)}c0ff`,
      },
      trigger: { kind: 'push', eventId: 'reconciliation-sweep' },
    });
    expect(servingCommit()).toBe('badc0ffee0ddf00d1234567890abcdef12345678');
    // The lost event arriving after all finds the execution the sweep started: same deterministic name.
    expect(await deliver(SECOND)).toEqual({
      started: false,
      reason: `duplicate delivery: execution ${SECOND_NAME} already exists`,
      executionArn: expect.stringMatching(new RegExp(`:${SECOND_NAME}$`)),
    });
  });

  it('when the sweep runs again after starting a promotion, it starts nothing', async () => {
    // Prepare
    await start();
    await deliver(FIRST);
    lose(SECOND);
    await wait(FIVE_MINUTES);
    const first = await sweep();

    // Act
    const second = await sweep();

    // Assess
    expect(first).toContainEqual(
      expect.objectContaining({ service: 'orders-api', outcome: 'started', executionName: SECOND_NAME }),
    );
    expect(second).toContainEqual({
      service: 'orders-api',
      outcome: 'up to date',
      reason: expect.stringContaining('PPE runs the newest image sha-badc0ffee0dd'),
    });
    expect(await executionNames()).toEqual([FIRST_NAME, SECOND_NAME].sort());
  });

  it('when a lost image is older than what PPE runs, it is never promoted', async () => {
    // Prepare: the first push is lost, the second one delivered and deployed
    await start();
    lose(FIRST);
    await wait(60_000);
    await deliver(SECOND);
    await wait(FIVE_MINUTES);

    // Act
    const results = await sweep();

    // Assess
    expect(results.find((r) => r.service === 'orders-api')).toMatchObject({ outcome: 'up to date' });
    expect(await executionNames()).toEqual([SECOND_NAME]);
    expect(servingCommit()).toBe('badc0ffee0ddf00d1234567890abcdef12345678');
  });

  it('when the newest push is tagged latest, the sweep ignores it', async () => {
    // Prepare
    await start();
    await deliver(FIRST);
    await wait(60_000);
    lose('ecr-push-latest-tag.json');
    await wait(FIVE_MINUTES);

    // Act
    const results = await sweep();

    // Assess
    expect(results.find((r) => r.service === 'orders-api')).toEqual({
      service: 'orders-api',
      outcome: 'up to date',
      reason: expect.stringContaining('PPE runs the newest image sha-4b825dc642cb'),
    });
    expect(await executionNames()).toEqual([FIRST_NAME]);
  });

  it('when the newest image was pushed moments ago, the sweep leaves it to its event until the grace period ends', async () => {
    // Prepare
    await start();
    lose(FIRST);

    // Act
    const early = await sweep();
    await wait(sampleConfig().reconciliation.graceMinutes * 60_000);
    const late = await sweep();

    // Assess
    expect(early.find((r) => r.service === 'orders-api')).toMatchObject({
      outcome: 'up to date',
      reason: expect.stringContaining('its push event may still arrive'),
    });
    expect(late.find((r) => r.service === 'orders-api')).toMatchObject({
      outcome: 'started',
      executionName: FIRST_NAME,
    });
    expect(servingCommit()).toBe('4b825dc642cb6eb9a060e54bf8d69288fbee4904');
  });

  it('when the promotion of the newest image failed and rolled back, the sweep never restarts it', async () => {
    // Prepare
    await start({ behaviours: { badc0ffee: { failsHealthCheck: true } } });
    await deliver(FIRST);
    await deliver(SECOND);
    expect(servingCommit()).toBe('4b825dc642cb6eb9a060e54bf8d69288fbee4904');
    await wait(FIVE_MINUTES);

    // Act
    const results = await sweep();

    // Assess
    expect(results.find((r) => r.service === 'orders-api')).toEqual({
      service: 'orders-api',
      outcome: 'up to date',
      reason: `the promotion of sha-badc0ffee0ddf00d1234567890abcdef12345678 exists (${SECOND_NAME}, FAILED): never started twice`,
    });
    expect(await executionNames()).toEqual([FIRST_NAME, SECOND_NAME].sort());
  });

  it('when a service has no image yet, the sweep reports it up to date and checks the others', async () => {
    // Prepare
    await start();
    lose(FIRST);
    await wait(FIVE_MINUTES);

    // Act
    const results = await sweep();

    // Assess
    expect(results).toEqual([
      expect.objectContaining({ service: 'orders-api', outcome: 'started' }),
      {
        service: 'payments-api',
        outcome: 'up to date',
        reason: 'no image tagged sha-<commit> in the repository',
      },
    ]);
  });
});
