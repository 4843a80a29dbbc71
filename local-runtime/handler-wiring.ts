/**
 * The local counterpart of each handler's module-scope wiring: the real handlers (`createX(deps)` wrapped in
 * the same middy stack as in AWS) given the real DynamoDB adapters and the local ports, by the names the
 * state machines and event rules invoke them with; plus the two HTTP handlers (approval page, GitHub webhook).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { createAcquireStageLock } from '../functions/acquire-stage-lock/handler';
import { createApprovalPage } from '../functions/approval-page/handler';
import { createAwaitDeployment } from '../functions/await-deployment/handler';
import { createCheckBakeAlarms } from '../functions/check-bake-alarms/handler';
import { createCheckDeploymentGate } from '../functions/check-deployment-gate/handler';
import { createCheckRelease } from '../functions/check-release/handler';
import { createSettleDeployment } from '../functions/settle-deployment/handler';
import { createDeployService } from '../functions/deploy-service/handler';
import { createStopStage } from '../functions/stop-stage/handler';
import { createReceiveGitHubWebhook } from '../functions/receive-github-webhook/handler';
import { createReconcileImages } from '../functions/reconcile-images/handler';
import { createCompleteStage } from '../functions/complete-stage/handler';
import { createRequestApproval } from '../functions/request-approval/handler';
import { createResolveReleaseImage } from '../functions/resolve-release-image/handler';
import { createRollBackService } from '../functions/roll-back-service/handler';
import { createSmokeTestFunction } from '../functions/run-smoke-checks/handler';
import { createStartPromotion } from '../functions/start-promotion/handler';
import { createStartRelease } from '../functions/start-release/handler';
import { createSweepDeployments } from '../functions/sweep-deployments/handler';
import { createSettleBake } from '../functions/settle-bake/handler';
import { createWatchBake } from '../functions/watch-bake/handler';
import { createRunMigrations } from '../functions/run-migrations/handler';
import { createSettleMigration } from '../functions/settle-migration/handler';
import { createStopMigration } from '../functions/stop-migration/handler';
import { DynamoTrafficShiftLog } from '../shared/aws/traffic-shift-log.adapter';
import { DynamoMigrationStore } from '../shared/aws/migration-store.adapter';
import type { MigrationTasks } from '../shared/ports/migrations';
import { DynamoBakeWatchStore } from '../shared/aws/bake-watches.adapter';
import type { EcsTarget, TrafficShiftHook } from '../shared/ports/deployment';
import type { ServiceDeploymentControl, TrafficShiftLog } from '../shared/ports/traffic-shift';
import { EmailApprovalNotifier } from '../shared/approvals/email/email-notifier';
import { SignedLinkSigner } from '../shared/approvals/email/signed-link-signer';
import type { StaticSigningKeySource } from '../shared/approvals/links/signing';
import type { ApprovalNotifier, Mailer } from '../shared/ports/approvals';
import { DynamoApprovalStore } from '../shared/aws/approval-store.adapter';
import { DynamoDeploymentFreezes } from '../shared/aws/deployment-freezes.adapter';
import { DynamoDeploymentLocks } from '../shared/aws/deployment-locks.adapter';
import { DynamoDeploymentRecords } from '../shared/aws/deployment-records.adapter';
import { DynamoDeploymentWaiterStore } from '../shared/aws/deployment-waiters.adapter';
import { DynamoStageEvidenceStore } from '../shared/aws/stage-evidence.adapter';
import { DynamoStageRecordStore } from '../shared/aws/stage-records.adapter';
import type { Clock } from '../shared/clock';
import type { PipelineConfig } from '../shared/config/config.schema';
import { serviceOfGitRepository } from '../shared/config/git-repository';
import { TAG_EVENT_DETAIL_TYPE, TAG_EVENT_SOURCE } from '../shared/git-tags/tag-created.schema';
import { lambdaStep } from '../shared/middleware/lambda-step';
import type { LocalImageRegistry } from './adapters/local-image-registry';
import type { LocalNotifications } from './adapters/local-notifications';
import type { HandlerPorts } from './faults/fault-layer';
import type { HttpApiHandler } from './http/api-gateway-bridge';
import type { LocalExecutionControl } from './local-execution-control';
import { fakeContext, type LambdaHandler } from './local-lambda-service';
import { LOCAL_ACCOUNT } from './state-machine-definitions';

/** The real DynamoDB adapters on the local pipeline table. */
export function dynamoStores(client: DynamoDBClient, tableName: string, clock: Clock) {
  return {
    stageRecords: new DynamoStageRecordStore({ client, tableName }),
    waiters: new DynamoDeploymentWaiterStore({ client, tableName }),
    bakeWatches: new DynamoBakeWatchStore({ client, tableName }),
    locks: new DynamoDeploymentLocks({ client, tableName }),
    evidence: new DynamoStageEvidenceStore({ client, tableName }),
    approvalStore: new DynamoApprovalStore({ client, tableName, clock }),
    records: new DynamoDeploymentRecords({ client, tableName }),
    freezes: new DynamoDeploymentFreezes({ client, tableName }),
    migrations: new DynamoMigrationStore({ client, tableName }),
    shiftLog: new DynamoTrafficShiftLog({ client, tableName, clock }),
  };
}

