import { CreateStateMachineCommand, DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { StepFunctionsPipelineExecutions } from '../../shared/aws/pipeline-executions.adapter';
import { PipelineMisconfiguredError } from '../../shared/domain/errors';
import { MOTO_ACCOUNT, startMotoServer, type MotoServer } from '../support/moto-server';

/**
 * The operator's view of Step Functions (`pipeline executions|show|redrive|start`) against moto, with moto's
 * own ASL interpreter on so executions really run and have a history. moto has no RedriveExecution: that
 * path stays covered by test/shared/aws/pipeline-executions.adapter.test.ts (docs/aws-conformance.md).
 */
const REGION = 'eu-west-1';
const ROLE = `arn:aws:iam::${MOTO_ACCOUNT}:role/pipeline-states`;
const MACHINES = { promote: 'orders-api-ppe-promote', release: 'orders-api-ppe-release' };

/** Deploys (a Pass), then succeeds or fails as the input says: enough states for a history the view reads. */
const DEFINITION = JSON.stringify({
  StartAt: 'Deploy to region',
  States: {
    'Deploy to region': {
      Type: 'Pass',
      Result: { deploymentId: 'ecs-svc/123' },
      ResultPath: '$.deployment',
      Next: 'Deployed?',
    },
    'Deployed?': {
      Type: 'Choice',
      Choices: [{ Variable: '$.fail', BooleanEquals: true, Next: 'Stop the stage' }],
      Default: 'Stage deployed',
    },
    'Stop the stage': { Type: 'Fail', Error: 'DeploymentFailed', Cause: 'ECS deployment ecs-svc/123 failed' },
    'Stage deployed': { Type: 'Succeed' },
  },
});

let moto: MotoServer;
let sfn: SFNClient;
let executions: StepFunctionsPipelineExecutions;
beforeAll(async () => {
  moto = await startMotoServer();
  await moto.configure({ stepfunctions: { execute_state_machine: true } });
  // Builds and reads back what the tests need; only the adapter's own client counts as checked.
  sfn = new SFNClient(moto.clientConfig(REGION));
  for (const name of Object.values(MACHINES))
    await sfn.send(new CreateStateMachineCommand({ name, roleArn: ROLE, definition: DEFINITION }));
  executions = new StepFunctionsPipelineExecutions({ client: adapterClient(), machineNames: MACHINES });
}, 90_000);
afterAll(() => moto?.stop());

function adapterClient(): SFNClient {
  return moto.adapterClient('pipeline-executions.adapter', SFNClient, REGION);
}

/** Waits until moto's interpreter (a thread of its own) has finished the execution. */
async function finished(executionArn: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const { status } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (status !== 'RUNNING') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`execution ${executionArn} is still RUNNING`);
}

async function ran(machine: 'promote' | 'release', name: string, input: unknown): Promise<string> {
  const { executionArn } = await executions.start(machine, name, input);
  await finished(executionArn);
  return executionArn;
}

describe('pipeline executions against moto', () => {
  it('when an operator starts a machine by its role, it finds the machine by name and starts it there', async () => {
    // Act
    const started = await executions.start('release', 'release-orders-api-v1-0-0', { version: 'v1.0.0' });

    // Assess
    expect(started).toEqual({
      executionArn: `arn:aws:states:${REGION}:${MOTO_ACCOUNT}:execution:${MACHINES.release}:release-orders-api-v1-0-0`,
      alreadyExisted: false,
    });
    await finished(started.executionArn);
  });

  it('when the name ran already, starting it again reports alreadyExisted and starts nothing', async () => {
    // Prepare
    const first = await ran('promote', 'push-again', { fail: false });

    // Act
    const again = await executions.start('promote', 'push-again', { fail: false });

    // Assess
    expect(again).toEqual({ executionArn: first, alreadyExisted: true });
    expect((await executions.list()).filter((e) => e.name === 'push-again')).toHaveLength(1);
  });

  it('when listing with a status, it lists the executions of both machines in that status, newest first', async () => {
    // Prepare
    const failedPromote = await ran('promote', 'push-list-failed', { fail: true });
    await ran('promote', 'push-list-ok', { fail: false });
    const failedRelease = await ran('release', 'release-list-failed', { fail: true });

    // Act
    const failed = await executions.list({ status: 'FAILED' });

    // Assess
    expect(failed.map((e) => e.executionArn)).toEqual([failedRelease, failedPromote]);
    expect(failed[0]).toMatchObject({
      stateMachineArn: expect.stringContaining(`:stateMachine:${MACHINES.release}`) as string,
      name: 'release-list-failed',
      status: 'FAILED',
      startDate: expect.any(Date) as Date,
      stopDate: expect.any(Date) as Date,
    });
  });

  it('when finding a name, it describes the execution in whichever machine has it, with its input, error and cause', async () => {
    // Prepare
    await ran('release', 'release-find', { fail: true, version: 'v2.0.0' });

    // Act
    const found = await executions.find('release-find');

    // Assess
    expect(found).toMatchObject({
      name: 'release-find',
      status: 'FAILED',
      input: '{"fail":true,"version":"v2.0.0"}',
      error: 'DeploymentFailed',
      cause: 'ECS deployment ecs-svc/123 failed',
      redriveCount: 0,
    });
  });

  it('when no machine has the name, find returns undefined', async () => {
    // Act
    const found = await executions.find('never-started');

    // Assess
    expect(found).toBeUndefined();
  });

  it('when reading a history, it maps the states entered and left and the failure in the shape the view reads', async () => {
    // Prepare
    const executionArn = await ran('promote', 'push-history', { fail: true });

    // Act
    const history = await executions.history(executionArn);

    // Assess
    const entered = history.filter((e) => e.type.endsWith('StateEntered')).map((e) => e.details.name);
    expect(entered).toEqual(['Deploy to region', 'Deployed?', 'Stop the stage']);
    const deployed = history.find((e) => e.type === 'PassStateExited');
    expect(deployed?.details).toEqual({
      name: 'Deploy to region',
      output: { fail: true, deployment: { deploymentId: 'ecs-svc/123' } },
    });
    expect(history.at(-1)).toMatchObject({
      type: 'ExecutionFailed',
      details: { error: 'DeploymentFailed', cause: 'ECS deployment ecs-svc/123 failed' },
    });
  });

  it('when the machines are not deployed in that account and region, it says so', async () => {
    // Prepare
    const elsewhere = new StepFunctionsPipelineExecutions({
      client: adapterClient(),
      machineNames: { promote: 'billing-prod-promote', release: 'billing-prod-release' },
    });

    // Act
    const listed = elsewhere.list();

    // Assess
    await expect(listed).rejects.toThrow(PipelineMisconfiguredError);
    await expect(listed).rejects.toThrow('no state machine named billing-prod-promote');
  });
});
