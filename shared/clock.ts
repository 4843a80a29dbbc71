/**
 * Time is a port. Bake windows, approval expiry, retry back-off and the local runtime's Wait states all go
 * through a Clock so that tests and the demo can compress hours into milliseconds without sleeping.
 */
export interface Clock {
  /** Milliseconds since the epoch, as the pipeline sees it. */
  now(): number;
  /** Resolves after `ms` of this clock's time; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

function abortableTimeout(realMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, realMs);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The longest delay setTimeout takes as given. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Wall-clock time: what runs in AWS. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => abortableTimeout(ms, signal),
};

/**
 * Real time sped up by `scale`: with scale 600 a 10-minute bake lasts one real second. Used by the local
 * stack and the demo, where real HTTP servers and DynamoDB take real milliseconds.
 *
 * Time holds still while tracked work runs (a handler, an HTTP request): at scale 600 a 100 ms DynamoDB
 * call would otherwise be a minute of pipeline time, and a step's 60-second timeout would fire because the
 * machine was busy, not because the step was slow.
 */
export class ScaledClock implements Clock {
  /** Real ms not counted as pipeline time: spent while work was tracked (since `realStart`). */
  private heldMs = 0;
  private busy = 0;
  private heldSince = 0;
  private realStart = Date.now();
  private sleepers: { due: number; resolve: () => void }[] = [];
  private timer?: NodeJS.Timeout;
  private current: number;

  constructor(
    /** How many times faster than real time pipeline time runs (the dashboard shows it). */
    scale: number,
    private start: number = Date.now(),
  ) {
    if (!(scale > 0)) throw new RangeError(`time scale must be a positive number, got ${scale}`);
    this.current = scale;
  }

  /** How many times faster than real time pipeline time runs now. */
  get scale(): number {
    return this.current;
  }

  /** Pipeline milliseconds per real millisecond while time moves (what `GET /api/clock` reports). */
  get rate(): number {
    return this.current;
  }

  /**
   * Runs this same clock at another speed from now on (the local stack slows it while it only waits for
   * people). Pipeline time goes on from where it is, without a jump; sleepers fall due at the same
   * pipeline time, sooner or later in real time.
   */
  setScale(scale: number): void {
    if (!(scale > 0)) throw new RangeError(`time scale must be a positive number, got ${scale}`);
    if (scale === this.current) return;
    const now = this.now();
    this.start = now;
    this.realStart = this.busy > 0 ? this.heldSince : Date.now();
    this.heldMs = 0;
    this.current = scale;
    this.arm();
  }

  now(): number {
    const realNow = this.busy > 0 ? this.heldSince : Date.now();
    return this.start + Math.round((realNow - this.realStart - this.heldMs) * this.current);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const sleeper = {
        due: this.now() + Math.max(0, ms),
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        this.arm();
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sleepers.push(sleeper);
      this.arm();
    });
  }

  /** Holds pipeline time still until `work` settles. */
  track<T>(work: Promise<T>): Promise<T> {
    if (this.busy++ === 0) {
      this.heldSince = Date.now();
      this.disarm();
    }
    return work.finally(() => {
      if (--this.busy === 0) {
        this.heldMs += Date.now() - this.heldSince;
        this.arm();
      }
    });
  }

  /** One real timer, for the earliest sleeper, running only while time moves. */
  private arm(): void {
    this.disarm();
    if (this.busy > 0 || this.sleepers.length === 0) return;
    const due = Math.min(...this.sleepers.map((s) => s.due));
    // setTimeout fires at once past 2^31-1 ms (about 24.8 days), which a slow scale can reach: wake early.
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, (due - this.now()) / this.current));
    this.timer = setTimeout(() => this.wake(), delay);
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private wake(): void {
    this.timer = undefined;
    const now = this.now();
    const due = this.sleepers.filter((s) => s.due <= now);
    this.sleepers = this.sleepers.filter((s) => s.due > now);
    for (const sleeper of due) sleeper.resolve();
    this.arm();
  }
}

/**
 * Time that moves only when a test says so. `advance(ms)` fires every sleeper that falls due, in order,
 * letting promise chains settle between them.
 */
export class ManualClock implements Clock {
  private current: number;
  private sleepers: { due: number; seq: number; resolve: () => void }[] = [];
  private seq = 0;

  constructor(start: number = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = (): void => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        reject(signal?.reason);
      };
      // A long-lived signal (a stack's "stopping") sees many sleeps: each must take its listener with it
      // when it ends, or the listeners pile up (the MaxListeners warning of a burst).
      const sleeper = {
        due: this.current + Math.max(0, ms),
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.sleepers.push(sleeper);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Number of sleepers still waiting. */
  get pending(): number {
    return this.sleepers.length;
  }

  /** When the earliest sleeper falls due, if any. */
  nextDue(): number | undefined {
    return this.sleepers.length === 0 ? undefined : Math.min(...this.sleepers.map((s) => s.due));
  }

  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      await settle();
      const next = this.sleepers
        .filter((s) => s.due <= target)
        .sort((a, b) => a.due - b.due || a.seq - b.seq)[0];
      if (!next) break;
      this.sleepers = this.sleepers.filter((s) => s !== next);
      this.current = Math.max(this.current, next.due);
      next.resolve();
    }
    this.current = target;
    await settle();
  }
}

/** Lets pending promise callbacks and immediates run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
