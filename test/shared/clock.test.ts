import { getEventListeners } from 'node:events';
import { ManualClock, ScaledClock } from '../../shared/clock';
import { AutoAdvanceClock } from '../../local-runtime/auto-advance-clock';
import { SteppedClock } from '../support/stepped-clock';

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

describe('SteppedClock (the test clock that moves only when the test waits)', () => {
  it('when nothing is running, time holds until a step, and each step wakes the sleepers of the next timer only', async () => {
    // Prepare
    const clock = new SteppedClock(0);
    const woke: number[] = [];
    void clock.sleep(90_000).then(() => woke.push(clock.now()));
    void clock.sleep(5 * 60_000).then(() => woke.push(clock.now()));
    void clock.sleep(90_000).then(() => woke.push(clock.now()));

    // Act
    await clock.idle();
    const before = clock.now();
    const first = await clock.step();
    const afterFirst = [...woke];
    const second = await clock.step();
    const third = await clock.step();

    // Assess
    expect(before).toBe(0);
    expect([first, second, third]).toEqual([true, true, false]);
    expect(afterFirst).toEqual([90_000, 90_000]);
    expect(woke).toEqual([90_000, 90_000, 5 * 60_000]);
    expect(clock.steps).toBe(2);
  });

  it('when work is tracked, a step waits for it before time moves', async () => {
    // Prepare
    const clock = new SteppedClock(0);
    let release!: () => void;
    const work = clock.track(new Promise<void>((resolve) => (release = resolve)));
    void clock.sleep(1_000);
    let stepped = false;

    // Act
    const stepping = clock.step().then(() => (stepped = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const steppedWhileBusy = stepped;
    release();
    await work;
    await stepping;

    // Assess
    expect(steppedWhileBusy).toBe(false);
    expect(clock.now()).toBe(1_000);
  });
});

/**
 * The ScaledClock runs on the wall clock: these tests put it on jest's fake timers (Date.now and setTimeout),
 * so real time moves only when a test says so and the outcomes are exact, however busy the machine is.
 */
const realTimePasses = (ms: number) => jest.advanceTimersByTimeAsync(ms);

describe('ScaledClock', () => {
  beforeEach(() => jest.useFakeTimers({ now: Date.UTC(2026, 0, 1) }));
  afterEach(() => jest.useRealTimers());

  it('when real time passes, pipeline time passes scale times faster', async () => {
    // Prepare
    const clock = new ScaledClock(1000, 0);

    // Act
    await realTimePasses(50);

    // Assess: 50 real ms are 50 s of pipeline time
    expect(clock.now()).toBe(50_000);
  });

  it('when work is tracked, pipeline time holds still until it settles, then moves on from there', async () => {
    // Prepare
    const clock = new ScaledClock(1000, 0);
    const work = clock.track(new Promise((resolve) => setTimeout(resolve, 100)));

    // Act
    await realTimePasses(100);
    await work;
    const afterWork = clock.now();
    await realTimePasses(10);

    // Assess: the 100 real ms of work (100 s of pipeline time) did not count; the next 10 did
    expect(afterWork).toBe(0);
    expect(clock.now()).toBe(10_000);
  });

  it('when a sleeper is due while work is tracked, it wakes only after the work settles and time catches up', async () => {
    // Prepare
    const clock = new ScaledClock(1000, 0);
    let woke = false;
    const sleeping = clock.sleep(20_000).then(() => (woke = true)); // 20 real ms
    let settle!: () => void;
    const work = clock.track(new Promise<void>((resolve) => (settle = resolve)));

    // Act
    await realTimePasses(60);
    const wokeDuringWork = woke;
    settle();
    await work;
    await realTimePasses(19);
    const wokeEarly = woke;
    await realTimePasses(1);
    await sleeping;

    // Assess
    expect(wokeDuringWork).toBe(false);
    expect(wokeEarly).toBe(false);
    expect(clock.now()).toBe(20_000);
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
  beforeEach(() => jest.useFakeTimers({ now: Date.UTC(2026, 0, 1) }));
  afterEach(() => jest.useRealTimers());

  it('when the scale changes, pipeline time goes on from where it was and then moves at the new speed', async () => {
    // Prepare
    const clock = new ScaledClock(1000, 0);
    await realTimePasses(30);

    // Act
    const before = clock.now();
    clock.setScale(1);
    const at = clock.now();
    await realTimePasses(50);
    const after = clock.now();

    // Assess: no jump at the change; 50 real ms are 50 pipeline ms now, not 50 seconds
    expect(before).toBe(30_000);
    expect(at).toBe(30_000);
    expect(after).toBe(30_050);
    expect(clock.rate).toBe(1);
  });

  it('when slowed while a sleeper waits, the sleeper falls due at the same pipeline time, later in real time', async () => {
    // Prepare
    const clock = new ScaledClock(1000, 0);
    let woke = false;
    const sleeping = clock.sleep(20_000).then(() => (woke = true)); // 20 real ms at 1000x

    // Act
    clock.setScale(100); // now 200 real ms
    await realTimePasses(60);
    const early = woke;
    const slowed = clock.now();
    clock.setScale(1000); // the 14 pipeline seconds left are 14 real ms
    await realTimePasses(14);
    await sleeping;

    // Assess
    expect(early).toBe(false);
    expect(slowed).toBe(6_000);
    expect(clock.now()).toBe(20_000);
  });

  it('when asked for a scale that is not positive, it refuses', () => {
    expect(() => new ScaledClock(1000, 0).setScale(0)).toThrow('time scale must be a positive number, got 0');
  });
});
