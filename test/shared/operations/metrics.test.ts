import { DAY_MS } from '../../../shared/domain/delivery-metrics';
import type { DeploymentRecord } from '../../../shared/domain/deployment-record';
import {
  DeliveryRecordsCache,
  METRICS_LOOKBACK_MS,
  readDeliveryMetrics,
  SETTLE_MS,
} from '../../../shared/operations/metrics';
import type { DeploymentRecordStore } from '../../../shared/ports/deployment';
import { InMemoryDeploymentRecords } from '../../support/fakes';

const NOW = Date.parse('2026-11-30T12:00:00Z');
const HOUR = 3_600_000;
const config = {
  services: [{ name: 'orders-api' }],
  environments: [{ name: 'production' }],
} as unknown as Parameters<typeof readDeliveryMetrics>[0];

function record(
  over: Partial<DeploymentRecord> & Pick<DeploymentRecord, 'execution' | 'at'>,
): DeploymentRecord {
  return {
    service: 'orders-api',
    environment: 'production',
    region: 'eu-west-1',
    version: 'v1.0.0',
    commit: 'c1',
    digest: 'sha256:c1',
    kind: 'deploy',
    outcome: 'deployed',
    triggeredBy: 'test',
    ...over,
  };
}

/** The records store, with the spans each read asked for. */
function spying(store: DeploymentRecordStore) {
  const spans: { from: number; to: number }[] = [];
  const spied: DeploymentRecordStore = {
    put: (r) => store.put(r),
    history: (s) => store.history(s),
    running: (s) => store.running(s),
    runningIn: (s, target) => store.runningIn(s, target),
    recordedBetween: (s, span) => {
      spans.push(span);
      return store.recordedBetween(s, span);
    },
  };
  return { spied, spans };
}

describe('readDeliveryMetrics (through the time index)', () => {
  it.each([
    [
      '10 days before the window: read, so the lead time starts at the push',
      10,
      'push',
      2 * DAY_MS + 10 * DAY_MS,
    ],
    ['20 days before the window: past the 14-day lookback, so it starts at the tag', 20, 'tag', 2 * HOUR],
  ])('when the image push of a release was %s', async (_what, daysBefore, from, leadTimeMs) => {
    // Prepare: a 2-day window; the release tagged 2 h before it deployed, at the window's start + 2 days.
    const store = new InMemoryDeploymentRecords();
    const windowFrom = NOW - 2 * DAY_MS;
    const pushAt = windowFrom - daysBefore * DAY_MS;
    await store.put(
      record({
        execution: 'push-c1',
        environment: 'ppe',
        version: 'sha-c1',
        triggeredAt: new Date(pushAt).toISOString(),
        at: pushAt + HOUR,
      }),
    );
    await store.put(
      record({ execution: 'rel-c1', triggeredAt: new Date(NOW - 2 * HOUR).toISOString(), at: NOW }),
    );
    const { spied, spans } = spying(store);

    // Act
    const [metrics] = await readDeliveryMetrics(
      config,
      { window: { from: windowFrom, to: NOW } },
      { records: spied },
    );

    // Assess
    expect(spans).toEqual([{ from: windowFrom - METRICS_LOOKBACK_MS, to: NOW }]);
    expect(metrics!.leadTime.samples.map((s) => [s.from, s.leadTimeMs])).toEqual([[from, leadTimeMs]]);
  });
});

describe('DeliveryRecordsCache', () => {
  const span = (to: number) => ({ from: to - 30 * DAY_MS, to });

  it('when read again, it asks only for the records since the last read (less the settling hour) and merges them', async () => {
    // Prepare
    const store = new InMemoryDeploymentRecords();
    const { spied, spans } = spying(store);
    const cache = new DeliveryRecordsCache();
    await store.put(record({ execution: 'rel-1', at: NOW - 5 * DAY_MS }));
    const first = await cache.read(spied, 'orders-api', span(NOW));

    // Act: a new record, and a retried step that rewrote rel-1's record with a later time.
    await store.put(record({ execution: 'rel-2', at: NOW + 5 * 60_000 }));
    await store.put(record({ execution: 'rel-1', at: NOW - 30 * 60_000, detail: 'rewritten' }));
    const second = await cache.read(spied, 'orders-api', span(NOW + 10 * 60_000));

    // Assess
    expect(first.map((r) => r.execution)).toEqual(['rel-1']);
    expect(spans).toEqual([span(NOW), { from: NOW - SETTLE_MS, to: NOW + 10 * 60_000 }]);
    expect(second.map((r) => [r.execution, r.detail]).sort()).toEqual([
      ['rel-1', 'rewritten'],
      ['rel-2', undefined],
    ]);
  });

  it('when a span starts before the cached one, it reads it whole; records that slid out are dropped', async () => {
    // Prepare
    const store = new InMemoryDeploymentRecords();
    const { spied, spans } = spying(store);
    const cache = new DeliveryRecordsCache();
    await store.put(record({ execution: 'old', at: NOW - 29 * DAY_MS }));
    await cache.read(spied, 'orders-api', span(NOW));

    // Act
    const later = await cache.read(spied, 'orders-api', span(NOW + 2 * DAY_MS));
    const wider = await cache.read(spied, 'orders-api', { from: NOW - 40 * DAY_MS, to: NOW + 2 * DAY_MS });

    // Assess
    expect(later).toEqual([]);
    expect(wider.map((r) => r.execution)).toEqual(['old']);
    expect(spans[2]).toEqual({ from: NOW - 40 * DAY_MS, to: NOW + 2 * DAY_MS });
  });

  it('gives readDeliveryMetrics the same numbers as reading without it', async () => {
    // Prepare
    const store = new InMemoryDeploymentRecords();
    const cache = new DeliveryRecordsCache();
    const window = { from: NOW - 7 * DAY_MS, to: NOW };
    await store.put(
      record({
        execution: 'rel-1',
        triggeredAt: new Date(NOW - 3 * DAY_MS).toISOString(),
        at: NOW - 2 * DAY_MS,
      }),
    );
    await readDeliveryMetrics(config, { window }, { records: store, cache });
    await store.put(
      record({ execution: 'rel-2', outcome: 'rolled back', startedAt: NOW - HOUR, at: NOW - 1000 }),
    );

    // Act
    const cached = await readDeliveryMetrics(config, { window }, { records: store, cache });
    const uncached = await readDeliveryMetrics(config, { window }, { records: store });

    // Assess
    expect(cached).toEqual(uncached);
    expect(cached[0]!.deployments).toMatchObject({ total: 2, successful: 1, failed: 1 });
  });
});
