/**
 * EcsContainerPlatform.endedDeployment: a deployment DescribeServices no longer lists is found in the
 * service's deployment history by the revision it rolled out (the history has ids of its own).
 */
import {
  DescribeServiceRevisionsCommand,
  ECSClient,
  ListServiceDeploymentsCommand,
  ServerException,
  ServiceNotFoundException,
  type ServiceDeploymentBrief,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { EcsContainerPlatform } from '../../../shared/aws/ecs.adapter';
import { AwsTransientError, PipelineMisconfiguredError } from '../../../shared/domain/errors';
import type { EcsTarget } from '../../../shared/ports/deployment';

const REGION = 'us-east-1';
const TARGET: EcsTarget = { region: REGION, cluster: 'prod', service: 'api' };
const TD = (revision: number) => `arn:aws:ecs:${REGION}:123456789012:task-definition/api:${revision}`;
const REVISION = (id: string) => `arn:aws:ecs:${REGION}:123456789012:service-revision/prod/api/${id}`;
const SINCE = Date.UTC(2026, 10, 30, 9, 0);

function brief(id: string, status: ServiceDeploymentBrief['status'], minutesAfter: number, reason?: string) {
  return {
    serviceDeploymentArn: `arn:aws:ecs:${REGION}:123456789012:service-deployment/prod/api/${id}`,
    targetServiceRevisionArn: REVISION(id),
    createdAt: new Date(SINCE + minutesAfter * 60_000),
    status,
    ...(reason && { statusReason: reason }),
  };
}

describe('EcsContainerPlatform.endedDeployment', () => {
  const ecs = mockClient(ECSClient);
  const platform = new EcsContainerPlatform({ clients: new ECSClient({ region: REGION }) });
  const query = { deploymentId: 'ecs-svc/1234567890123456789', taskDefinitionArn: TD(8), since: SINCE };

  beforeEach(() => {
    ecs.reset();
    // Ours (revision 8) completed, then a newer deployment of revision 9 replaced it.
    ecs.on(ListServiceDeploymentsCommand).resolves({
      serviceDeployments: [brief('newer', 'SUCCESSFUL', 6), brief('ours', 'SUCCESSFUL', 1)],
    });
    ecs.on(DescribeServiceRevisionsCommand).resolves({
      serviceRevisions: [
        { serviceRevisionArn: REVISION('newer'), taskDefinition: TD(9) },
        { serviceRevisionArn: REVISION('ours'), taskDefinition: TD(8) },
      ],
    });
  });

  it('when the deployment of our revision succeeded before a newer one replaced it, it reads completed', async () => {
    // Act
    const ending = await platform.endedDeployment(TARGET, query);

    // Assess
    expect(ending).toEqual({ outcome: 'completed' });
    expect(ecs).toHaveReceivedCommandWith(ListServiceDeploymentsCommand, {
      cluster: 'prod',
      service: 'api',
      createdAt: { after: new Date(SINCE - 60_000) },
    });
    expect(ecs).toHaveReceivedCommandWith(DescribeServiceRevisionsCommand, {
      serviceRevisionArns: [REVISION('newer'), REVISION('ours')],
    });
  });

  it('when it was stopped by the newer deployment, it reads failed with ECS status and reason', async () => {
    // Prepare
    ecs.on(ListServiceDeploymentsCommand).resolves({
      serviceDeployments: [
        brief('newer', 'IN_PROGRESS', 6),
        brief('ours', 'STOPPED', 1, 'replaced by a newer deployment'),
      ],
    });

    // Act / Assess
    expect(await platform.endedDeployment(TARGET, query)).toEqual({
      outcome: 'failed',
      reason: 'service deployment STOPPED: replaced by a newer deployment',
    });
  });

  it('when its rollback is still in progress, it reads pending', async () => {
    ecs
      .on(ListServiceDeploymentsCommand)
      .resolves({ serviceDeployments: [brief('ours', 'ROLLBACK_IN_PROGRESS', 1)] });
    expect(await platform.endedDeployment(TARGET, query)).toEqual({ outcome: 'pending' });
  });

  it('when the history holds no deployment of our revision, or the revision is unknown, it reads nothing', async () => {
    expect(await platform.endedDeployment(TARGET, { ...query, taskDefinitionArn: TD(7) })).toBeUndefined();
    ecs.reset();
    expect(await platform.endedDeployment(TARGET, { deploymentId: query.deploymentId })).toBeUndefined();
    expect(ecs).not.toHaveReceivedCommand(ListServiceDeploymentsCommand);
  });

  it('when ECS fails on its side, it reports a transient error', async () => {
    ecs
      .on(ListServiceDeploymentsCommand)
      .rejects(new ServerException({ message: 'internal error', $metadata: { httpStatusCode: 500 } }));
    await expect(platform.endedDeployment(TARGET, query)).rejects.toBeInstanceOf(AwsTransientError);
  });

  it('when the service is gone, it reports a misconfiguration', async () => {
    ecs
      .on(ListServiceDeploymentsCommand)
      .rejects(new ServiceNotFoundException({ message: 'Service not found.', $metadata: {} }));
    await expect(platform.endedDeployment(TARGET, query)).rejects.toBeInstanceOf(PipelineMisconfiguredError);
  });
});
