import { DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import type { AddressInfo } from 'node:net';
import { ScaledClock, type Clock } from '../shared/clock';
import { AutoAdvanceClock } from './auto-advance-clock';
import type { PipelineConfig } from '../shared/config/config.schema';
import type { ContainerView, EcsTarget } from '../shared/domain/ports';
import { planStages, type Stage } from '../shared/domain/stage';
import { DEPLOYED_ENV } from '../shared/use-cases/deploy-service';
import { eventRules, type EventRule } from '../shared/event-rules';
import { DynamoDeploymentWaiterStore } from '../shared/aws/deployment-waiters.adapter';
import { createPipelineTable } from '../shared/aws/pipeline-table';
import { DynamoStageRecordStore } from '../shared/aws/stage-records.adapter';
import { lambdaStep, logger } from '../shared/middleware/lambda-step';
import { createAwaitDeployment } from '../functions/await-deployment/handler';
import { createCheckBakeAlarms } from '../functions/check-bake-alarms/handler';
import { createCompleteDeployment } from '../functions/complete-deployment/handler';
import { createDeployService } from '../functions/deploy-service/handler';
import { createFailStage } from '../functions/fail-stage/handler';
import { createRollBackService } from '../functions/roll-back-service/handler';
import { createRunSmokeTests } from '../functions/run-smoke-tests/handler';
import { createStartPromotion } from '../functions/start-promotion/handler';
import { createSweepDeployments } from '../functions/sweep-deployments/handler';
import { createReconcileImages } from '../functions/reconcile-images/handler';
import { decideApproval } from '../shared/approvals/decide-approval';
import { DynamoApprovalStore } from '../shared/aws/approval-store.adapter';
import { DynamoDeploymentLocks } from '../shared/aws/deployment-locks.adapter';
import { DynamoStageEvidenceStore } from '../shared/aws/stage-evidence.adapter';
import { DynamoDeploymentRecords } from '../shared/aws/deployment-records.adapter';
import { createAcquireStageLock } from '../functions/acquire-stage-lock/handler';
import { createReleaseStageLock } from '../functions/release-stage-lock/handler';
import { createCheckDeploymentGate } from '../functions/check-deployment-gate/handler';
import { DynamoDeploymentFreezes } from '../shared/aws/deployment-freezes.adapter';
import type { DeploymentFreeze } from '../shared/domain/deployment-gate';
import { createCheckRelease } from '../functions/check-release/handler';
import { createRequestApproval } from '../functions/request-approval/handler';
import { createResolveReleaseImage } from '../functions/resolve-release-image/handler';
import { createStartRelease } from '../functions/start-release/handler';
import { LocalAlarmSource } from './adapters/local-alarm-source';
import { LocalApprovalDesk, type ApprovalPolicy } from './adapters/local-approval-desk';
import { LocalEmailApprover } from './adapters/local-email-approver';
import { LocalMailbox } from './adapters/local-mailbox';
import { LocalHttpServer } from './local-http-server';
import type { HttpApiHandler } from './http/api-gateway-bridge';
import { randomBytes } from 'node:crypto';
import type { ApprovalNotifier } from '../shared/approvals/ports';
import { EmailApprovalNotifier } from '../shared/approvals/email/email-notifier';
import { SignedLinkSigner } from '../shared/approvals/email/signed-link-signer';
import { StaticSigningKeySource } from '../shared/approvals/links/signing';
import { createApprovalPage } from '../functions/approval-page/handler';
import { createReceiveGitHubWebhook } from '../functions/receive-github-webhook/handler';
import { TAG_EVENT_DETAIL_TYPE, TAG_EVENT_SOURCE } from '../shared/git-tags/tag-created.schema';
import { LocalImageRegistry } from './adapters/local-image-registry';
import { LocalNotifications } from './adapters/local-notifications';
import {
  LocalContainerPlatform,
  teamTaskDefinition,
  type LocalDeploymentEvent,
} from './adapters/local-container-platform';
import { LocalServiceFleet } from './adapters/local-service-fleet';
import type { FaultInjector } from './faults/fault-injector';
import {
  FaultyAlarmSource,
  FaultyContainerPlatform,
  FaultyMailer,
  HangingEndpointProbe,
  injectDynamoFaults,
} from './faults/faulty-adapters';
import type { ContainerPlatform, AlarmSource, HttpProbe } from '../shared/domain/ports';
import type { Mailer } from '../shared/approvals/email/ports';
import { LocalStepFunctions, SfnApiError } from './engine';
import { DataDir } from './data-dir/data-dir';
import { DataDirError } from './data-dir/data-dir-error';
import { LOCAL_STATE_FORMAT, LOCAL_STATE_VERSION, type LocalState } from './data-dir/local-state';
import { matchesEventPattern } from './event-pattern';
import { LocalExecutionControl } from './local-execution-control';
import { fakeContext, LocalLambdaService, type LambdaHandler } from './local-lambda-service';
import { loadStateMachineDefinition, LOCAL_ACCOUNT } from './state-machine-definitions';

/** The local pipeline table's name (the operator CLI's `--local` reads it through `/aws/dynamodb`). */
export const LOCAL_TABLE_NAME = 'pipeline-local';

/** How a version behaves locally, keyed by commit (prefix): the knobs that show the failure paths. */
export interface VersionBehaviour {
  /** ECS tasks never become healthy: the circuit breaker fails the deployment. */
  failsToStart?: boolean;
  /** The health check answers 503: smoke tests fail. */
  failsHealthCheck?: boolean;
  /** The environment's alarms go to ALARM while it serves: the bake fails. */
  breachesAlarms?: boolean;
  /** Misbehave only in these targets (cluster optional), e.g. one production region. Default: everywhere. */
  only?: { region: string; cluster?: string }[];
}

export interface LocalPipelineOptions {
  config: PipelineConfig;
  /**
   * Default: an AutoAdvanceClock (virtual time that jumps ahead whenever nothing is running). Pass a
   * ScaledClock to watch things happen at a sped-up wall-clock pace. With `dataDir`, pass a function: it
   * gets the pipeline time the saved state stopped at (undefined on a first start), for the clock to go on from.
   */
  clock?: Clock | ((resumeAt: number | undefined) => Clock);
  /**
   * Keep the state in this directory (created when missing) instead of in memory only: DynamoDB, the
   * executions, local ECS/ECR/alarms and the mailbox. A pipeline started on it again shows the same and
   * resumes the executions that were running (see `resume()` and docs/local-stack.md).
   */
  dataDir?: string;
  /** Behaviour per commit prefix. */
  behaviours?: Record<string, VersionBehaviour>;
  /** How long an ECS deployment takes, in pipeline time. Default 90 s. */
  deploymentMs?: number;
  /** Drop ECS deployment state change events (as when they are raised in another region). */
  dropEcsEvents?: boolean;
  /** Run the sweep function on this period (pipeline time) while the stack is open, as the AWS schedule does. */
  sweepEveryMs?: number;
  /**
   * Run the reconciliation sweep (reconcile-images) on this period while the stack is open; AWS runs it every
   * `reconciliation.everyMinutes` of the config.
   */
  reconcileEveryMs?: number;
  /**
   * What the local approvers do with production approval requests (default: approve), or `email`: send
   * the real approval emails to the local mailbox and wait for someone to click (see `serveHttp`).
   */
  approvals?: ApprovalPolicy | 'email';
  /** With `approvals: 'email'`: an approver clicks every Approve link as its email arrives, over HTTP. */
  clickApprovalLinks?: boolean;
  /** Regions whose approvals are rejected whatever the policy. */
  rejectRegions?: string[];
  /**
   * Fault injection (issue #8): ECS, CloudWatch, SES and DynamoDB calls fail as AWS's would, Lambdas die
   * after UpdateService, smoke endpoints hang, at the injector's seeded rates. Default: no faults.
   */
  faults?: FaultInjector;
  /** Log level of the handlers' Powertools logger. Default SILENT. */
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
}

export interface RoutedEvent {
  /** The rules whose pattern matched, with what their target returned or threw. */
  deliveries: { rule: EventRule['target']; result?: unknown; error?: { name: string; message: string } }[];
}

/**
 * The whole pipeline on one machine: the state machine definitions from statemachines/, the real
 * handlers with local adapters for ECS, CloudWatch and HTTP endpoints, the real DynamoDB adapters against
 * dynalite, and events routed through the same rule patterns serverless.yml deploys.
 */
export class LocalPipeline {
  readonly engine: LocalStepFunctions;
  readonly platform: LocalContainerPlatform;
  readonly alarms: LocalAlarmSource;
  readonly fleet: LocalServiceFleet;
  readonly lambdas: LocalLambdaService;
  readonly registry = new LocalImageRegistry();
  /** The pipeline's own region: its event bus and the ECR repositories whose pushes reach its rules. */
  readonly region: string;
  readonly approvals: LocalApprovalDesk;
  /** Where approval emails land when `approvals` is `email`. */
  readonly mailbox: LocalMailbox;
  /** The pipeline's notification topic: stage failures, rollbacks, waiting approvals. */
  readonly notifications: LocalNotifications;
  /** The secret local GitHub webhook deliveries are signed with (what the AWS stack keeps in Secrets Manager). */
  readonly githubWebhookSecret: string;
  /** Signs the approval links of the local emails and verifies them on the local pages. */
  private readonly linkKeys: StaticSigningKeySource;
  private readonly linkSigningKey: Buffer;
  private http?: LocalHttpServer;
  /** The approver who clicks the emailed links (`clickApprovalLinks`). */
  readonly emailApprover?: LocalEmailApprover;
  readonly stateMachineArns: { promote: string; release: string } = { promote: '', release: '' };
  private readonly inFlight = new Set<Promise<unknown>>();
  /** The approval records (real DynamoDB adapter on dynalite). */
  readonly approvalStore: DynamoApprovalStore;
  /** The deployment records table (what runs where, and the audit trail). */
  readonly records: DynamoDeploymentRecords;
  /** Environment freezes (real DynamoDB adapter on dynalite): what the deployment gate reads. */
  readonly freezes: DynamoDeploymentFreezes;
  /** What each deployed stage showed (real DynamoDB adapter on dynalite). */
  readonly evidence: DynamoStageEvidenceStore;
  private readonly executions: LocalExecutionControl;
  private readonly closing = new AbortController();
  /** The mailer approval emails go through: SES faults apply when faults are injected. */
  private readonly mailer: (mailer: Mailer) => Mailer;
  /** With `dataDir`: the pending save (state is written at most every {@link SAVE_DELAY_MS}). */
  private saveTimer?: NodeJS.Timeout;
  private saving = true;

  private constructor(
    readonly config: PipelineConfig,
    readonly clock: Clock,
    private readonly dynamo: { client: DynamoDBClient; endpoint: string; close: () => Promise<void> },
    private readonly options: LocalPipelineOptions,
    private readonly dataDir?: DataDir,
    secrets?: LocalState['secrets'],
  ) {
    this.linkSigningKey = secrets ? Buffer.from(secrets.linkSigningKey, 'base64') : randomBytes(32);
    this.linkKeys = new StaticSigningKeySource(this.linkSigningKey);
    this.githubWebhookSecret = secrets?.githubWebhookSecret ?? randomBytes(24).toString('base64url');
    this.region = config.environments[0]?.regions[0] ?? 'eu-west-1';
    this.alarms = new LocalAlarmSource(clock);
    const behaviourOf = (container: ContainerView, target: EcsTarget) => this.behaviourOf(container, target);
    this.platform = new LocalContainerPlatform({
      clock,
      deploymentMs: options.deploymentMs ?? 90_000,
      behaviourOf,
      onDeploymentFinished: (event) => this.onDeploymentFinished(event),
    });
    this.fleet = new LocalServiceFleet(this.platform, allStages(config), behaviourOf);

    // What the handlers get: the local stand-ins, behind the fault layer when faults are injected. Tests and
    // the dashboard read the stand-ins themselves (this.platform, this.alarms), which never fail.
    const faults = options.faults;
    const platform: ContainerPlatform = faults
      ? new FaultyContainerPlatform(this.platform, faults)
      : this.platform;
    const alarmSource: AlarmSource = faults ? new FaultyAlarmSource(this.alarms, faults) : this.alarms;
    const probe: HttpProbe = faults
      ? new HangingEndpointProbe(this.fleet, faults, (ms) =>
          clock instanceof AutoAdvanceClock ? clock.waitIdle(ms) : clock.sleep(ms),
        )
      : this.fleet;
    if (faults) injectDynamoFaults(dynamo.client, faults);
    this.mailer = (mailer: Mailer) => (faults ? new FaultyMailer(mailer, faults) : mailer);

    const tableName = LOCAL_TABLE_NAME;
    const stageRecords = new DynamoStageRecordStore({ client: dynamo.client, tableName });
    const waiters = new DynamoDeploymentWaiterStore({ client: dynamo.client, tableName });
    this.engine = new LocalStepFunctions({
      clock,
      taskHandler: (request) => this.lambdas.taskHandler(request),
      accountId: LOCAL_ACCOUNT,
      region: 'local',
    });
    const executions = new LocalExecutionControl(this.engine);
    const settle = { platform, waiters, executions, clock };
    const locks = new DynamoDeploymentLocks({ client: dynamo.client, tableName });
    const evidence = new DynamoStageEvidenceStore({ client: dynamo.client, tableName });
    this.evidence = evidence;
    const approvalStore = new DynamoApprovalStore({ client: dynamo.client, tableName, clock });
    const records = new DynamoDeploymentRecords({ client: dynamo.client, tableName });
    const freezes = new DynamoDeploymentFreezes({ client: dynamo.client, tableName });
    this.approvalStore = approvalStore;
    this.records = records;
    this.freezes = freezes;
    this.executions = executions;
    this.mailbox = new LocalMailbox({ clock });
    this.notifications = new LocalNotifications(clock);
    if (options.clickApprovalLinks)
      this.emailApprover = new LocalEmailApprover(this.mailbox, { track: (work) => this.track(work) });
    const email = options.approvals === 'email';
    this.approvals = new LocalApprovalDesk({
      policy:
        options.approvals === undefined || options.approvals === 'email' ? 'approve' : options.approvals,
      rejectRegions: options.rejectRegions ?? [],
      decide: (attempt) => decideApproval(attempt, { store: approvalStore, executions, records, clock }),
      track: (work) => this.track(work),
    });

    const step = <E, R>(name: string, make: () => (event: E) => Promise<R>): LambdaHandler =>
      lambdaStep(name, make) as unknown as LambdaHandler;
    this.lambdas = new LocalLambdaService(
      {
        startPromotion: step('start-promotion', () =>
          createStartPromotion({ config, executions, promoteStateMachineArn: this.stateMachineArns.promote }),
        ),
        deployService: step('deploy-service', () => createDeployService({ platform, stageRecords, clock })),
        awaitDeployment: step('await-deployment', () => createAwaitDeployment(settle)),
        completeDeployment: step('complete-deployment', () => createCompleteDeployment(settle)),
        sweepDeployments: step('sweep-deployments', () => createSweepDeployments(settle)),
        reconcileImages: step('reconcile-images', () =>
          createReconcileImages({
            config,
            registry: this.registry,
            registryRegion: this.region,
            platform,
            executions,
            lookup: executions,
            promoteStateMachineArn: this.stateMachineArns.promote,
            clock,
          }),
        ),
        runSmokeTests: step('run-smoke-tests', () => createRunSmokeTests({ probe })),
        checkBakeAlarms: step('check-bake-alarms', () =>
          createCheckBakeAlarms({ alarms: alarmSource, clock }),
        ),
        failStage: step('fail-stage', () =>
          createFailStage({
            locks,
            approvals: approvalStore,
            records,
            clock,
            notifications: this.notifications,
          }),
        ),
        acquireStageLock: step('acquire-stage-lock', () => createAcquireStageLock({ locks, records, clock })),
        checkDeploymentGate: step('check-deployment-gate', () =>
          createCheckDeploymentGate({ freezes, clock }),
        ),
        releaseStageLock: step('release-stage-lock', () =>
          createReleaseStageLock({ locks, evidence, records, clock }),
        ),
        startRelease: step('start-release', () =>
          createStartRelease({ config, executions, releaseStateMachineArn: this.stateMachineArns.release }),
        ),
        checkRelease: step('check-release', () => createCheckRelease({ platform })),
        resolveReleaseImage: step('resolve-release-image', () =>
          createResolveReleaseImage({ registry: this.registry, clock }),
        ),
        requestApproval: step('request-approval', () =>
          createRequestApproval({
            store: approvalStore,
            notifier: email ? this.emailNotifier() : this.approvals,
            clock,
            evidence,
            notifications: this.notifications,
          }),
        ),
        rollBackService: step('roll-back-service', () => createRollBackService({ platform, stageRecords })),
      },
      () => clock.now(),
      (work) => this.track(work),
    );
  }

  /**
   * Starts dynalite on loopback, creates the table and the state machines. Call `close()` when done.
   * With `dataDir`, restores what the directory holds; executions that were running wait for `resume()`.
   * @throws DataDirError when the data directory cannot be used (nothing is left running)
   */
  static async start(options: LocalPipelineOptions): Promise<LocalPipeline> {
    if (options.logLevel) logger.setLogLevel(options.logLevel);
    const dataDir = options.dataDir === undefined ? undefined : DataDir.open(options.dataDir);
    let dynamo: Awaited<ReturnType<typeof startDynalite>> | undefined;
    let pipeline: LocalPipeline | undefined;
    try {
      const saved = dataDir?.readState();
      dynamo = await startDynalite(dataDir?.dynamoPath);
      try {
        await ensurePipelineTable(dynamo.client, LOCAL_TABLE_NAME);
      } catch (error) {
        if (!dataDir) throw error;
        throw new DataDirError(
          `${dataDir.dynamoPath} cannot be opened as the DynamoDB tables (${(error as Error).message}): ` +
            'delete the directory or pick another --data-dir',
        );
      }
      const clock =
        typeof options.clock === 'function'
          ? options.clock(saved?.clockNow)
          : (options.clock ?? new AutoAdvanceClock(saved?.clockNow ?? Date.now()));
      pipeline = new LocalPipeline(options.config, clock, dynamo, options, dataDir, saved?.secrets);
      if (saved && dataDir) pipeline.restore(saved, dataDir);
      pipeline.seedWorld();
      for (const name of ['promote', 'release'] as const)
        pipeline.stateMachineArns[name] = await pipeline.defineStateMachine(name);
      if (dataDir) {
        const started = pipeline;
        started.engine.onEvent(() => started.scheduleSave());
        started.saveNow(); // the directory holds a readable state from the first moment
      }
      if (options.sweepEveryMs) void pipeline.runSchedule('sweepDeployments', options.sweepEveryMs);
      if (options.reconcileEveryMs) void pipeline.runSchedule('reconcileImages', options.reconcileEveryMs);
      return pipeline;
    } catch (error) {
      // Nothing may be left holding the process open or the directory locked.
      pipeline?.platform.stop();
      await dynamo?.close();
      dataDir?.release();
      throw error;
    }
  }

  /**
   * Runs on the executions restored from the data directory, from where they were: call it once the
   * HTTP side is up (`serveHttp`, `fleet.serve`), as their next steps may need it. A no-op otherwise.
   */
  resume(): void {
    this.engine.resumeExecutions();
  }

  /** The config's services and alarms, where the restored state does not have them yet. */
  private seedWorld(): void {
    // The repositories exist before the first push, as they do in AWS.
    for (const service of this.config.services)
      this.registry.createRepository(this.region, service.ecrRepository);
    for (const stage of allStages(this.config)) {
      if (!this.platform.hasService(stage)) {
        const { container, definition } = teamTaskDefinition(stage);
        this.platform.seedService(stage, container, definition);
      }
      for (const name of stage.alarms.names) this.alarms.define(stage.region, name);
      for (const prefix of stage.alarms.prefixes) this.alarms.define(stage.region, `${prefix}-p99`);
    }
  }

  /** Creates a state machine from statemachines/; a restored one whose file changed gets the new definition. */
  private async defineStateMachine(name: 'promote' | 'release'): Promise<string> {
    const definition = loadStateMachineDefinition(name);
    try {
      return (await this.engine.createStateMachine({ name, definition })).stateMachineArn;
    } catch (error) {
      if (!(error instanceof SfnApiError) || error.name !== 'StateMachineAlreadyExists') throw error;
      const { stateMachines } = await this.engine.listStateMachines();
      const arn = stateMachines.find((m) => m.name === name)?.stateMachineArn ?? '';
      await this.engine.updateStateMachine({ stateMachineArn: arn, definition }); // running executions keep theirs
      return arn;
    }
  }

  /** Takes the saved state; the engine first, so that callbacks of resumed ECS deployments find their tokens. */
  private restore(saved: LocalState, dataDir: DataDir): void {
    try {
      this.engine.restore(saved.engine);
      this.platform.restore(saved.platform);
      this.registry.restore(saved.registry);
      this.alarms.restore(saved.alarms);
      this.mailbox.restore(saved.mailbox);
    } catch (error) {
      throw dataDir.damaged((error as Error).message);
    }
  }

  /** Everything but the DynamoDB tables (dynalite writes those itself), as `state.json` holds it. */
  private localState(): LocalState {
    return {
      format: LOCAL_STATE_FORMAT,
      version: LOCAL_STATE_VERSION,
      savedAt: new Date().toISOString(),
      clockNow: this.clock.now(),
      secrets: {
        linkSigningKey: this.linkSigningKey.toString('base64'),
        githubWebhookSecret: this.githubWebhookSecret,
      },
      engine: this.engine.snapshot(),
      platform: this.platform.snapshot(),
      registry: this.registry.snapshot(),
      alarms: this.alarms.snapshot(),
      mailbox: this.mailbox.list(),
    };
  }

  /** Something changed: save soon, once for a burst of changes. */
  private scheduleSave(): void {
    if (!this.dataDir || !this.saving || this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      try {
        this.saveNow();
      } catch (error) {
        // A full disk must not stop the pipeline; close() tries again and reports it.
        logger.warn('pipeline local: could not save the state', { error: (error as Error).message });
      }
    }, SAVE_DELAY_MS);
    this.saveTimer.unref();
  }

  private saveNow(): void {
    this.dataDir?.writeState(this.localState());
  }

  /**
   * Freezes an environment, as `pipeline freeze` does: stages there wait at the deployment gate until it
   * is lifted (or fail after the environment's freezeWaitHours). Rollbacks of failed stages still run.
   */
  async freeze(
    environment: string,
    reason: string,
    by: string,
    options: { until?: number } = {},
  ): Promise<DeploymentFreeze> {
    this.knownEnvironment(environment);
    if (!reason.trim()) throw new Error('a freeze needs a reason: say why deployments must wait');
    return this.freezes.freeze(environment, { reason, by, at: this.clock.now(), ...options });
  }

  /** Lifts an environment's freeze; waiting stages deploy at their next check (within five minutes). */
  async unfreeze(environment: string, by = 'local operator'): Promise<DeploymentFreeze | undefined> {
    this.knownEnvironment(environment);
    return this.freezes.unfreeze(environment, { by, at: this.clock.now() });
  }

  private knownEnvironment(environment: string): void {
    const known = this.config.environments.map((e) => e.name);
    if (!known.includes(environment))
      throw new Error(`unknown environment "${environment}"; known: ${known.join(', ')}`);
  }

  /** Delivers one EventBridge event to every rule whose pattern matches it, as EventBridge would. */
  async putEvent(event: unknown): Promise<RoutedEvent> {
    this.recordImagePush(event);
    this.scheduleSave();
    const deliveries: RoutedEvent['deliveries'] = [];
    for (const rule of eventRules(this.config)) {
      if (!matchesEventPattern(rule.pattern, event)) continue;
      try {
        deliveries.push({
          rule: rule.target,
          result: await this.lambdas.invoke(rule.target, event),
        });
      } catch (error) {
        const err = error as Error;
        deliveries.push({ rule: rule.target, error: { name: err.name, message: err.message } });
      }
    }
    return { deliveries };
  }

  /** Resolves when no execution is running and no event is being delivered. */
  async settled(): Promise<void> {
    for (;;) {
      await Promise.allSettled([...this.inFlight]);
      const running = (await this.engine.listExecutions({ statusFilter: 'RUNNING' })).executions;
      if (running.length === 0 && this.inFlight.size === 0) return;
      await Promise.race([
        ...running.map((e) => this.engine.waitForExecution(e.executionArn)),
        ...[...this.inFlight],
      ]).catch(() => undefined);
    }
  }

  /**
   * Waits for running executions (unless `abandon`), then shuts the local stack down. `abandon` stops them,
   * or, with a data directory, suspends them: they stay RUNNING in the saved state and the next start on the
   * directory resumes them.
   * @throws DataDirError when the final save fails (everything is shut down all the same)
   */
  async close(options: { abandon?: boolean } = {}): Promise<void> {
    if (options.abandon && this.dataDir) await this.engine.suspend();
    else if (options.abandon)
      for (const e of (await this.engine.listExecutions({ statusFilter: 'RUNNING' })).executions)
        await this.engine.stopExecution({ executionArn: e.executionArn, cause: 'local stack closed' });
    if (!(options.abandon && this.dataDir)) await this.settled().catch(() => undefined);
    this.closing.abort();
    this.platform.stop();
    await this.http?.close();
    await this.fleet.close();
    await Promise.allSettled([...this.inFlight]);
    let saveError: unknown;
    if (this.dataDir) {
      this.saving = false;
      clearTimeout(this.saveTimer);
      try {
        this.saveNow(); // after the in-flight work settled: what it changed is in the state
      } catch (error) {
        saveError = error;
      }
    }
    await this.dynamo.close();
    this.dataDir?.release();
    if (saveError)
      throw new DataDirError(
        `could not save the state in ${this.dataDir?.path} (${(saveError as Error).message}): the next start resumes from the last save`,
      );
  }

  private track<T>(work: Promise<T>): Promise<T> {
    const promise =
      this.clock instanceof AutoAdvanceClock || this.clock instanceof ScaledClock
        ? this.clock.track(work)
        : work;
    this.inFlight.add(promise);
    void promise
      .finally(() => {
        this.inFlight.delete(promise);
        this.scheduleSave();
      })
      .catch(() => undefined);
    return promise;
  }

  /**
   * Serves the approval pages and the mailbox on 127.0.0.1 (port 0: any free port) and returns the base
   * URL; approval emails sent after this carry links to it.
   */
  async serveHttp(port = 0): Promise<string> {
    const approvalPage = lambdaStep('approval-page', () =>
      createApprovalPage({
        store: this.approvalStore,
        executions: this.executions,
        records: this.records,
        clock: this.clock,
        keys: this.linkKeys,
      }),
    ) as unknown as (event: Parameters<HttpApiHandler>[0], context: unknown) => ReturnType<HttpApiHandler>;
    this.http = await LocalHttpServer.start(
      {
        approvalPage: (event) => approvalPage(event, fakeContext('approvalPage')),
        mailbox: this.mailbox,
        track: (w) => this.track(w),
        api: this,
        aws: { engine: this.engine, dynamoEndpoint: this.dynamo.endpoint },
        githubWebhook: this.githubWebhook(),
      },
      port,
    );
    return this.http.url;
  }

  /**
   * The GitHub webhook at its AWS path: verified deliveries become `Git Tag Created` events on the local
   * bus, as the AWS handler puts them on the pipeline's bus.
   */
  private githubWebhook(): HttpApiHandler {
    const receive = createReceiveGitHubWebhook({
      secrets: { get: async () => this.githubWebhookSecret },
      secretName: 'local/github-webhook-secret',
      publisher: {
        publish: async (detail) => {
          await this.putEvent({
            version: '0',
            id: randomBytes(16).toString('hex'),
            source: TAG_EVENT_SOURCE,
            'detail-type': TAG_EVENT_DETAIL_TYPE,
            account: LOCAL_ACCOUNT,
            time: new Date(this.clock.now()).toISOString(),
            region: this.region,
            resources: [],
            detail,
          });
        },
      },
    });
    return async (event) => receive(event);
  }

  /** The approval emails of AWS, with links to the local server. */
  private emailNotifier(): ApprovalNotifier {
    // Built on the first email: the links need the server's URL, known only once serveHttp() ran.
    let notifier: EmailApprovalNotifier | undefined;
    return {
      notify: (view) => {
        if (!this.http)
          throw new Error('approvals by email need the local HTTP server: call serveHttp() first');
        notifier ??= new EmailApprovalNotifier({
          mailer: this.mailer(this.emailApprover ?? this.mailbox),
          signer: new SignedLinkSigner({ baseUrl: this.http.url, keys: this.linkKeys }),
          log: { warn: () => undefined },
        });
        return notifier.notify(view);
      },
    };
  }

  /**
   * ECR stored the image but its push event never reached the rules (ECR delivers events on a best-effort
   * basis): the image is in the local registry and nothing else happens. The reconciliation sweep finds it.
   */
  loseImagePushEvent(event: unknown): void {
    this.recordImagePush(event);
  }

  /** ECR stores the image before it announces the push: the local registry learns it the same way. */
  private recordImagePush(event: unknown): void {
    const push = event as {
      source?: string;
      region?: string;
      account?: string;
      detail?: Record<string, unknown>;
    };
    const detail = push.detail ?? {};
    if (push.source !== 'aws.ecr' || detail['action-type'] !== 'PUSH' || detail.result !== 'SUCCESS') return;
    const [repository, tag, digest] = [
      detail['repository-name'],
      detail['image-tag'],
      detail['image-digest'],
    ];
    if (
      typeof repository === 'string' &&
      typeof tag === 'string' &&
      typeof digest === 'string' &&
      push.region
    )
      this.registry.recordPush({
        region: push.region,
        repository,
        tag,
        digest,
        pushedAt: this.clock.now(),
        ...(typeof push.account === 'string' && { registryId: push.account }),
      });
  }

  /** The local counterpart of a schedule rule (sweepDeployments every minute, reconcileImages every few). */
  private async runSchedule(target: string, everyMs: number): Promise<void> {
    for (;;) {
      try {
        await this.clock.sleep(everyMs, this.closing.signal);
      } catch {
        return;
      }
      await this.lambdas.invoke(target, {}).catch(() => undefined);
    }
  }

  /** ECS emits a state change event; serving a version that breaches alarms drives them into ALARM. */
  private onDeploymentFinished(event: LocalDeploymentEvent): void {
    this.scheduleSave();
    const stage = allStages(this.config).find(
      (s) =>
        s.region === event.target.region &&
        s.cluster === event.target.cluster &&
        s.service === event.target.service,
    );
    if (stage && event.outcome === 'COMPLETED') {
      const container = this.platform
        .serving(event.target)
        ?.containers.find((c) => c.name === stage.container);
      const breach = container && this.behaviourOf(container, event.target).breachesAlarms;
      for (const name of this.alarms.matching(stage.region, stage.alarms))
        this.alarms.set(
          stage.region,
          name,
          breach ? 'ALARM' : 'OK',
          breach ? 'Threshold Crossed: 5xx rate above 5%' : 'back to normal',
        );
    }
    if (this.options.dropEcsEvents) return;
    void this.track(
      this.putEvent({
        version: '0',
        id: `ecs-${event.deploymentId}-${event.outcome}`,
        'detail-type': 'ECS Deployment State Change',
        source: 'aws.ecs',
        account: LOCAL_ACCOUNT,
        time: new Date(this.clock.now()).toISOString(),
        region: event.target.region,
        resources: [
          `arn:aws:ecs:${event.target.region}:${LOCAL_ACCOUNT}:service/${event.target.cluster}/${event.target.service}`,
        ],
        detail: {
          eventType: event.outcome === 'COMPLETED' ? 'INFO' : 'ERROR',
          eventName:
            event.outcome === 'COMPLETED' ? 'SERVICE_DEPLOYMENT_COMPLETED' : 'SERVICE_DEPLOYMENT_FAILED',
          deploymentId: event.deploymentId,
          updatedAt: new Date(this.clock.now()).toISOString(),
          reason: event.reason,
        },
      }),
    );
  }

  /** The behaviour of the commit a container runs (the pipeline sets PIPELINE_COMMIT on every deploy). */
  private behaviourOf(container: ContainerView, target: EcsTarget): VersionBehaviour {
    const commit = container.environment[DEPLOYED_ENV.commit];
    if (!commit) return {};
    const entry = Object.entries(this.options.behaviours ?? {}).find(([prefix]) => commit.startsWith(prefix));
    const behaviour = entry?.[1] ?? {};
    const where = behaviour.only;
    if (
      where &&
      !where.some((w) => w.region === target.region && (!w.cluster || w.cluster === target.cluster))
    )
      return {};
    return behaviour;
  }
}

/** Every stage of every service, in every environment (what the local world must contain). */
export function allStages(config: PipelineConfig): Stage[] {
  return config.services.flatMap((service) => [
    ...planStages(config, service.name, 'push'),
    ...planStages(config, service.name, 'tag'),
  ]);
}

/** The pipeline table; one a data directory already has is used as it is. */
async function ensurePipelineTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await createPipelineTable(client, tableName);
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
}

/** State is written at most this often (real milliseconds), and once more on close. */
const SAVE_DELAY_MS = 100;

/** dynalite on 127.0.0.1: in memory, or with `path` in LevelDB files there. */
async function startDynalite(path?: string): Promise<{
  client: DynamoDBClient;
  endpoint: string;
  close: () => Promise<void>;
}> {
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(path !== undefined ? { path } : {}),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = new DynamoDBClient({
    region: 'local',
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return {
    client,
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
