import { ManualClock } from '../shared/clock';

/**
 * Virtual time for the local runtime: it stands still while work is in flight (a handler running, an
 * event being delivered) and, once everything is idle, jumps straight to the next timer. A 30-minute bake
 * takes no real time, and a task's TimeoutSeconds can never fire just because a handler took real
 * milliseconds (which a sped-up wall clock would turn into minutes).
 */
export class AutoAdvanceClock extends ManualClock {
  private busy = 0;
  private scheduled = false;

  constructor(start: number = Date.now()) {
    super(start);
  }

  override sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const sleeping = super.sleep(ms, signal);
    this.schedule();
    return sleeping;
  }

  /** Holds time still until `work` settles. */
  track<T>(work: Promise<T>): Promise<T> {
    this.busy++;
    return work.finally(() => {
      this.busy--;
      this.schedule();
    });
  }

  /**
   * Lets `ms` pass from inside tracked work, as if that work were idle meanwhile: for work that only waits
   * for time (a request hanging until its timeout), which would otherwise hold time still forever.
   */
  async waitIdle(ms: number): Promise<void> {
    this.busy--;
    try {
      await this.sleep(ms);
    } finally {
      this.busy++;
    }
  }

  /** Looks again, after the event loop has had its turns, whether everything is idle (then calls onIdle). */
  protected schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    void this.advanceWhenIdle();
  }

  private async advanceWhenIdle(): Promise<void> {
    // Let promise chains and I/O callbacks that are already queued run first: only then is it idle.
    for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    this.scheduled = false;
    if (this.busy > 0) return;
    await this.onIdle();
  }

  /**
   * Nothing is running: jumps to the next timer, if any. A test's clock may hold time here instead and move
   * it one timer at a time, when the test waits (test/support/stepped-clock.ts).
   */
  protected async onIdle(): Promise<void> {
    const due = this.nextDue();
    if (due === undefined) return;
    await this.advance(Math.max(0, due - this.now()));
    this.schedule();
  }
}
