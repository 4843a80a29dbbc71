import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Mailer, MailMessage } from '../../shared/ports/approvals';
import { mapAwsError } from '../../shared/aws/aws-errors';
import type {
  AlarmSource,
  ContainerPlatform,
  DeploymentEnding,
  EcsServiceView,
  EcsTarget,
  EndedDeploymentQuery,
  HttpProbe,
  HttpProbeResult,
  ShiftRequest,
  TaskDefinitionView,
} from '../../shared/ports/deployment';
import type { AlarmBreach } from '../../shared/domain/stage-run.schema';
import { LambdaRuntimeCrash, sdkError, type FaultInjector, type FaultyService } from './fault-injector';

/**
 * The fault layer: wrappers around the local ports that fail some calls as AWS would, decided by one
 * seeded FaultInjector. A failed call throws what the AWS adapter would throw for it: the SDK-shaped error
 * passed through the adapters' own `mapAwsError`, so ECS, CloudWatch and SES faults reach the steps as
 * `AwsTransientError`. DynamoDB faults go one level lower, into the DynamoDB client the real adapters use.
 */
function failIfFaulty(faults: FaultInjector, service: FaultyService, operation: string): void {
  const fault = faults.transientFault(service);
  if (fault) throw mapAwsError(sdkError(service, fault, operation), `${service.toUpperCase()} ${operation}`);
}

export class FaultyContainerPlatform implements ContainerPlatform {
  constructor(
    private readonly inner: ContainerPlatform,
    private readonly faults: FaultInjector,
  ) {}

  describeService(target: EcsTarget): Promise<EcsServiceView> {
    failIfFaulty(this.faults, 'ecs', 'DescribeServices');
    return this.inner.describeService(target);
  }

  endedDeployment(target: EcsTarget, query: EndedDeploymentQuery): Promise<DeploymentEnding | undefined> {
    failIfFaulty(this.faults, 'ecs', 'ListServiceDeployments');
    return this.inner.endedDeployment(target, query);
  }

  describeTaskDefinition(region: string, arn: string): Promise<TaskDefinitionView> {
    failIfFaulty(this.faults, 'ecs', 'DescribeTaskDefinition');
    return this.inner.describeTaskDefinition(region, arn);
  }

  latestTaskDefinition(region: string, family: string): Promise<TaskDefinitionView | undefined> {
    failIfFaulty(this.faults, 'ecs', 'ListTaskDefinitions');
    return this.inner.latestTaskDefinition(region, family);
  }

  registerRevision(
    region: string,
    fromArn: string,
    container: string,
    change: { image: string; environment: Record<string, string> },
  ): Promise<TaskDefinitionView> {
    failIfFaulty(this.faults, 'ecs', 'RegisterTaskDefinition');
    return this.inner.registerRevision(region, fromArn, container, change);
  }

  /** May also kill the calling Lambda once ECS accepted the update: the step never returns its result. */
  async updateService(
    target: EcsTarget,
    taskDefinitionArn: string,
    shift?: ShiftRequest,
  ): Promise<{ deploymentId: string }> {
    failIfFaulty(this.faults, 'ecs', 'UpdateService');
    const result = await this.inner.updateService(target, taskDefinitionArn, shift);
    if (this.faults.crashesAfterUpdateService())
      throw new LambdaRuntimeCrash(
        `the Lambda died after UpdateService of ${target.service} in ${target.cluster} (${target.region})`,
      );
    return result;
  }
}

export class FaultyAlarmSource implements AlarmSource {
  constructor(
    private readonly inner: AlarmSource,
    private readonly faults: FaultInjector,
  ) {}

  breaches(
    region: string,
    selector: { names: string[]; prefixes: string[] },
    since: number,
  ): Promise<AlarmBreach[]> {
    failIfFaulty(this.faults, 'cloudwatch', 'DescribeAlarms');
    return this.inner.breaches(region, selector, since);
  }

  missing(region: string, names: string[]): Promise<string[]> {
    failIfFaulty(this.faults, 'cloudwatch', 'DescribeAlarms');
    return this.inner.missing(region, names);
  }
}

export class FaultyMailer implements Mailer {
  constructor(
    private readonly inner: Mailer,
    private readonly faults: FaultInjector,
  ) {}

  send(message: MailMessage): Promise<void> {
    failIfFaulty(this.faults, 'ses', 'SendEmail');
    return this.inner.send(message);
  }
}

/**
 * A smoke endpoint that accepts the connection and never answers: the request ends at its timeout with the
 * error the real probe (`fetchProbe`) gives. `waitFor` lets that much pipeline time pass.
 */
export class HangingEndpointProbe implements HttpProbe {
  constructor(
    private readonly inner: HttpProbe,
    private readonly faults: FaultInjector,
    private readonly waitFor: (ms: number) => Promise<void>,
  ) {}

  async request(request: {
    url: string;
    method: 'GET' | 'HEAD';
    timeoutMs: number;
  }): Promise<HttpProbeResult> {
    if (!this.faults.smokeCheckHangs()) return this.inner.request(request);
    await this.waitFor(request.timeoutMs);
    throw new Error(`no response within ${request.timeoutMs} ms`);
  }
}

/**
 * Makes some DynamoDB calls fail inside the client the real adapters use, with the client's own exception
 * classes. It sits before the SDK's retry middleware: the adapter sees what is left once the SDK's retries
 * gave up, and its own error mapping runs for real. The document clients share this middleware stack.
 */
export function injectDynamoFaults(client: DynamoDBClient, faults: FaultInjector): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const fault = faults.transientFault('dynamodb');
      if (fault) throw sdkError('dynamodb', fault, String(context.commandName ?? 'DynamoDB call'));
      return next(args);
    },
    { step: 'initialize', name: 'localFaultInjection' },
  );
}
