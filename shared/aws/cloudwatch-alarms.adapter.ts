import {
  CloudWatchClient,
  paginateDescribeAlarmHistory,
  paginateDescribeAlarms,
  type AlarmHistoryItem,
  type AlarmType,
  type CompositeAlarm,
  type DescribeAlarmsCommandInput,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import { systemClock, type Clock } from '../clock';
import type { AlarmSource } from '../ports/deployment';
import type { AlarmBreach } from '../domain/stage-run.schema';
import { mapAwsError } from './aws-errors';
import { clientsFrom, type ClientSource } from './regional-clients';

export interface CloudWatchAlarmSourceOptions {
  /** A ready client (tests) or a per-region factory; defaults to one `CloudWatchClient` per region, shared per container. */
  clients?: ClientSource<CloudWatchClient>;
  /** The end of the history window; defaults to the wall clock. */
  clock?: Clock;
}

/** DescribeAlarms returns metric alarms only unless told otherwise; composite alarms gate many services. */
const ALARM_TYPES: AlarmType[] = ['MetricAlarm', 'CompositeAlarm'];
/** The most names one DescribeAlarms call accepts, and the largest page it returns. */
const DESCRIBE_BATCH = 100;

type Alarm = MetricAlarm | CompositeAlarm;

/**
 * CloudWatch alarms as the bake sees them, read-only. An alarm breaches when it is in ALARM now or has
 * entered ALARM at or after `since`, which the alarm history tells even when it has recovered since. The
 * history is read with one unfiltered, paginated DescribeAlarmHistory call over the bake window, filtered
 * here by name and prefix: a prefix may match dozens of alarms, and one call per alarm would spend the
 * account's small DescribeAlarmHistory request quota; it also sees alarms deleted or renamed during the bake,
 * which DescribeAlarms no longer lists. The window is the bake (minutes to hours), so the pages stay few.
 */
export class CloudWatchAlarmSource implements AlarmSource {
  private readonly client: (region: string) => CloudWatchClient;
  private readonly clock: Clock;

  constructor(options: CloudWatchAlarmSourceOptions = {}) {
    this.client = clientsFrom(options.clients, CloudWatchClient);
    this.clock = options.clock ?? systemClock;
  }

  async breaches(
    region: string,
    selector: { names: string[]; prefixes: string[] },
    since: number,
  ): Promise<AlarmBreach[]> {
    if (selector.names.length === 0 && selector.prefixes.length === 0) return [];
    const alarms = await this.alarmsMatching(region, selector);
    const found: AlarmBreach[] = alarms.filter((a) => a.StateValue === 'ALARM').map(currentBreach);

    const watched = (name: string): boolean =>
      selector.names.includes(name) || selector.prefixes.some((prefix) => name.startsWith(prefix));
    for (const item of await this.stateUpdates(region, since)) {
      const breach = historyBreach(item);
      if (breach && breach.at >= since && watched(breach.alarmName)) found.push(breach);
    }
    return earliestPerAlarm(found);
  }

  async missing(region: string, names: string[]): Promise<string[]> {
    if (names.length === 0) return [];
    const existing = new Set((await this.alarmsNamed(region, names)).map((a) => a.AlarmName));
    return [...new Set(names)].filter((name) => !existing.has(name));
  }

  private async alarmsMatching(
    region: string,
    selector: { names: string[]; prefixes: string[] },
  ): Promise<Alarm[]> {
    const byName = selector.names.length > 0 ? await this.alarmsNamed(region, selector.names) : [];
    const byPrefix: Alarm[] = [];
    // AlarmNamePrefix and AlarmNames cannot be combined, and each prefix needs a call of its own.
    for (const prefix of new Set(selector.prefixes))
      byPrefix.push(...(await this.describeAlarms(region, { AlarmNamePrefix: prefix })));
    return [...byName, ...byPrefix];
  }

  private async alarmsNamed(region: string, names: string[]): Promise<Alarm[]> {
    const unique = [...new Set(names)];
    const alarms: Alarm[] = [];
    for (let i = 0; i < unique.length; i += DESCRIBE_BATCH)
      alarms.push(
        ...(await this.describeAlarms(region, { AlarmNames: unique.slice(i, i + DESCRIBE_BATCH) })),
      );
    return alarms;
  }

  private async describeAlarms(
    region: string,
    filter: Pick<DescribeAlarmsCommandInput, 'AlarmNames' | 'AlarmNamePrefix'>,
  ): Promise<Alarm[]> {
    const alarms: Alarm[] = [];
    const pages = paginateDescribeAlarms(
      { client: this.client(region), pageSize: DESCRIBE_BATCH },
      { ...filter, AlarmTypes: ALARM_TYPES },
    );
    try {
      for await (const page of pages)
        alarms.push(...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? []));
    } catch (error) {
      throw mapAwsError(error, `CloudWatch DescribeAlarms in ${region}`);
    }
    return alarms;
  }

  private async stateUpdates(region: string, since: number): Promise<AlarmHistoryItem[]> {
    const items: AlarmHistoryItem[] = [];
    const pages = paginateDescribeAlarmHistory(
      { client: this.client(region), pageSize: DESCRIBE_BATCH },
      {
        AlarmTypes: ALARM_TYPES,
        HistoryItemType: 'StateUpdate',
        StartDate: new Date(since),
        EndDate: new Date(this.clock.now()),
      },
    );
    try {
      for await (const page of pages) items.push(...(page.AlarmHistoryItems ?? []));
    } catch (error) {
      throw mapAwsError(error, `CloudWatch DescribeAlarmHistory in ${region}`);
    }
    return items;
  }
}

function currentBreach(alarm: Alarm): AlarmBreach {
  // StateTransitionedTimestamp moves only when the state value changes; StateUpdatedTimestamp also moves when
  // the reason is refreshed while the alarm stays in ALARM, which would make the breach look later than it was.
  const at = alarm.StateTransitionedTimestamp ?? alarm.StateUpdatedTimestamp;
  return {
    alarmName: alarm.AlarmName ?? '',
    at: at?.getTime() ?? 0,
    reason: alarm.StateReason ?? 'in ALARM',
  };
}

/** A history item that records a transition into ALARM, or undefined for any other item. */
function historyBreach(item: AlarmHistoryItem): AlarmBreach | undefined {
  if (!item.AlarmName || !item.Timestamp || !item.HistoryData) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(item.HistoryData);
  } catch {
    return undefined;
  }
  const newState = (data as { newState?: { stateValue?: unknown; stateReason?: unknown } } | null)?.newState;
  if (newState?.stateValue !== 'ALARM') return undefined;
  return {
    alarmName: item.AlarmName,
    at: item.Timestamp.getTime(),
    reason:
      typeof newState.stateReason === 'string'
        ? newState.stateReason
        : (item.HistorySummary ?? 'entered ALARM'),
  };
}

function earliestPerAlarm(breaches: AlarmBreach[]): AlarmBreach[] {
  const earliest = new Map<string, AlarmBreach>();
  for (const breach of breaches) {
    const known = earliest.get(breach.alarmName);
    if (!known || breach.at < known.at) earliest.set(breach.alarmName, breach);
  }
  return [...earliest.values()].sort((a, b) => a.at - b.at || a.alarmName.localeCompare(b.alarmName));
}
