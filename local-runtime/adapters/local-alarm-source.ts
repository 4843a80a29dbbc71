import type { Clock } from '../../shared/clock';
import type { AlarmSource } from '../../shared/ports/deployment';
import type { AlarmBreach } from '../../shared/domain/stage-run.schema';

/** An alarm with its state history; the alarm source's snapshot is a list of them. */
export interface LocalAlarm {
  region: string;
  name: string;
  state: 'OK' | 'ALARM';
  history: { at: number; state: 'OK' | 'ALARM'; reason: string }[];
}

/** A state change of a local alarm, as CloudWatch announces it (its "Alarm State Change" event). */
export interface LocalAlarmChange {
  region: string;
  name: string;
  state: 'OK' | 'ALARM';
  previous: 'OK' | 'ALARM';
  reason: string;
  at: number;
}

/** CloudWatch alarms in memory, with the state history the bake check reads. */
export class LocalAlarmSource implements AlarmSource {
  private readonly alarms = new Map<string, LocalAlarm>();
  private readonly listeners: ((change: LocalAlarmChange) => void)[] = [];

  constructor(private readonly clock: Clock) {}

  /** Calls `listener` on every state change, as CloudWatch sends an event to EventBridge for each. */
  onChange(listener: (change: LocalAlarmChange) => void): void {
    this.listeners.push(listener);
  }

  /** Every alarm with its state and history, as plain JSON. */
  snapshot(): LocalAlarm[] {
    return structuredClone([...this.alarms.values()]);
  }

  /** Takes the alarms of a snapshot in place of this source's. */
  restore(alarms: readonly LocalAlarm[]): void {
    this.alarms.clear();
    for (const alarm of structuredClone(alarms)) this.alarms.set(`${alarm.region}/${alarm.name}`, alarm);
  }

  define(region: string, name: string): void {
    const key = `${region}/${name}`;
    if (!this.alarms.has(key)) this.alarms.set(key, { region, name, state: 'OK', history: [] });
  }

  /** Moves an alarm to a state, recording the transition as CloudWatch's history would. */
  set(region: string, name: string, state: 'OK' | 'ALARM', reason: string): void {
    this.define(region, name);
    const alarm = this.alarms.get(`${region}/${name}`)!;
    if (alarm.state === state) return;
    const previous = alarm.state;
    const at = this.clock.now();
    alarm.state = state;
    alarm.history.push({ at, state, reason });
    for (const listener of this.listeners) listener({ region, name, state, previous, reason, at });
  }

  /** Names of the alarms in a region matching the selector. */
  matching(region: string, selector: { names: string[]; prefixes: string[] }): string[] {
    return [...this.alarms.values()]
      .filter(
        (a) =>
          a.region === region &&
          (selector.names.includes(a.name) || selector.prefixes.some((p) => a.name.startsWith(p))),
      )
      .map((a) => a.name);
  }

  stateOf(region: string, name: string): 'OK' | 'ALARM' | undefined {
    return this.alarms.get(`${region}/${name}`)?.state;
  }

  /** The alarms that breached since `since`, earliest first (then by name), as the CloudWatch adapter returns them. */
  async breaches(
    region: string,
    selector: { names: string[]; prefixes: string[] },
    since: number,
  ): Promise<AlarmBreach[]> {
    const breaches: AlarmBreach[] = [];
    for (const name of this.matching(region, selector)) {
      const alarm = this.alarms.get(`${region}/${name}`)!;
      const entered = alarm.history.find((h) => h.state === 'ALARM' && h.at >= since);
      const last = alarm.history.at(-1);
      if (entered) breaches.push({ alarmName: name, at: entered.at, reason: entered.reason });
      else if (alarm.state === 'ALARM' && last)
        breaches.push({ alarmName: name, at: last.at, reason: last.reason });
    }
    return breaches.sort((a, b) => a.at - b.at || a.alarmName.localeCompare(b.alarmName));
  }

  async missing(region: string, names: string[]): Promise<string[]> {
    return names.filter((name) => !this.alarms.has(`${region}/${name}`));
  }
}
