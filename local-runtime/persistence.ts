/**
 * Saving and restoring a local stack in its data directory (`pipeline local --data-dir`): everything but the
 * DynamoDB tables (dynalite writes those itself) goes to `state.json`, at most every {@link SAVE_DELAY_MS}
 * after a change and once more on close.
 */
import { randomBytes } from 'node:crypto';
import { randomId } from '../shared/random-id';
import type { Clock } from '../shared/clock';
import { logger } from '../shared/middleware/lambda-step';
import type { LocalAlarmSource } from './adapters/local-alarm-source';
import type { LocalContainerPlatform } from './adapters/local-container-platform';
import type { LocalImageRegistry } from './adapters/local-image-registry';
import type { LocalMailbox } from './adapters/local-mailbox';
import type { LocalMigrationTasks } from './adapters/local-migrations';
import type { DataDir } from './data-dir/data-dir';
import { DataDirError } from './data-dir/data-dir-error';
import { LOCAL_STATE_FORMAT, LOCAL_STATE_VERSION, type LocalState } from './data-dir/local-state';
import type { LocalStepFunctions } from './engine';
import type { LocalLoadBalancers, LocalLoadBalancersSnapshot } from './traffic/local-load-balancers';

/** State is written at most this often (real milliseconds), and once more on close. */
const SAVE_DELAY_MS = 100;

/** The keys a local stack signs with: kept across restarts so links and deliveries signed before stay valid. */
export interface LocalSecrets {
  /** Signs the approval links of the local emails and verifies them on the local pages. */
  linkSigningKey: Buffer;
  /** The secret local GitHub webhook deliveries are signed with. */
  githubWebhookSecret: string;
}

/** The saved secrets, or new ones for a stack without saved state. */
export function localSecrets(saved?: LocalState['secrets']): LocalSecrets {
  return {
    linkSigningKey: saved ? Buffer.from(saved.linkSigningKey, 'base64') : randomBytes(32),
    // Letters and digits: it goes on command lines (`openssl dgst -hmac <secret>`), where a leading `-` breaks.
    githubWebhookSecret: saved?.githubWebhookSecret ?? randomId(32),
  };
}

/**
 * The load balancers of a saved state. A file written before the test listeners' weights were kept has
 * none of theirs: the test listener then takes the production listener's roles, all on blue, unless a
 * blue/green deployment in progress says it sent green the test traffic (ECS keeps it there until the
 * deployment ends).
 */
export function savedLoadBalancers(
  saved: Pick<LocalState, 'loadBalancers' | 'clockNow'> & {
    platform: Pick<LocalState['platform'], 'shifts'>;
  },
): LocalLoadBalancersSnapshot {
  const testOnGreen = new Map(
    (saved.platform.shifts ?? [])
      .filter((shift) => shift.testTraffic)
      .map((shift) => [shift.targets.listenerRule, shift.targets]),
  );
  return (saved.loadBalancers ?? []).map((lb) => {
    if (lb.testListener) return lb;
    const onGreen = testOnGreen.get(lb.targets.listenerRule);
    const testListener = {
      targets: onGreen ?? lb.targets,
      greenPercent: onGreen ? 100 : 0,
      routed: 0,
      weightsSetAt: saved.clockNow,
      measurements: [],
    };
    return { ...lb, testListener };
  });
}

/** The parts of a local stack that `state.json` holds. */
export interface PersistedParts {
  clock: Clock;
  secrets: LocalSecrets;
  engine: LocalStepFunctions;
  platform: LocalContainerPlatform;
  registry: LocalImageRegistry;
  alarms: LocalAlarmSource;
  mailbox: LocalMailbox;
  loadBalancers: LocalLoadBalancers;
  migrationTasks: LocalMigrationTasks;
}

export class LocalPersistence {
  /** The pending save. */
  private saveTimer?: NodeJS.Timeout;
  private saving = true;

  constructor(
    readonly dataDir: DataDir,
    private readonly parts: PersistedParts,
  ) {}

  /**
   * Takes the saved state; the engine first, so that callbacks of resumed ECS deployments find their tokens,
   * and the load balancers before ECS, whose blue/green deployments go on moving their weights.
   */
  restore(saved: LocalState): void {
    try {
      this.parts.engine.restore(saved.engine);
      this.parts.loadBalancers.restore(savedLoadBalancers(saved));
      this.parts.platform.restore(saved.platform);
      this.parts.registry.restore(saved.registry);
      this.parts.alarms.restore(saved.alarms);
      this.parts.mailbox.restore(saved.mailbox);
      this.parts.migrationTasks.restore(saved.migrationTasks ?? []);
    } catch (error) {
      throw this.dataDir.damaged((error as Error).message);
    }
  }

  /**
   * Saves only on close from now on: for a stack nobody watches meanwhile (a history being seeded), where
   * saving a growing state every {@link SAVE_DELAY_MS} took most of the time.
   */
  saveOnlyOnClose(): void {
    this.saving = false;
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
  }

  /** Something changed: save soon, once for a burst of changes. */
  scheduleSave(): void {
    if (!this.saving || this.saveTimer) return;
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

  saveNow(): void {
    this.dataDir.writeState(this.localState());
  }

  /**
   * Stops the scheduled saves and saves one last time.
   * @throws DataDirError when that save fails
   */
  finalSave(): void {
    this.saving = false;
    clearTimeout(this.saveTimer);
    try {
      this.saveNow();
    } catch (error) {
      throw new DataDirError(
        `could not save the state in ${this.dataDir.path} (${(error as Error).message}): the next start resumes from the last save`,
      );
    }
  }

  /** Everything but the DynamoDB tables, as `state.json` holds it. */
  private localState(): LocalState {
    const { clock, secrets, engine, platform, registry, alarms, mailbox, loadBalancers, migrationTasks } =
      this.parts;
    return {
      format: LOCAL_STATE_FORMAT,
      version: LOCAL_STATE_VERSION,
      savedAt: new Date().toISOString(),
      clockNow: clock.now(),
      secrets: {
        linkSigningKey: secrets.linkSigningKey.toString('base64'),
        githubWebhookSecret: secrets.githubWebhookSecret,
      },
      engine: engine.snapshot(),
      platform: platform.snapshot(),
      registry: registry.snapshot(),
      alarms: alarms.snapshot(),
      mailbox: mailbox.list(),
      loadBalancers: loadBalancers.snapshot(),
      migrationTasks: migrationTasks.snapshot(),
    };
  }
}
