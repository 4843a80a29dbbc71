import { ManualClock } from '../../../shared/clock';
import { LocalAlarmSource } from '../../../local-runtime/adapters/local-alarm-source';

const REGION = 'eu-west-1';
const MINUTE = 60_000;
const WATCHED = { names: ['orders-api-5xx', 'orders-api-latency', 'orders-api-cpu'], prefixes: [] };

describe('LocalAlarmSource.breaches (the stand-in for the CloudWatch adapter)', () => {
  it('when alarms breach in another order than they are configured, it returns them earliest first, as the adapter does', async () => {
    // Prepare: configured 5xx, latency, cpu; they fire latency, cpu, then 5xx
    const clock = new ManualClock(Date.UTC(2026, 10, 20, 9, 0));
    const alarms = new LocalAlarmSource(clock);
    for (const name of WATCHED.names) alarms.define(REGION, name);
    const since = clock.now();
    await clock.advance(MINUTE);
    alarms.set(REGION, 'orders-api-latency', 'ALARM', 'p99 above 800 ms');
    await clock.advance(MINUTE);
    alarms.set(REGION, 'orders-api-cpu', 'ALARM', 'CPU above 90%');
    await clock.advance(MINUTE);
    alarms.set(REGION, 'orders-api-5xx', 'ALARM', '5xx above 1%');

    // Act
    const breaches = await alarms.breaches(REGION, WATCHED, since);

    // Assess
    expect(breaches).toEqual([
      { alarmName: 'orders-api-latency', at: since + MINUTE, reason: 'p99 above 800 ms' },
      { alarmName: 'orders-api-cpu', at: since + 2 * MINUTE, reason: 'CPU above 90%' },
      { alarmName: 'orders-api-5xx', at: since + 3 * MINUTE, reason: '5xx above 1%' },
    ]);
  });

  it('when two alarms breach at the same moment, it orders them by name, as the adapter does', async () => {
    // Prepare
    const clock = new ManualClock(Date.UTC(2026, 10, 20, 9, 0));
    const alarms = new LocalAlarmSource(clock);
    const since = clock.now();
    await clock.advance(MINUTE);
    alarms.set(REGION, 'orders-api-latency', 'ALARM', 'slow');
    alarms.set(REGION, 'orders-api-5xx', 'ALARM', 'errors');

    // Act
    const breaches = await alarms.breaches(REGION, WATCHED, since);

    // Assess
    expect(breaches.map((b) => b.alarmName)).toEqual(['orders-api-5xx', 'orders-api-latency']);
  });
});
