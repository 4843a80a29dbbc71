import type { EngineSnapshot } from '../engine';
import type { LocalAlarm } from '../adapters/local-alarm-source';
import type { LocalContainerPlatformSnapshot } from '../adapters/local-container-platform';
import type { LocalImageRegistrySnapshot } from '../adapters/local-image-registry';
import type { StoredMail } from '../adapters/local-mailbox';
import type { LocalMigrationTasksSnapshot } from '../adapters/local-migrations';
import type { LocalLoadBalancersSnapshot } from '../traffic/local-load-balancers';

export const LOCAL_STATE_FORMAT = 'pipeline-local-state';
/** Bumped whenever a change makes older state files unreadable; such a file is refused, never guessed at. */
export const LOCAL_STATE_VERSION = 1;

/** What `state.json` of a data directory holds: everything of a local stack but the DynamoDB tables. */
export interface LocalState {
  format: typeof LOCAL_STATE_FORMAT;
  version: typeof LOCAL_STATE_VERSION;
  /** Wall-clock time of the save (ISO), for people reading the file. */
  savedAt: string;
  /** Pipeline time at the save: a restarted stack's clock carries on from here (time stands still while stopped). */
  clockNow: number;
  /** Approval links and webhook deliveries signed before a restart stay valid after it. */
  secrets: { linkSigningKey: string; githubWebhookSecret: string };
  engine: EngineSnapshot;
  platform: LocalContainerPlatformSnapshot;
  registry: LocalImageRegistrySnapshot;
  alarms: LocalAlarm[];
  mailbox: StoredMail[];
  /** The local load balancers' weights and measurements (absent in files written before they were kept). */
  loadBalancers?: LocalLoadBalancersSnapshot;
  /** The one-off migration tasks (absent in files written before they were kept). */
  migrationTasks?: LocalMigrationTasksSnapshot;
}
