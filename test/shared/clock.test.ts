import { getEventListeners } from 'node:events';
import { ManualClock, ScaledClock } from '../../shared/clock';
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

const realSleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ScaledClock', () => {
  it('when real time passes, pipeline time passes scale times faster', async () => {
    // Prepare
    const clock = new ScaledClock(1000, 0);

    // Act
    await realSleep(50);

    // Assess: 50 real ms are about 50 s of pipeline time (timers are not exact)
    expect(clock.now()).toBeGreaterThanOrEqual(45_000);
    expect(clock.now()).toBeLessThan(500_000);
  });

  it('when work is tracked, pipeline time holds still until it settles, then moves on from there', async () => {
    // Prepare
    const clock = new ScaledClock(1000, 0);
    const before = clock.now();

    // Act
    await clock.track(realSleep(100));
    const after = clock.now();

    // Assess: the 100 real ms of work (100 s of pipeline time) did not count
    expect(after - before).toBeLessThan(60_000);
  });

  it('when a sleeper is due while work is tracked, it wakes only after the work settles and time catches up', async () => {
    // Prepare
    const clock = new ScaledClock(1000, 0);
    let woke = false;
    const sleeping = clock.sleep(20_000).then(() => (woke = true)); // 20 real ms

    // Act
    await clock.track(realSleep(60));
    const wokeDuringWork = woke;
    await sleeping;

    // Assess
    expect(wokeDuringWork).toBe(false);
    expect(clock.now()).toBeGreaterThanOrEqual(20_000);
  });

  it('when a sleep is aborted, it rejects with the reason and never wakes', async () => {
    // Prepare
    const clock = new ScaledClock(1000, 0);
    const controller = new AbortController();
    const sleeping = clock.sleep(1_000_000, controller.signal);

    // Act
    controller.abort(new Error('stopped'));

    // Assess
    await expect(sleeping).rejects.toThrow('stopped');
  });
});

describe('ScaledClock.setScale', () => {
  it('when the scale changes, pipeline time goes on from where it was and then moves at the new speed', async () => {
    // Prepare
    const clock = new ScaledClock(1000, 0);
    await realSleep(30);

    // Act
    const before = clock.now();
    clock.setScale(1);
    const at = clock.now();
    await realSleep(50);
    const after = clock.now();

    // Assess: no jump at the change; 50 real ms are about 50 pipeline ms now, not 50 seconds
    expect(at - before).toBeLessThan(1000);
    expect(after - at).toBeGreaterThanOrEqual(40);
    expect(after - at).toBeLessThan(1000);
    expect(clock.rate).toBe(1);
  });

  it('when slowed while a sleeper waits, the sleeper falls due at the same pipeline time, later in real time', async () => {
    // Prepare
    const clock = new ScaledClock(1000, 0);
    let woke = false;
    const sleeping = clock.sleep(20_000).then(() => (woke = true)); // 20 real ms at 1000x

    // Act
    clock.setScale(100); // now 200 real ms
    await realSleep(60);
    const early = woke;
    clock.setScale(1000);
    await sleeping;

    // Assess
    expect(early).toBe(false);
    expect(clock.now()).toBeGreaterThanOrEqual(20_000);
  });

  it('when asked for a scale that is not positive, it refuses', () => {
    expect(() => new ScaledClock(1000, 0).setScale(0)).toThrow('time scale must be a positive number, got 0');
  });
});
