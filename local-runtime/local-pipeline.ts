import { join } from 'node:path';
import { ScaledClock, type Clock } from '../shared/clock';
import type { PipelineConfig } from '../shared/config/config.schema';
import type { DeploymentFreeze } from '../shared/domain/deployment-gate';
import { StaticSigningKeySource } from '../shared/approvals/links/signing';
import { decideApproval } from '../shared/approvals/decide-approval';
import type { ApprovalView } from '../shared/approvals/approval';
import { logger } from '../shared/middleware/lambda-step';
import { LocalApprovalDesk, type ApprovalPolicy } from './adapters/local-approval-desk';
import type { LocalDeploymentEvent } from './adapters/local-container-platform';
import { LocalEmailApprover } from './adapters/local-email-approver';
import { LocalDatabases } from './adapters/local-databases';
import { LocalMigrationTasks, type LocalMigrationRunner } from './adapters/local-migrations';
import { sampleServiceMigrationRunner } from './adapters/sample-service-migrations';
import { LocalMailbox } from './adapters/local-mailbox';
import { LocalNotifications } from './adapters/local-notifications';
import { AutoAdvanceClock } from './auto-advance-clock';
import { DataDir } from './data-dir/data-dir';
import { LOCAL_TABLE_NAME, startLocalDynamo, type LocalDynamo } from './dynalite-server';
import { LocalStepFunctions, SfnApiError } from './engine';
import { LocalEventBus, type RoutedEvent } from './event-bus';
import type { FaultInjector } from './faults/fault-injector';
import { handlerPorts } from './faults/fault-layer';
import {
  approvalPageHandler,
  dynamoStores,
  emailApprovalNotifier,
  githubWebhookHandler,
  localShiftHook,
  wireHandlers,
  type DynamoStores,
} from './handler-wiring';
import { lifecycleHookEventSchema, type LifecycleHookEvent } from '../shared/domain/traffic-shift-hook';
import { shiftTraffic } from '../shared/use-cases/shift-traffic';
import type { LocalHttpRoutes } from './local-http-server';
import { LocalExecutionControl } from './local-execution-control';
import { LocalLambdaService } from './local-lambda-service';
import { InvokedTestCheckRunner } from '../shared/aws/test-check-runner.adapter';
import { alarmStateChange, ecsDeploymentStateChange, LocalWorld, type VersionBehaviour } from './local-world';
import { localSecrets, LocalPersistence, type LocalSecrets } from './persistence';
import { runSchedule, type Schedule } from './schedules';
import { loadStateMachineDefinition, LOCAL_ACCOUNT } from './state-machine-definitions';

// What callers of the local pipeline have always imported from here.
export { LOCAL_TABLE_NAME } from './dynalite-server';
export type { RoutedEvent } from './event-bus';
export { allStages, type VersionBehaviour } from './local-world';

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
  /** Drop CloudWatch alarm state change events (lost): only the sweep (`sweepEveryMs`) then sees a breach. */
  dropAlarmEvents?: boolean;
  /** Run the sweep function on this period (pipeline time) while the stack is open, as the AWS schedule does. */
  sweepEveryMs?: number;
  /**
   * Run the reconciliation sweep (reconcile-images) on this period while the stack is open; AWS runs it every
   * `reconciliation.everyMinutes` of the config.
   */
  reconcileEveryMs?: number;
  /**
   * What the local approvers do with production approval requests (default: approve), or `email`: send
   * the real approval emails to the local mailbox and wait for someone to click (see `serveLocalPipeline`).
   */
  approvals?: ApprovalPolicy | 'email';
  /** With `approvals: 'email'`: an approver clicks every Approve link as its email arrives, over HTTP. */
  clickApprovalLinks?: boolean;
  /** Regions whose approvals are rejected whatever the policy. */
  rejectRegions?: string[];
  /** How long (pipeline time) the local approvers take over each request. Default: they decide at once. */
  approvalDelayMs?: (approval: ApprovalView) => number;
  /**
   * Fault injection (issue #8): ECS, CloudWatch, SES and DynamoDB calls fail as AWS's would, Lambdas die
   * after UpdateService, smoke endpoints hang, at the injector's seeded rates. Default: no faults.
   */
  faults?: FaultInjector;
  /**
   * With `dataDir`: save the state only when the stack closes, not after every change (a history being
   * seeded, which nothing reads until it is done). Default false.
   */
  saveOnlyOnClose?: boolean;
  /**
   * What runs a migration task's command (docs/migrations.md): `sample-service`, a real child process in
   * examples/sample-service against the real PostgreSQL (PGlite) database of the task's
   * service/environment/region (see `databases`); or a function (tests). Default: every migration
   * succeeds and prints nothing.
   */
  migrationRunner?: LocalMigrationRunner | 'sample-service';
  /** Log level of the handlers' Powertools logger. Default SILENT. */
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  /**
   * The users' requests per minute of pipeline time to each local load balancer while a deployment shifts
   * traffic (local-world.ts, default 1,600).
   */
  trafficPerMinute?: number;
}

