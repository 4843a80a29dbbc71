import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  ExecutionNotRedrivable,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  type ListExecutionsCommandInput,
  type ListExecutionsCommandOutput,
  ListStateMachinesCommand,
  RedriveExecutionCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { awsOperatorIdentity, nameOf } from '../../../shared/aws/operator-identity.adapter';
import {
  fromSfnEvent,
  StepFunctionsPipelineExecutions,
} from '../../../shared/aws/pipeline-executions.adapter';
import { AwsTransientError, PipelineMisconfiguredError } from '../../../shared/domain/errors';
import { runCli } from '../../support/cli';
import { rejectionOf } from '../../support/fakes';
import { sdkError } from '../../helpers/sdk-errors';

const ACCOUNT = '123456789012';
const machine = (name: string) => `arn:aws:states:eu-west-1:${ACCOUNT}:stateMachine:${name}`;
const PROMOTE = machine('ecs-promotion-pipeline-prod-promote');
const RELEASE = machine('ecs-promotion-pipeline-prod-release');
const execution = (machineName: string, name: string) =>
  `arn:aws:states:eu-west-1:${ACCOUNT}:execution:${machineName}:${name}`;
const NAMES = {
  promote: 'ecs-promotion-pipeline-prod-promote',
  release: 'ecs-promotion-pipeline-prod-release',
};

describe('StepFunctionsPipelineExecutions', () => {
  const sfn = mockClient(SFNClient);
  const executions = () =>
    new StepFunctionsPipelineExecutions({
      client: new SFNClient({ region: 'eu-west-1' }),
      machineNames: NAMES,
    });

  beforeEach(() => {
    sfn.reset();
    sfn.on(ListStateMachinesCommand).resolves({
      stateMachines: [
        {
          stateMachineArn: machine('other-app'),
          name: 'other-app',
          type: 'STANDARD',
          creationDate: new Date(),
        },
        { stateMachineArn: PROMOTE, name: NAMES.promote, type: 'STANDARD', creationDate: new Date() },
        { stateMachineArn: RELEASE, name: NAMES.release, type: 'STANDARD', creationDate: new Date() },
      ],
    });
  });

  it('when listing, it pages through both state machines and merges them newest first', async () => {
    // Prepare
    const pages: Record<string, ListExecutionsCommandOutput> = {
      [`${PROMOTE} first`]: {
        executions: [
          {
            executionArn: 'p2',
            stateMachineArn: PROMOTE,
            name: 'p2',
            status: 'FAILED',
            startDate: new Date(3000),
          },
        ],
        nextToken: 'page-2',
        $metadata: {},
      },
      [`${PROMOTE} page-2`]: {
        executions: [
          {
            executionArn: 'p1',
            stateMachineArn: PROMOTE,
            name: 'p1',
            status: 'SUCCEEDED',
            startDate: new Date(1000),
          },
        ],
        $metadata: {},
      },
      [`${RELEASE} first`]: {
        executions: [
          {
            executionArn: 'r1',
            stateMachineArn: RELEASE,
            name: 'r1',
            status: 'FAILED',
            startDate: new Date(2000),
          },
        ],
        $metadata: {},
      },
    };
    // The SDK's paginator reuses one input object for every page: copy what each request asked.
    const asked: ListExecutionsCommandInput[] = [];
    sfn.on(ListExecutionsCommand).callsFake((input: ListExecutionsCommandInput) => {
      asked.push({ ...input });
      return pages[`${input.stateMachineArn} ${input.nextToken ?? 'first'}`];
    });

    // Act
    const listed = await executions().list({ status: 'FAILED' });

    // Assess
    expect(listed.map((e) => e.name)).toEqual(['p2', 'r1', 'p1']);
    expect(asked).toEqual([
      { stateMachineArn: PROMOTE, statusFilter: 'FAILED' },
      { stateMachineArn: PROMOTE, statusFilter: 'FAILED', nextToken: 'page-2' },
      { stateMachineArn: RELEASE, statusFilter: 'FAILED' },
    ]);
  });

  it('when finding by name, it tries the promote machine, then the release machine', async () => {
    // Prepare
    sfn
      .on(DescribeExecutionCommand)
      .rejects(sdkError(ExecutionDoesNotExist, { message: 'Execution Does Not Exist' }));
    sfn
      .on(DescribeExecutionCommand, { executionArn: execution(NAMES.release, 'release-orders-api-v1_4_0') })
      .resolves({
        executionArn: execution(NAMES.release, 'release-orders-api-v1_4_0'),
        stateMachineArn: RELEASE,
        name: 'release-orders-api-v1_4_0',
        status: 'FAILED',
        startDate: new Date(1000),
        stopDate: new Date(2000),
        input: '{"service":"orders-api"}',
        error: 'SmokeTestFailed',
        redriveCount: 1,
        redriveStatus: 'REDRIVABLE',
      });

    // Act
    const found = await executions().find('release-orders-api-v1_4_0');
    const missing = await executions().find('nothing-by-that-name');

    // Assess
    expect(found).toMatchObject({
      stateMachineArn: RELEASE,
      status: 'FAILED',
      redriveCount: 1,
      error: 'SmokeTestFailed',
    });
    expect(missing).toBeUndefined();
  });

  it('when the state machines are not deployed there, it fails with PipelineMisconfigured naming the stage and region', async () => {
    // Prepare
    sfn.on(ListStateMachinesCommand).resolves({ stateMachines: [] });

    // Act
    const error = await rejectionOf(executions().list());

    // Assess
    expect(error).toBeInstanceOf(PipelineMisconfiguredError);
    expect(error.message).toBe(
      'no state machine named ecs-promotion-pipeline-prod-promote: is the pipeline deployed in this account and region (--stage, --region)?',
    );
  });

  it('when reading history, it pages and turns Lambda task events into the task events the view reads', async () => {
    // Prepare
    const arn = execution(NAMES.promote, 'p1');
    sfn
      .on(GetExecutionHistoryCommand)
      .resolvesOnce({
        events: [
          {
            id: 1,
            timestamp: new Date(1),
            type: 'MapIterationStarted',
            mapIterationStartedEventDetails: { name: 'Deploy each stage in order', index: 0 },
          },
          {
            id: 2,
            timestamp: new Date(2),
            type: 'TaskStateEntered',
            stateEnteredEventDetails: { name: 'Run smoke checks', input: '{}' },
          },
          { id: 3, timestamp: new Date(3), type: 'LambdaFunctionScheduled' },
        ],
        nextToken: 'more',
      })
      .resolvesOnce({
        events: [
          {
            id: 4,
            timestamp: new Date(4),
            type: 'LambdaFunctionFailed',
            lambdaFunctionFailedEventDetails: { error: 'SmokeTestFailed', cause: '{"errorMessage":"503"}' },
          },
          {
            id: 5,
            timestamp: new Date(5),
            type: 'TaskStateExited',
            stateExitedEventDetails: { name: 'Run smoke checks', output: '{"ok":false}' },
          },
        ],
      });

    // Act
    const events = await executions().history(arn);

    // Assess
    expect(events.map((e) => e.type)).toEqual([
      'MapIterationStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskFailed',
      'TaskStateExited',
    ]);
    expect(events[0]!.details).toEqual({ name: 'Deploy each stage in order', index: 0 });
    expect(events[3]!.details).toEqual({ error: 'SmokeTestFailed', cause: '{"errorMessage":"503"}' });
    expect(events[4]!.details).toEqual({ name: 'Run smoke checks', output: { ok: false } });
    expect(sfn.commandCalls(GetExecutionHistoryCommand)[1]!.args[0].input).toEqual({
      executionArn: arn,
      includeExecutionData: true,
      maxResults: 1000,
      nextToken: 'more',
    });
  });

  it('when redriving is refused by Step Functions, the error carries its name; throttling becomes AwsTransientError', async () => {
    // Prepare
    sfn
      .on(RedriveExecutionCommand)
      .rejectsOnce(sdkError(ExecutionNotRedrivable, { message: 'Execution is SUCCEEDED' }))
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} }));

    // Act
    const refused = await rejectionOf(executions().redrive(execution(NAMES.promote, 'p1')));
    const throttled = await rejectionOf(executions().redrive(execution(NAMES.promote, 'p1')));

    // Assess
    expect(refused.name).toBe('ExecutionNotRedrivable');
    expect(throttled).toBeInstanceOf(AwsTransientError);
    expect(throttled.message).toContain('Step Functions RedriveExecution');
  });

  it('when starting a name that exists, it reports it instead of failing (a repeated command does nothing)', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).rejects(sdkError(ExecutionAlreadyExists, { message: 'exists' }));

    // Act
    const started = await executions().start('promote', 'rollback-orders-api-prod-v1_3_0', {
      service: 'orders-api',
    });

    // Assess
    expect(started).toEqual({
      executionArn: execution(NAMES.promote, 'rollback-orders-api-prod-v1_3_0'),
      alreadyExisted: true,
    });
    expect(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input).toEqual({
      stateMachineArn: PROMOTE,
      name: 'rollback-orders-api-prod-v1_3_0',
      input: '{"service":"orders-api"}',
    });
  });

  it('when the CLI runs against AWS, it finds the stage’s state machines by name and lists their executions', async () => {
    // Prepare
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });

    // Act
    const { code, out } = await runCli('executions', '--stage', 'prod', '--region', 'eu-west-1', '--json');

    // Assess
    expect({ code, out: JSON.parse(out) as unknown }).toEqual({ code: 0, out: { executions: [] } });
    expect(sfn.commandCalls(ListExecutionsCommand).map((c) => c.args[0].input.stateMachineArn)).toEqual([
      PROMOTE,
      RELEASE,
    ]);
  });
});

