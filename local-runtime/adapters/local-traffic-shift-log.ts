import type { ShiftProgress } from '../../shared/domain/traffic-shift';
import type { StageKey } from '../../shared/ports/deployment';
import type { TrafficShiftLog } from '../../shared/ports/traffic-shift';

/**
 * The traffic shift log in memory: each stage's shift as the hook last left it. Stands in for the DynamoDB
 * adapter until that one is wired here (same port, same semantics: a later record of a stage replaces it).
 */
export class LocalTrafficShiftLog implements TrafficShiftLog {
  private readonly shifts = new Map<string, { key: StageKey; progress: ShiftProgress }>();

  async record(key: StageKey, progress: ShiftProgress): Promise<void> {
    this.shifts.set(keyOf(key), { key: { ...key }, progress: structuredClone(progress) });
    return Promise.resolve();
  }

  async get(key: StageKey): Promise<ShiftProgress | undefined> {
    return Promise.resolve(structuredClone(this.shifts.get(keyOf(key))?.progress));
  }

  /** Every stage's shift recorded so far, oldest first. */
  list(): { key: StageKey; progress: ShiftProgress }[] {
    return structuredClone([...this.shifts.values()]);
  }
}

function keyOf(key: StageKey): string {
  return `${key.executionName}/${key.environment}/${key.region}`;
}
