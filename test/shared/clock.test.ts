import { ScaledClock } from '../../shared/clock';

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
