import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { EcsMigrationTasks } from '../../shared/aws/migration-tasks.adapter';
import { migrationClientToken, migrationStartedBy } from '../../shared/domain/migrations';
import type { EcsTarget } from '../../shared/ports/deployment';
import { MOTO_ACCOUNT, startMotoServer, type MotoServer } from '../support/moto-server';

/**
 * The migration task adapter against moto: RunTask with the service's network settings and a command
 * override, ListTasks by startedBy, DescribeTasks and the task's log stream read through the container's
 * awslogs options must be requests moto's model of ECS and CloudWatch Logs accepts, read back where it
 * puts the fields. Error mapping is in test/shared/aws/migration-tasks.adapter.test.ts.
 */
const REGION = 'eu-west-1';

let moto: MotoServer;
let ecs: ECSClient;
let logs: CloudWatchLogsClient;
let tasks: EcsMigrationTasks;
beforeAll(async () => {
  moto = await startMotoServer();
  ecs = new ECSClient(moto.clientConfig(REGION));
  logs = new CloudWatchLogsClient(moto.clientConfig(REGION));
  tasks = new EcsMigrationTasks({
    ecs: moto.adapterClient('migration-tasks.adapter', ECSClient, REGION),
    logs: moto.adapterClient('migration-tasks.adapter', CloudWatchLogsClient, REGION),
  });
}, 90_000);
afterAll(() => moto?.stop());

/**
 * The first `element` of an EC2 answer (moto makes a default VPC, its subnets and security group). Read over moto's EC2 query API directly: the SDK's EC2
 * client is not a dependency of the pipeline, and this one read is all the test needs of EC2.
 */
async function ec2(action: string, element: string): Promise<string> {
  const response = await fetch(moto.endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      // moto takes the region from the credential scope; it does not check the signature.
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20261130/${REGION}/ec2/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: `Action=${action}&Version=2016-11-15`,
  });
  const id = new RegExp(`<${element}>([^<]+)</${element}>`).exec(await response.text())?.[1];
  if (!id) throw new Error(`moto answered ${action} without ${element} in ${REGION}`);
  return id;
}

async function fargateService(cluster: string): Promise<{ target: EcsTarget; taskDefinitionArn: string }> {
  const subnet = await ec2('DescribeSubnets', 'subnetId');
  const securityGroup = await ec2('DescribeSecurityGroups', 'groupId');
  await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
  const { taskDefinition } = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: `${cluster}-api`,
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      containerDefinitions: [
        {
          name: 'app',
          image: `${MOTO_ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/orders-api@sha256:${'1'.repeat(64)}`,
          essential: true,
          // moto sums container-level memory and cpu to place a task (AWS takes the task-level values too).
          memory: 512,
          cpu: 256,
          logConfiguration: {
            logDriver: 'awslogs',
            options: {
              'awslogs-group': `/ecs/${cluster}`,
              'awslogs-stream-prefix': 'orders',
              'awslogs-region': REGION,
            },
          },
        },
      ],
    }),
  );
  await ecs.send(
    new CreateServiceCommand({
      cluster,
      serviceName: `${cluster}-api`,
      taskDefinition: taskDefinition!.taskDefinitionArn,
      desiredCount: 0,
      launchType: 'FARGATE',
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: [subnet],
          securityGroups: [securityGroup],
          assignPublicIp: 'DISABLED',
        },
      },
    }),
  );
  return {
    target: { region: REGION, cluster, service: `${cluster}-api` },
    taskDefinitionArn: taskDefinition!.taskDefinitionArn!,
  };
}

const startedBy = (executionName: string) =>
  migrationStartedBy({
    kind: 'migrate',
    executionName,
    environment: 'staging',
    region: REGION,
    digest: `sha256:${'1'.repeat(64)}`,
    attempt: 0,
  });

/** A Fargate service in a new `cluster`, and the migration task of `executionName` run through the adapter. */
async function migrationTaskIn(cluster: string, executionName: string) {
  const { target, taskDefinitionArn } = await fargateService(cluster);
  const tag = startedBy(executionName);
  const started = await tasks.runTask({
    target,
    taskDefinitionArn,
    container: 'app',
    command: ['npm', 'run', 'migrate'],
    startedBy: tag,
    clientToken: migrationClientToken(tag),
  });
  return { target, taskDefinitionArn, tag, started };
}

