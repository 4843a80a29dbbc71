import {
  CloudWatchLogsClient,
  GetLogEventsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  InvalidParameterException,
  ListTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
  ECSServiceException,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { EcsMigrationTasks } from '../../../shared/aws/migration-tasks.adapter';
import { AwsTransientError, PipelineMisconfiguredError } from '../../../shared/domain/errors';
import { rejectionOf } from '../../support/fakes';
import { sdkError, unmodelledSdkError } from '../../helpers/sdk-errors';

/** Request shapes and error mapping of the migration task adapter; its behaviour against moto is in aws-conformance. */
describe('EcsMigrationTasks (mocked SDK)', () => {
  const ecs = mockClient(ECSClient);
  const logs = mockClient(CloudWatchLogsClient);
  const config = { region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } };
  const tasks = new EcsMigrationTasks({ ecs: new ECSClient(config), logs: new CloudWatchLogsClient(config) });
  const target = { region: 'eu-west-1', cluster: 'prod', service: 'orders-api' };
  const request = {
    target,
    taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/orders-api:8',
    container: 'app',
    command: ['npm', 'run', 'migrate'],
    startedBy: 'pipeline-migrations/migrate/prod/eu-west-1/3f7a9c3f7a9c/0123456789/r0',
    clientToken: 'a'.repeat(64),
  };
  const network = {
    awsvpcConfiguration: { subnets: ['subnet-0123456789abcdef0'], securityGroups: ['sg-0123456789abcdef0'] },
  };

  beforeEach(() => {
    ecs.reset();
    logs.reset();
  });
  afterAll(() => {
    ecs.restore();
    logs.restore();
  });

  it('when the service uses a capacity provider strategy, the task takes it (and no launch type) with the network settings', async () => {
    // Prepare
    const strategy = [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }];
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          status: 'ACTIVE',
          launchType: 'FARGATE',
          capacityProviderStrategy: strategy,
          networkConfiguration: network,
          platformVersion: '1.4.0',
        },
      ],
    });
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: 'arn:task/prod/1', lastStatus: 'PROVISIONING' }] });

    // Act
    const task = await tasks.runTask(request);

    // Assess
    expect(task).toEqual({ taskArn: 'arn:task/prod/1', lastStatus: 'PROVISIONING' });
    expect(ecs).toReceiveCommandWith(RunTaskCommand, {
      cluster: 'prod',
      taskDefinition: request.taskDefinitionArn,
      count: 1,
      startedBy: request.startedBy,
      clientToken: request.clientToken,
      overrides: { containerOverrides: [{ name: 'app', command: ['npm', 'run', 'migrate'] }] },
      networkConfiguration: network,
      capacityProviderStrategy: strategy,
      platformVersion: '1.4.0',
    });
    expect(ecs.commandCalls(RunTaskCommand)[0]!.args[0].input.launchType).toBeUndefined();
  });

  it.each([
    ['RESOURCE:MEMORY', AwsTransientError, 'could not place'],
    ['MISSING', PipelineMisconfiguredError, 'refused'],
  ])('when RunTask answers failure %s, it throws %p', async (reason, type, words) => {
    // Prepare
    ecs.on(DescribeServicesCommand).resolves({ services: [{ status: 'ACTIVE', launchType: 'EC2' }] });
    ecs.on(RunTaskCommand).resolves({ tasks: [], failures: [{ reason, arn: 'arn:x' }] });

    // Act
    const error = await rejectionOf(tasks.runTask(request));

    // Assess
    expect(error).toBeInstanceOf(type);
    expect(error.message).toContain(words);
    expect(error.message).toContain(reason);
  });

  it('when the service is gone, it says the task takes its network settings from it', async () => {
    // Prepare
    ecs.on(DescribeServicesCommand).resolves({ services: [{ status: 'INACTIVE' }] });

    // Act
    const error = await rejectionOf(tasks.runTask(request));

    // Assess
    expect(error).toBeInstanceOf(PipelineMisconfiguredError);
    expect(error.message).toContain('prod/orders-api (eu-west-1) is INACTIVE');
    expect(ecs).not.toReceiveCommand(RunTaskCommand);
  });

  it('when ECS throttles ListTasks, it throws AwsTransientError naming the startedBy', async () => {
    // Prepare
    ecs
      .on(ListTasksCommand)
      .rejects(unmodelledSdkError(ECSServiceException, 'ThrottlingException', { message: 'Rate exceeded' }));

    // Act
    const error = await rejectionOf(tasks.findTasks(target, request.startedBy));

    // Assess
    expect(error).toBeInstanceOf(AwsTransientError);
    expect(error.message).toContain(request.startedBy);
  });

  it('when the container does not log through awslogs with a stream prefix, the log tail is empty without a Logs call', async () => {
    // Prepare
    ecs.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: {
        containerDefinitions: [
          { name: 'app', logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/x' } } },
        ],
      },
    });

    // Act
    const lines = await tasks.logTail(
      target,
      { taskArn: 'arn:task/prod/1', taskDefinitionArn: request.taskDefinitionArn, container: 'app' },
      20,
    );

    // Assess
    expect(lines).toEqual([]);
    expect(logs).not.toReceiveCommand(GetLogEventsCommand);
  });

  it('when the stream does not exist (the container never started), the log tail is empty', async () => {
    // Prepare
    ecs.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: {
        containerDefinitions: [
          {
            name: 'app',
            logConfiguration: {
              logDriver: 'awslogs',
              options: {
                'awslogs-group': '/ecs/x',
                'awslogs-stream-prefix': 'orders',
                'awslogs-region': 'us-east-1',
              },
            },
          },
        ],
      },
    });
    logs
      .on(GetLogEventsCommand)
      .rejects(sdkError(ResourceNotFoundException, { message: 'The specified log stream does not exist.' }));

    // Act
    const lines = await tasks.logTail(
      target,
      {
        taskArn: 'arn:aws:ecs:eu-west-1:1:task/prod/abc123',
        taskDefinitionArn: request.taskDefinitionArn,
        container: 'app',
      },
      20,
    );

    // Assess
    expect(lines).toEqual([]);
    expect(logs).toReceiveCommandWith(GetLogEventsCommand, {
      logGroupName: '/ecs/x',
      logStreamName: 'orders/app/abc123',
      limit: 20,
      startFromHead: false,
    });
  });

  const taskArn = 'arn:aws:ecs:eu-west-1:123456789012:task/prod/0123456789abcdef0123456789abcdef';

  it('when a task is stopped, StopTask names its cluster and a reason ECS accepts (at most 255 characters)', async () => {
    // Prepare
    ecs.on(StopTaskCommand).resolves({ task: { taskArn, lastStatus: 'RUNNING', desiredStatus: 'STOPPED' } });

    // Act
    const task = await tasks.stopTask(
      target,
      taskArn,
      `pipeline: migration step timed out ${'x'.repeat(300)}`,
    );

    // Assess
    expect(task).toEqual(expect.objectContaining({ taskArn, lastStatus: 'RUNNING' }));
    const input = ecs.commandCalls(StopTaskCommand)[0]!.args[0].input;
    expect(input).toEqual(expect.objectContaining({ cluster: 'prod', task: taskArn }));
    expect(input.reason).toHaveLength(255);
  });

  it('when ECS no longer knows the task (stopped long ago), stopping it is done, not an error', async () => {
    // Prepare
    ecs
      .on(StopTaskCommand)
      .rejects(sdkError(InvalidParameterException, { message: 'The referenced task was not found.' }));

    // Act
    const task = await tasks.stopTask(target, taskArn, 'timed out');

    // Assess
    expect(task).toBeUndefined();
  });

  it('when ECS refuses the stop otherwise, it throws what was refused, mapped', async () => {
    // Prepare
    ecs
      .on(StopTaskCommand)
      .rejectsOnce(
        unmodelledSdkError(ECSServiceException, 'ThrottlingException', { message: 'Rate exceeded' }),
      )
      .rejectsOnce(sdkError(InvalidParameterException, { message: 'Task Identifier is invalid' }));

    // Act
    const throttled = await rejectionOf(tasks.stopTask(target, taskArn, 'timed out'));
    const invalid = await rejectionOf(tasks.stopTask(target, taskArn, 'timed out'));

    // Assess
    expect(throttled).toBeInstanceOf(AwsTransientError);
    expect(throttled.message).toContain(
      `ECS StopTask of the migration task ${taskArn} in prod/orders-api (eu-west-1)`,
    );
    expect(invalid).not.toBeInstanceOf(AwsTransientError);
    expect(invalid.message).toContain('Task Identifier is invalid');
  });
});