describe('fromSfnEvent', () => {
  it('when an event has no details the view reads, it keeps only its type and time', () => {
    // Act
    const event = fromSfnEvent({ id: 1, timestamp: new Date(5), type: 'ExecutionStarted' });

    // Assess
    expect(event).toEqual({ type: 'ExecutionStarted', timestamp: new Date(5), details: {} });
  });
});

describe('operator identity', () => {
  it.each([
    [`arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Admin_1a2b/alice@example.com`, 'alice@example.com'],
    [`arn:aws:iam::${ACCOUNT}:user/ops/bob`, 'bob'],
    [`arn:aws:iam::${ACCOUNT}:root`, `arn:aws:iam::${ACCOUNT}:root`],
  ])('when the caller is %s, approvals know them as %s', (arn, name) => {
    // Act / Assess
    expect(nameOf(arn)).toBe(name);
  });

  it('when STS answers, it gives the ARN and the approver name', async () => {
    // Prepare
    const sts = mockClient(STSClient);
    sts
      .on(GetCallerIdentityCommand)
      .resolves({ Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Ops/carol@example.com` });

    // Act
    const identity = await awsOperatorIdentity(new STSClient({ region: 'eu-west-1' }));

    // Assess
    expect(identity).toEqual({
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Ops/carol@example.com`,
      name: 'carol@example.com',
    });
    sts.restore();
  });
});