/**
 * The whole pipeline on one machine: the state machine definitions from statemachines/, the real
 * handlers with local adapters for ECS, CloudWatch and HTTP endpoints, the real DynamoDB adapters against
 * dynalite, and events routed through the same rule patterns serverless.yml deploys. This class composes
 * the pieces (`local-world.ts`, `dynalite-server.ts`, `handler-wiring.ts`, `faults/fault-layer.ts`,
 * `event-bus.ts`, `persistence.ts`, `schedules.ts`); its HTTP side is served by whoever runs it
 * (`serveLocalPipeline` in `local-http-server.ts`).
 */
export class LocalPipeline {
  readonly engine: LocalStepFunctions;
  readonly lambdas: LocalLambdaService;
  readonly approvals: LocalApprovalDesk;
  /** Where approval emails land when `approvals` is `email`. */
  readonly mailbox: LocalMailbox;
  /** The pipeline's notification topic: stage failures, rollbacks, waiting approvals. */
  readonly notifications: LocalNotifications;
  /** The approver who clicks the emailed links (`clickApprovalLinks`). */
  readonly emailApprover?: LocalEmailApprover;
  readonly stateMachineArns: { promote: string; release: string } = { promote: '', release: '' };
  /** The approval records (real DynamoDB adapter on dynalite). */
  readonly approvalStore: DynamoStores['approvalStore'];
  /** The deployment records table (what runs where, and the audit trail). */
  readonly records: DynamoStores['records'];
  /** Environment freezes (real DynamoDB adapter on dynalite): what the deployment gate reads. */
  readonly freezes: DynamoStores['freezes'];
  /** What each deployed stage showed (real DynamoDB adapter on dynalite). */
  readonly evidence: DynamoStores['evidence'];
  /** Each stage's traffic shift as the hook left it: steps, numbers, verdicts (real DynamoDB adapter on dynalite). */
  readonly shiftLog: DynamoStores['shiftLog'];
  /** One-off ECS tasks of the migrations, and their records (real DynamoDB adapter on dynalite). */
  readonly migrationTasks: LocalMigrationTasks;
  readonly migrations: DynamoStores['migrations'];
  /**
   * With the `sample-service` migration runner: the services' PostgreSQL databases (PGlite), one per
   * service/environment/region, in `<dataDir>/databases` or a temporary directory.
   */
  readonly databases?: LocalDatabases;
  /** The local ECS, CloudWatch, ECR and endpoints. */
  private readonly world: LocalWorld;
  private readonly bus: LocalEventBus;
  private readonly stores: DynamoStores;
  private readonly executions: LocalExecutionControl;
  private readonly secrets: LocalSecrets;
  /** Signs the approval links of the local emails and verifies them on the local pages. */
  private readonly linkKeys: StaticSigningKeySource;
  /** With `dataDir`: saves and restores the state there. */
  private readonly persistence?: LocalPersistence;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly closing = new AbortController();
  /** Where the HTTP side runs (see {@link servedAt}): the base of the approval links. */
  private httpUrl?: string;

