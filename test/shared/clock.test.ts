import { getEventListeners } from 'node:events';
import { ManualClock } from '../../shared/clock';
import { AutoAdvanceClock } from '../../local-runtime/auto-advance-clock';

describe('ManualClock', () => {
  it('when sleeps on one long-lived signal end, it leaves no abort listener behind', async () => {
    // Prepare
    const clock = new ManualClock(0);
    const stopping = new AbortController();
    const sleeps = Array.from({ length: 20 }, (_, i) => clock.sleep(1_000 * (i + 1), stopping.signal));

    // Act
    await clock.advance(20_000);
    await Promise.all(sleeps);

    // Assess
    expect(getEventListeners(stopping.signal, 'abort')).toHaveLength(0);
    expect(clock.pending).toBe(0);
  });

  it('when the signal aborts, the sleeps still waiting reject with its reason and are dropped', async () => {
    // Prepare
    const clock = new ManualClock(0);
    const stopping = new AbortController();
    const done = clock.sleep(1_000, stopping.signal);
    const waiting = clock.sleep(60_000, stopping.signal);
    await clock.advance(1_000);
    await done;

    // Act
    stopping.abort(new Error('stack closed'));

    // Assess
    await expect(waiting).rejects.toThrow('stack closed');
    expect(clock.pending).toBe(0);
    expect(getEventListeners(stopping.signal, 'abort')).toHaveLength(0);
  });
});

describe('AutoAdvanceClock', () => {
  it('when nothing is running, it jumps to the next timer and frees the signal it slept on', async () => {
    // Prepare
    const clock = new AutoAdvanceClock(0);
    const stopping = new AbortController();

    // Act
    await Promise.all([clock.sleep(5 * 60_000, stopping.signal), clock.sleep(90_000, stopping.signal)]);

    // Assess
    expect(clock.now()).toBe(5 * 60_000);
    expect(getEventListeners(stopping.signal, 'abort')).toHaveLength(0);
  });
});
