import {
  CloudWatchLogsClient,
  GetLogEventsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  InvalidParameterException,
  ListTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
  type RunTaskCommandInput,
  type Task,
} from '@aws-sdk/client-ecs';
import { AwsTransientError, PipelineMisconfiguredError } from '../domain/errors';
import type { EcsTarget } from '../ports/deployment';
import type { MigrationTaskRequest, MigrationTasks, MigrationTaskView } from '../ports/migrations';
import { isAwsError, mapAwsError } from './aws-errors';
import { clientsFrom, type ClientSource } from './regional-clients';

export interface EcsMigrationTasksOptions {
  /** A ready client (tests) or a per-region factory; defaults to the container's shared clients. */
  ecs?: ClientSource<ECSClient>;
  logs?: ClientSource<CloudWatchLogsClient>;
}

/**
 * Migration tasks on Amazon ECS: RunTask of a revision in the service's cluster with the service's own
 * network configuration and launch type (or capacity provider strategy), the container's command
 * overridden; found again by `startedBy`; their last log lines read from CloudWatch Logs through the
 * container's awslogs options (`<prefix>/<container>/<task id>`).
 */
export class EcsMigrationTasks implements MigrationTasks {
  private readonly ecs: (region: string) => ECSClient;
  private readonly logs: (region: string) => CloudWatchLogsClient;

  constructor(options: EcsMigrationTasksOptions = {}) {
    this.ecs = clientsFrom(options.ecs, ECSClient);
    this.logs = clientsFrom(options.logs, CloudWatchLogsClient);
  }

  async runTask(request: MigrationTaskRequest): Promise<MigrationTaskView> {
    const { target } = request;
    const service = await this.readService(target);
    const input: RunTaskCommandInput = {
      cluster: target.cluster,
      taskDefinition: request.taskDefinitionArn,
      count: 1,
      startedBy: request.startedBy,
      clientToken: request.clientToken,
      overrides: { containerOverrides: [{ name: request.container, command: request.command }] },
      ...(service.networkConfiguration && { networkConfiguration: service.networkConfiguration }),
      ...(service.capacityProviderStrategy?.length
        ? { capacityProviderStrategy: service.capacityProviderStrategy }
        : service.launchType && { launchType: service.launchType }),
      ...(service.platformVersion && { platformVersion: service.platformVersion }),
      propagateTags: 'TASK_DEFINITION',
    };
    let response;
    try {
      response = await this.ecs(target.region).send(new RunTaskCommand(input));
    } catch (error) {
      throw mapAwsError(error, `ECS RunTask of the migration task in ${where(target)}`);
    }
    const task = response.tasks?.[0];
    if (task) return toView(task, request.container);
    const failure = response.failures?.[0];
    const reason = `${failure?.reason ?? 'no task and no failure'}${failure?.detail ? `: ${failure.detail}` : ''}`;
    // Capacity and agent problems pass; anything else is how the cluster or task definition is set up.
    if (/^(RESOURCE|AGENT|CAPACITY)/i.test(failure?.reason ?? ''))
      throw new AwsTransientError(`ECS could not place the migration task in ${where(target)}: ${reason}`);
    throw new PipelineMisconfiguredError(`ECS refused the migration task in ${where(target)}: ${reason}`);
  }

  async findTasks(target: EcsTarget, startedBy: string): Promise<MigrationTaskView[]> {
    const arns: string[] = [];
    // ListTasks lists RUNNING tasks unless asked for STOPPED ones (kept for about an hour): ask for both.
    for (const desiredStatus of ['RUNNING', 'STOPPED'] as const) {
      try {
        const page = await this.ecs(target.region).send(
          new ListTasksCommand({ cluster: target.cluster, startedBy, desiredStatus }),
        );
        arns.push(...(page.taskArns ?? []));
      } catch (error) {
        throw mapAwsError(error, `ECS ListTasks of ${startedBy} in ${where(target)}`);
      }
    }
    if (arns.length === 0) return [];
    return this.describeTasks(target, arns);
  }

  async describeTask(target: EcsTarget, taskArn: string): Promise<MigrationTaskView | undefined> {
    return (await this.describeTasks(target, [taskArn]))[0];
  }

  async stopTask(target: EcsTarget, taskArn: string, reason: string): Promise<MigrationTaskView | undefined> {
    try {
      const { task } = await this.ecs(target.region).send(
        new StopTaskCommand({ cluster: target.cluster, task: taskArn, reason: reason.slice(0, 255) }),
      );
      return task ? toView(task) : undefined;
    } catch (error) {
      // ECS forgets a stopped task after about an hour: "The referenced task was not found." It stopped.
      if (isAwsError(error, InvalidParameterException) && /not found/i.test(String(error.message)))
        return undefined;
      throw mapAwsError(error, `ECS StopTask of the migration task ${taskArn} in ${where(target)}`);
    }
  }