  private constructor(
    readonly config: PipelineConfig,
    readonly clock: Clock,
    private readonly dynamo: LocalDynamo,
    options: LocalPipelineOptions,
    dataDir?: DataDir,
    secrets?: Parameters<typeof localSecrets>[0],
  ) {
    this.secrets = localSecrets(secrets);
    this.linkKeys = new StaticSigningKeySource(this.secrets.linkSigningKey);
    const hook = localShiftHook(config.environments[0]?.regions[0] ?? 'eu-west-1');
    this.world = new LocalWorld({
      config,
      clock,
      ...(options.behaviours !== undefined && { behaviours: options.behaviours }),
      ...(options.deploymentMs !== undefined && { deploymentMs: options.deploymentMs }),
      ...(options.trafficPerMinute !== undefined && { trafficPerMinute: options.trafficPerMinute }),
      onDeploymentFinished: (event) => this.onDeploymentFinished(event, options.dropEcsEvents ?? false),
      invokeHook: (functionArn, event) =>
        this.track(this.invokeShiftHook(hook.functionArn, functionArn, event)),
      track: (work) => this.track(work),
    });
    const ports = handlerPorts(
      { platform: this.world.platform, alarms: this.world.alarms, probe: this.world.fleet },
      { ...(options.faults && { faults: options.faults }), dynamo: dynamo.client, clock },
    );
    this.stores = dynamoStores(dynamo.client, LOCAL_TABLE_NAME, clock);
    this.approvalStore = this.stores.approvalStore;
    this.records = this.stores.records;
    this.freezes = this.stores.freezes;
    this.evidence = this.stores.evidence;
    this.migrations = this.stores.migrations;
    this.shiftLog = this.stores.shiftLog;
    if (options.migrationRunner === 'sample-service')
      this.databases = new LocalDatabases(dataDir ? { directory: join(dataDir.path, 'databases') } : {});
    const databases = this.databases;
    this.migrationTasks = new LocalMigrationTasks({
      clock,
      platform: this.world.platform,
      runner: databases
        ? sampleServiceMigrationRunner({
            databases,
            breaksMigration: (commit, target) =>
              this.world.behaviourOfCommit(commit, target).breaksMigration === true,
          })
        : typeof options.migrationRunner === 'function'
          ? options.migrationRunner
          : async () => ({ exitCode: 0, output: [] }),
      track: (work) => this.track(work),
      account: LOCAL_ACCOUNT,
      // ECS announces the stopped task on the default bus, like its deployment events.
      onTaskStopped: (event) => {
        if (!options.dropEcsEvents) void this.track(this.putEvent(event));
      },
    });
    this.engine = new LocalStepFunctions({
      clock,
      taskHandler: (request) => this.lambdas.taskHandler(request),
      accountId: LOCAL_ACCOUNT,
      region: 'local',
    });
    const executions = new LocalExecutionControl(this.engine);
    this.executions = executions;
    this.mailbox = new LocalMailbox({ clock });
    this.notifications = new LocalNotifications(clock);
    if (options.clickApprovalLinks)
      this.emailApprover = new LocalEmailApprover(this.mailbox, { track: (work) => this.track(work) });
    const { approvalStore: store, records } = this.stores;
    this.approvals = new LocalApprovalDesk({
      policy:
        options.approvals === undefined || options.approvals === 'email' ? 'approve' : options.approvals,
      rejectRegions: options.rejectRegions ?? [],
      decide: (attempt) => decideApproval(attempt, { store, executions, records, clock }),
      track: (work) => this.track(work),
      ...(options.approvalDelayMs && {
        delay: { ms: options.approvalDelayMs, sleep: (ms: number) => clock.sleep(ms) },
      }),
    });
    const emails =
      options.approvals === 'email'
        ? emailApprovalNotifier({
            mailer: () => ports.mailer(this.emailApprover ?? this.mailbox),
            baseUrl: () => this.httpUrl,
            keys: this.linkKeys,
          })
        : undefined;
    this.lambdas = new LocalLambdaService(
      wireHandlers({
        config,
        clock,
        ports,
        migrationTasks: this.migrationTasks,
        stores: this.stores,
        executions,
        registry: this.world.registry,
        registryRegion: this.world.region,
        notifications: this.notifications,
        approvalNotifier: () => emails ?? this.approvals,
        stateMachineArns: this.stateMachineArns,
        onBakeStarted: (target) => this.world.bakeStarted(target),
        traffic: { hook, serviceDeployments: this.world.platform, log: this.shiftLog },
      }),
      () => clock.now(),
      (work) => this.track(work),
    );
    this.bus = new LocalEventBus(config, (target, event) => this.lambdas.invoke(target, event));
    // CloudWatch announces every alarm state change on the bus (forwarded from other regions in AWS).
    this.world.alarms.onChange((change) => {
      this.persistence?.scheduleSave();
      if (!options.dropAlarmEvents) void this.track(this.putEvent(alarmStateChange(change)));
    });
    if (dataDir)
      this.persistence = new LocalPersistence(dataDir, {
        clock,
        secrets: this.secrets,
        engine: this.engine,
        platform: this.world.platform,
        registry: this.world.registry,
        alarms: this.world.alarms,
        mailbox: this.mailbox,
        loadBalancers: this.world.loadBalancers,
        migrationTasks: this.migrationTasks,
      });
  }