export type DynamoStores = ReturnType<typeof dynamoStores>;

export interface HandlerDeps {
  config: PipelineConfig;
  clock: Clock;
  /** ECS, CloudWatch and the endpoints, as the handlers see them (behind the fault layer, if any). */
  ports: Pick<HandlerPorts, 'platform' | 'alarms' | 'probe'>;
  /** One-off ECS tasks of the migrations (local child processes). */
  migrationTasks: MigrationTasks;
  stores: DynamoStores;
  executions: LocalExecutionControl;
  registry: LocalImageRegistry;
  /** The pipeline's region, where the reconciliation sweep lists ECR images. */
  registryRegion: string;
  notifications: LocalNotifications;
  /** Where production approval requests go: the approval emails or the local approvers. */
  approvalNotifier: () => ApprovalNotifier;
  /** Read at the first invocation: the state machines are created after the handlers are wired. */
  stateMachineArns: { readonly promote: string; readonly release: string };
  /** Told when a stage's bake begins, as the local world times a version's alarms into the bake. */
  onBakeStarted?: (target: EcsTarget) => void;
  /** Stages that shift traffic: the hook ECS invokes, switching back to blue, and the shifts' record. */
  traffic?: {
    hook: TrafficShiftHook;
    serviceDeployments: ServiceDeploymentControl;
    log: TrafficShiftLog;
  };
}

/** The pipeline's traffic shift function as the local ECS knows it (the serverless.yml function's name). */
export function localShiftHook(region: string): TrafficShiftHook {
  return {
    functionArn: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT}:function:ecs-promotion-pipeline-local-shiftTraffic`,
    invokeRoleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/ecs-promotion-pipeline-local-ecs-hook-invoke`,
  };
}

/** Every Lambda function the state machines and event rules invoke, by handler name. */
export function wireHandlers(deps: HandlerDeps): Record<string, LambdaHandler> {
  const { config, clock, executions, registry, notifications, stateMachineArns } = deps;
  const { platform, alarms, probe } = deps.ports;
  const { stageRecords, waiters, bakeWatches, locks, evidence, approvalStore, records, freezes } =
    deps.stores;
  const settle = { platform, waiters, executions, clock };
  const migrations = { tasks: deps.migrationTasks, store: deps.stores.migrations, executions, clock };
  const bakes = { watches: bakeWatches, alarms, executions, clock };
  const step = <E, R>(name: string, make: () => (event: E) => Promise<R>): LambdaHandler =>
    lambdaStep(name, make) as unknown as LambdaHandler;
  return {
    startPromotion: step('start-promotion', () =>
      createStartPromotion({ config, executions, promoteStateMachineArn: stateMachineArns.promote }),
    ),
    deployService: step('deploy-service', () =>
      createDeployService({
        platform,
        stageRecords,
        clock,
        ...(deps.traffic && { trafficShiftHook: deps.traffic.hook }),
      }),
    ),
    awaitDeployment: step('await-deployment', () => createAwaitDeployment(settle)),
    settleDeployment: step('settle-deployment', () => createSettleDeployment(settle)),
    sweepDeployments: step('sweep-deployments', () =>
      createSweepDeployments({ ...settle, bakes, migrations }),
    ),
    runMigrations: step('run-migrations', () => createRunMigrations({ ...migrations, platform })),
    settleMigration: step('settle-migration', () => createSettleMigration(migrations)),
    stopMigration: step('stop-migration', () => createStopMigration(migrations)),
    watchBake: step('watch-bake', () => {
      const watch = createWatchBake(bakes);
      return async (event: unknown) => {
        const stage = (event as { stage?: EcsTarget } | undefined)?.stage;
        if (stage)
          deps.onBakeStarted?.({ region: stage.region, cluster: stage.cluster, service: stage.service });
        return watch(event);
      };
    }),
    settleBake: step('settle-bake', () => createSettleBake(bakes)),
    reconcileImages: step('reconcile-images', () =>
      createReconcileImages({
        config,
        registry,
        registryRegion: deps.registryRegion,
        platform,
        executions,
        lookup: executions,
        promoteStateMachineArn: stateMachineArns.promote,
        clock,
      }),
    ),
    runSmokeChecks: step('run-smoke-checks', () => createSmokeTestFunction({ probe })),
    checkBakeAlarms: step('check-bake-alarms', () => createCheckBakeAlarms({ alarms, clock })),
    stopStage: step('stop-stage', () =>
      createStopStage({ locks, approvals: approvalStore, records, stageRecords, clock, notifications }),
    ),
    acquireStageLock: step('acquire-stage-lock', () =>
      createAcquireStageLock({ locks, records, platform, clock }),
    ),
    checkDeploymentGate: step('check-deployment-gate', () => createCheckDeploymentGate({ freezes, clock })),
    completeStage: step('complete-stage', () =>
      createCompleteStage({
        locks,
        evidence,
        records,
        clock,
        ...(deps.traffic && { trafficShifts: deps.traffic.log }),
      }),
    ),
    startRelease: step('start-release', () =>
      createStartRelease({ config, executions, releaseStateMachineArn: stateMachineArns.release }),
    ),
    checkRelease: step('check-release', () => createCheckRelease({ platform, records })),
    resolveReleaseImage: step('resolve-release-image', () => createResolveReleaseImage({ registry, clock })),
    requestApproval: step('request-approval', () =>
      createRequestApproval({
        store: approvalStore,
        notifier: deps.approvalNotifier(),
        clock,
        evidence,
        notifications,
        migrations: deps.stores.migrations,
      }),
    ),
    rollBackService: step('roll-back-service', () =>
      createRollBackService({
        platform,
        stageRecords,
        ...(deps.traffic && {
          trafficShiftHook: deps.traffic.hook,
          serviceDeployments: deps.traffic.serviceDeployments,
          shiftLog: deps.traffic.log,
        }),
      }),
    ),
  };
}

