import type { BakeWatch, BakeWatchKey, BakeWatchStore } from '../ports/deployment';
import {
  listWaiters,
  putWaiter,
  removeWaiter,
  taskTokenWaiters,
  type TaskTokenWaiters,
  type TaskTokenWaitersOptions,
} from './task-token-waiters';

export type DynamoBakeWatchStoreOptions = TaskTokenWaitersOptions;

/**
 * Bake watches in the pipeline table, beside the deployment waiters and like them under one partition
 * (`BAKE_WATCH`, keyed `<region>#<environment>#<execution>`): an alarm event and the sweep list every
 * baking stage with one Query, and there are only as many as stages baking. Removal is conditional on the
 * token, so a retried bake's newer watch survives the end of the older one. The table work is
 * {@link TaskTokenWaiters}'.
 */
export class DynamoBakeWatchStore implements BakeWatchStore {
  private readonly watches: TaskTokenWaiters<BakeWatch, BakeWatchKey>;

  constructor(options: DynamoBakeWatchStoreOptions) {
    this.watches = taskTokenWaiters(options, {
      partition: 'BAKE_WATCH',
      sortKey: (key) => `${key.region}#${key.environment}#${key.executionName}`,
      toItem: (watch) => ({
        executionName: watch.executionName,
        service: watch.service,
        environment: watch.environment,
        region: watch.region,
        taskToken: watch.taskToken,
        alarms: { names: watch.alarms.names, prefixes: watch.alarms.prefixes },
        deployedAtMs: watch.deployedAt,
        bakeStartedAtMs: watch.bakeStartedAt,
        bakeSeconds: watch.bakeSeconds,
        expiresAtMs: watch.expiresAt,
      }),
      fromItem: toWatch,
      // A day past the bake: the sweep drops expired watches, the TTL only catches a sweep that never ran.
      deleteAfter: (watch) => watch.expiresAt + 86_400_000,
      describe: (key) => `the bake watch of ${key.executionName} in ${key.environment}/${key.region}`,
      plural: 'the bake watches',
    });
  }

  put(watch: BakeWatch): Promise<void> {
    return putWaiter(this.watches, watch, watch);
  }

  list(): Promise<BakeWatch[]> {
    return listWaiters(this.watches);
  }

  remove(key: BakeWatchKey, taskToken: string): Promise<void> {
    return removeWaiter(this.watches, key, taskToken);
  }
}

function toWatch(item: Record<string, unknown>): BakeWatch {
  const alarms = (item.alarms ?? {}) as { names?: unknown; prefixes?: unknown };
  const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);
  return {
    executionName: String(item.executionName),
    service: String(item.service),
    environment: String(item.environment),
    region: String(item.region),
    taskToken: String(item.taskToken),
    alarms: { names: strings(alarms.names), prefixes: strings(alarms.prefixes) },
    deployedAt: Number(item.deployedAtMs),
    bakeStartedAt: Number(item.bakeStartedAtMs),
    bakeSeconds: Number(item.bakeSeconds),
    expiresAt: Number(item.expiresAtMs),
  };
}