  /**
   * Starts dynalite on loopback, creates the table and the state machines. Call `close()` when done.
   * With `dataDir`, restores what the directory holds; executions that were running wait for `resume()`.
   * @throws DataDirError when the data directory cannot be used (nothing is left running)
   */
  static async start(options: LocalPipelineOptions): Promise<LocalPipeline> {
    if (options.logLevel) logger.setLogLevel(options.logLevel);
    const dataDir = options.dataDir === undefined ? undefined : DataDir.open(options.dataDir);
    let dynamo: LocalDynamo | undefined;
    let pipeline: LocalPipeline | undefined;
    try {
      const saved = dataDir?.readState();
      dynamo = await startLocalDynamo(dataDir);
      const clock =
        typeof options.clock === 'function'
          ? options.clock(saved?.clockNow)
          : (options.clock ?? new AutoAdvanceClock(saved?.clockNow ?? Date.now()));
      pipeline = new LocalPipeline(options.config, clock, dynamo, options, dataDir, saved?.secrets);
      if (saved) pipeline.persistence?.restore(saved);
      pipeline.world.seed();
      for (const name of ['promote', 'release'] as const)
        pipeline.stateMachineArns[name] = await pipeline.defineStateMachine(name);
      const persistence = pipeline.persistence;
      if (persistence) {
        pipeline.engine.onEvent(() => persistence.scheduleSave());
        persistence.saveNow(); // the directory holds a readable state from the first moment
        if (options.saveOnlyOnClose) persistence.saveOnlyOnClose();
      }
      const started = pipeline;
      for (const schedule of schedulesOf(options))
        void runSchedule(schedule, {
          clock,
          invoke: (target, event) => started.lambdas.invoke(target, event),
          stop: started.closing.signal,
        });
      return pipeline;
    } catch (error) {
      // Nothing may be left holding the process open or the directory locked.
      pipeline?.world.platform.stop();
      await pipeline?.databases?.close();
      await dynamo?.close();
      dataDir?.release();
      throw error;
    }
  }

  get platform(): LocalWorld['platform'] {
    return this.world.platform;
  }

  get alarms(): LocalWorld['alarms'] {
    return this.world.alarms;
  }

  get fleet(): LocalWorld['fleet'] {
    return this.world.fleet;
  }

  get registry(): LocalWorld['registry'] {
    return this.world.registry;
  }

  /** The pipeline's own region: its event bus and the ECR repositories whose pushes reach its rules. */
  get region(): string {
    return this.world.region;
  }

  /** The secret local GitHub webhook deliveries are signed with (what the AWS stack keeps in Secrets Manager). */
  get githubWebhookSecret(): string {
    return this.secrets.githubWebhookSecret;
  }

  /**
   * Runs on the executions restored from the data directory, from where they were: call it once the
   * HTTP side is up (`serveLocalPipeline`, `fleet.serve`), as their next steps may need it. Migration tasks
   * that were running are stopped by the restart: their stopped events go out now. A no-op otherwise.
   */
  resume(): void {
    this.engine.resumeExecutions();
    this.migrationTasks.resume();
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
    this.world.recordImagePush(event);
    this.persistence?.scheduleSave();
    return this.bus.put(event);
  }