/**
 * The approval emails of AWS, with links to the local HTTP server. Built on the first email: the links need
 * the server's URL, known only once the server runs (`baseUrl()` is undefined before).
 */
export function emailApprovalNotifier(deps: {
  mailer: () => Mailer;
  baseUrl: () => string | undefined;
  keys: StaticSigningKeySource;
}): ApprovalNotifier {
  let notifier: EmailApprovalNotifier | undefined;
  return {
    notify: (view) => {
      const baseUrl = deps.baseUrl();
      if (baseUrl === undefined)
        throw new Error(
          'approvals by email need the local HTTP server: serve the pipeline (serveLocalPipeline) first',
        );
      notifier ??= new EmailApprovalNotifier({
        mailer: deps.mailer(),
        signer: new SignedLinkSigner({ baseUrl, keys: deps.keys }),
        log: { warn: () => undefined },
      });
      return notifier.notify(view);
    },
  };
}

/** The approval page handler, the same one API Gateway invokes in AWS, with the middy stack. */
export function approvalPageHandler(deps: {
  stores: Pick<DynamoStores, 'approvalStore' | 'records'>;
  executions: LocalExecutionControl;
  clock: Clock;
  keys: StaticSigningKeySource;
  /**
   * The server's URL, as in AWS's APPROVAL_BASE_URL: a POST whose `Origin` names another site is refused.
   * Read at the first request (the handler is built then), when the server runs and knows its port.
   */
  baseUrl?: () => string | undefined;
}): HttpApiHandler {
  const approvalPage = lambdaStep('approval-page', () => {
    const baseUrl = deps.baseUrl?.();
    return createApprovalPage({
      store: deps.stores.approvalStore,
      executions: deps.executions,
      records: deps.stores.records,
      clock: deps.clock,
      keys: deps.keys,
      ...(baseUrl !== undefined && { baseUrl }),
    });
  }) as unknown as (event: Parameters<HttpApiHandler>[0], context: unknown) => ReturnType<HttpApiHandler>;
  return (event) => approvalPage(event, fakeContext('approvalPage'));
}

/**
 * The GitHub webhook at its AWS path: verified deliveries become `Git Tag Created` events on the local
 * bus, as the AWS handler puts them on the pipeline's bus.
 */
export function githubWebhookHandler(deps: {
  secret: string;
  config: PipelineConfig;
  region: string;
  clock: Clock;
  putEvent: (event: unknown) => Promise<unknown>;
}): HttpApiHandler {
  const receive = createReceiveGitHubWebhook({
    secrets: { get: async () => deps.secret },
    secretName: 'local/github-webhook-secret',
    releasesService: (repository) => serviceOfGitRepository(deps.config, repository) !== undefined,
    publisher: {
      publish: async (detail) => {
        await deps.putEvent({
          version: '0',
          id: randomBytes(16).toString('hex'),
          source: TAG_EVENT_SOURCE,
          'detail-type': TAG_EVENT_DETAIL_TYPE,
          account: LOCAL_ACCOUNT,
          time: new Date(deps.clock.now()).toISOString(),
          region: deps.region,
          resources: [],
          detail,
        });
      },
    },
  });
  return async (event) => receive(event);
}