describe('migration tasks against moto', () => {
  it('when a migration task runs, it starts in the service cluster with its network settings and command, found again by startedBy', async () => {
    // Act
    const { target, tag, started } = await migrationTaskIn('migrate', 'release-orders-api-v1.4.0');
    const found = await tasks.findTasks(target, tag);
    const other = await tasks.findTasks(target, startedBy('release-orders-api-v1.5.0'));

    // Assess
    expect(started.taskArn).toMatch(/^arn:aws:ecs:eu-west-1:\d{12}:task\/migrate\//);
    expect(started.startedBy).toBe(tag);
    expect(found.map((t) => t.taskArn)).toEqual([started.taskArn]);
    expect(other).toEqual([]);
    const { tasks: described } = await ecs.send(
      new DescribeTasksCommand({ cluster: 'migrate', tasks: [started.taskArn] }),
    );
    expect(described![0]!.overrides?.containerOverrides).toEqual([
      expect.objectContaining({ name: 'app', command: ['npm', 'run', 'migrate'] }),
    ]);
    expect(described![0]!.launchType).toBe('FARGATE');
    expect(await tasks.describeTask(target, started.taskArn)).toEqual(
      expect.objectContaining({ taskArn: started.taskArn, startedBy: tag }),
    );
  });

  it('when a timed-out task is stopped, ECS keeps the reason, and stopping it again is no error', async () => {
    // Prepare
    const { target, taskDefinitionArn, tag, started } = await migrationTaskIn(
      'stop',
      'release-orders-api-v1.6.0',
    );
    const reason = 'pipeline: migration step timed out after 600 s (release-orders-api-v1.6.0)';

    // Act
    const stopped = await tasks.stopTask(target, started.taskArn, reason);
    const again = await tasks.stopTask(target, started.taskArn, reason);

    // Assess
    expect(stopped).toEqual(
      expect.objectContaining({ taskArn: started.taskArn, lastStatus: 'STOPPED', stoppedReason: reason }),
    );
    expect(again).toEqual(expect.objectContaining({ taskArn: started.taskArn, lastStatus: 'STOPPED' }));
    expect(await tasks.describeTask(target, started.taskArn)).toEqual(
      expect.objectContaining({ lastStatus: 'STOPPED', stoppedReason: reason, taskDefinitionArn }),
    );
    const { taskArns } = await ecs.send(
      new ListTasksCommand({ cluster: 'stop', startedBy: tag, desiredStatus: 'STOPPED' }),
    );
    expect(taskArns).toEqual([started.taskArn]);
  });

  it('when the task logged through awslogs, it reads the last lines of its stream', async () => {
    // Prepare
    const { target, taskDefinitionArn } = await fargateService('logs');
    const taskArn = `arn:aws:ecs:${REGION}:${MOTO_ACCOUNT}:task/logs/0123456789abcdef0123456789abcdef`;
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/ecs/logs' }));
    await logs.send(
      new CreateLogStreamCommand({
        logGroupName: '/ecs/logs',
        logStreamName: 'orders/app/0123456789abcdef0123456789abcdef',
      }),
    );
    const now = Date.now();
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: '/ecs/logs',
        logStreamName: 'orders/app/0123456789abcdef0123456789abcdef',
        logEvents: ['> migrate', 'Migrating 001_orders', 'ERROR: relation "orders" already exists'].map(
          (message, i) => ({
            timestamp: now + i,
            message,
          }),
        ),
      }),
    );

    // Act
    const lines = await tasks.logTail(target, { taskArn, taskDefinitionArn, container: 'app' }, 2);
    const none = await tasks.logTail(
      target,
      { taskArn: taskArn.replace(/.{4}$/, '0000'), taskDefinitionArn, container: 'app' },
      2,
    );

    // Assess
    expect(lines).toEqual(['Migrating 001_orders', 'ERROR: relation "orders" already exists']);
    expect(none).toEqual([]);
  });
});