  async logTail(
    target: EcsTarget,
    task: { taskArn: string; taskDefinitionArn: string; container: string },
    lines: number,
  ): Promise<string[]> {
    let definition;
    try {
      definition = (
        await this.ecs(target.region).send(
          new DescribeTaskDefinitionCommand({ taskDefinition: task.taskDefinitionArn }),
        )
      ).taskDefinition;
    } catch (error) {
      throw mapAwsError(error, `ECS DescribeTaskDefinition of ${task.taskDefinitionArn}`);
    }
    const logging = definition?.containerDefinitions?.find(
      (c) => c.name === task.container,
    )?.logConfiguration;
    const group = logging?.options?.['awslogs-group'];
    const prefix = logging?.options?.['awslogs-stream-prefix'];
    // Without a stream prefix the stream is named after the Docker container id, which ECS does not report.
    if (logging?.logDriver !== 'awslogs' || !group || !prefix) return [];
    const region = logging.options?.['awslogs-region'] ?? target.region;
    const taskId = task.taskArn.split('/').pop() ?? task.taskArn;
    try {
      const response = await this.logs(region).send(
        new GetLogEventsCommand({
          logGroupName: group,
          logStreamName: `${prefix}/${task.container}/${taskId}`,
          limit: lines,
          startFromHead: false,
        }),
      );
      return (response.events ?? []).map((e) => (e.message ?? '').replace(/\n$/, ''));
    } catch (error) {
      // The task never started its container: there is no stream to read.
      if (isAwsError(error, ResourceNotFoundException)) return [];
      throw mapAwsError(error, `CloudWatch Logs GetLogEvents of ${group} in ${region}`);
    }
  }

  private async describeTasks(target: EcsTarget, taskArns: string[]): Promise<MigrationTaskView[]> {
    let response;
    try {
      response = await this.ecs(target.region).send(
        new DescribeTasksCommand({ cluster: target.cluster, tasks: taskArns }),
      );
    } catch (error) {
      throw mapAwsError(error, `ECS DescribeTasks in ${where(target)}`);
    }
    return (response.tasks ?? [])
      .map((t) => toView(t))
      .sort((a, b) => (a.createdAt ?? 0) - (b.createdAt ?? 0));
  }

  private async readService(target: EcsTarget) {
    let response;
    try {
      response = await this.ecs(target.region).send(
        new DescribeServicesCommand({ cluster: target.cluster, services: [target.service] }),
      );
    } catch (error) {
      throw mapAwsError(error, `ECS DescribeServices of ${where(target)}`);
    }
    const service = response.services?.[0];
    if (!service || service.status !== 'ACTIVE')
      throw new PipelineMisconfiguredError(
        `ECS service ${where(target)} is ${service?.status ?? 'missing'}: the migration task takes its ` +
          'network settings from it; check the cluster, service and region of this stage in pipeline.config.yml',
      );
    return service;
  }
}

function where(target: EcsTarget): string {
  return `${target.cluster}/${target.service} (${target.region})`;
}

/** The migration container is the one whose command was overridden (a sidecar may exit differently). */
function toView(task: Task, container?: string): MigrationTaskView {
  const name = container ?? task.overrides?.containerOverrides?.find((c) => c.command)?.name;
  const main = task.containers?.find((c) => c.name === name) ?? task.containers?.[0];
  return {
    taskArn: task.taskArn ?? '',
    lastStatus: task.lastStatus ?? 'PROVISIONING',
    ...(task.startedBy !== undefined && { startedBy: task.startedBy }),
    ...(task.taskDefinitionArn !== undefined && { taskDefinitionArn: task.taskDefinitionArn }),
    ...(task.createdAt && { createdAt: task.createdAt.getTime() }),
    ...(task.startedAt && { startedAt: task.startedAt.getTime() }),
    ...(task.stoppedAt && { stoppedAt: task.stoppedAt.getTime() }),
    ...(task.stopCode !== undefined && { stopCode: task.stopCode }),
    ...(task.stoppedReason !== undefined && { stoppedReason: task.stoppedReason }),
    ...(main?.exitCode !== undefined && { exitCode: main.exitCode }),
    ...(main?.reason !== undefined && { containerReason: main.reason }),
  };
}