  /**
   * ECR stored the image but its push event never reached the rules (ECR delivers events on a best-effort
   * basis): the image is in the local registry and nothing else happens. The reconciliation sweep finds it.
   */
  loseImagePushEvent(event: unknown): void {
    this.world.recordImagePush(event);
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
   * directory resumes them. The HTTP side, if any, is its owner's to close.
   * @throws DataDirError when the final save fails (everything is shut down all the same)
   */
  async close(options: { abandon?: boolean } = {}): Promise<void> {
    if (options.abandon && this.persistence) await this.engine.suspend();
    else if (options.abandon)
      for (const e of (await this.engine.listExecutions({ statusFilter: 'RUNNING' })).executions)
        await this.engine.stopExecution({ executionArn: e.executionArn, cause: 'local stack closed' });
    // Abandoned, nothing waits for a migration's process: it ends (SIGTERM, then SIGKILL) as the stack closes.
    if (options.abandon) this.migrationTasks.stop();
    if (!(options.abandon && this.persistence)) await this.settled().catch(() => undefined);
    this.closing.abort();
    this.migrationTasks.stop();
    this.world.platform.stop();
    this.world.stop();
    await this.world.fleet.close();
    await Promise.allSettled([...this.inFlight]);
    await this.world.close();
    await this.databases?.close();
    let saveError: unknown;
    try {
      this.persistence?.finalSave(); // after the in-flight work settled: what it changed is in the state
    } catch (error) {
      saveError = error;
    }
    await this.dynamo.close();
    this.persistence?.dataDir.release();
    if (saveError) throw saveError;
  }

  /**
   * What the local HTTP server serves for this pipeline: the approval pages and GitHub webhook (the real
   * handlers), the mailbox, the local API and dashboard, and the AWS-compatible endpoints of `--local`.
   */
  httpRoutes(): LocalHttpRoutes {
    return {
      clock: this.clock,
      approvalPage: approvalPageHandler({
        stores: this.stores,
        executions: this.executions,
        clock: this.clock,
        keys: this.linkKeys,
        baseUrl: () => this.httpUrl,
      }),
      githubWebhook: githubWebhookHandler({
        secret: this.secrets.githubWebhookSecret,
        config: this.config,
        region: this.world.region,
        clock: this.clock,
        putEvent: (event) => this.putEvent(event),
      }),
      mailbox: this.mailbox,
      track: (work) => this.track(work),
      api: this,
      aws: { engine: this.engine, dynamoEndpoint: this.dynamo.endpoint },
    };
  }

  /** The HTTP side is served at `url` (`http://127.0.0.1:<port>`): approval emails sent after this link to it. */
  servedAt(url: string): void {
    this.httpUrl = url;
  }

  /** The local load balancers of the environments that shift traffic. */
  get loadBalancers(): LocalWorld['loadBalancers'] {
    return this.world.loadBalancers;
  }

  /**
   * ECS invoking the traffic shift hook: the pipeline's own use case (what the hook Lambda runs) on the
   * local load balancers' ports. Any other function does not exist here, as it would not in the account.
   */
  private async invokeShiftHook(
    ours: string,
    functionArn: string,
    event: LifecycleHookEvent,
  ): Promise<unknown> {
    if (functionArn !== ours)
      throw new Error(
        `ResourceNotFoundException: Function not found: ${functionArn} (the local hook is ${ours})`,
      );
    return shiftTraffic(lifecycleHookEventSchema.parse(event), {
      metrics: this.world.loadBalancers,
      kpis: this.world.loadBalancers,
      router: this.world.loadBalancers,
      log: this.shiftLog,
      clock: this.clock,
      // The test checks reach the local test listener as the smoke checks reach the environments.
      probe: this.world.fleet,
      // With a smokeTestVpc for the region, as in AWS: through the smoke-test function, invoked the same way.
      ...(this.config.smokeTestVpc?.[this.world.region] && {
        testChecks: new InvokedTestCheckRunner({
          functionName: 'runSmokeChecks',
          invoke: (name, payload) => this.lambdas.invoke(name, payload),
        }),
      }),
    });
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
        this.persistence?.scheduleSave();
      })
      .catch(() => undefined);
    return promise;
  }

  /** ECS emits a state change event onto the bus (unless such events are dropped, as in another region). */
  private onDeploymentFinished(event: LocalDeploymentEvent, dropEcsEvents: boolean): void {
    this.persistence?.scheduleSave();
    if (dropEcsEvents) return;
    void this.track(this.putEvent(ecsDeploymentStateChange(event, this.clock.now())));
  }
}

/** The schedule rules the options turn on. */
function schedulesOf(options: LocalPipelineOptions): Schedule[] {
  return [
    ...(options.sweepEveryMs ? [{ target: 'sweepDeployments', everyMs: options.sweepEveryMs }] : []),
    ...(options.reconcileEveryMs ? [{ target: 'reconcileImages', everyMs: options.reconcileEveryMs }] : []),
  ];
}
