import type { Clock } from '../shared/clock';

/**
 * Virtual time for the local runtime: it stands still while work is in flight (a handler running, an
 * event being delivered) and, once everything is idle, jumps straight to the next timer. A 30-minute bake
 * takes no real time, and a task's TimeoutSeconds can never fire just because a handler took real
 * milliseconds (which a sped-up wall clock would turn into minutes).
 */
export class AutoAdvanceClock implements Clock {
  private current: number;
  private timers: { due: number; seq: number; resolve: () => void }[] = [];
  private seq = 0;
  private busy = 0;
  private scheduled = false;

  constructor(start: number = Date.now()) {
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
      const timer = { due: this.current + Math.max(0, ms), seq: this.seq++, resolve };
      this.timers.push(timer);
      signal?.addEventListener(
        'abort',
        () => {
          this.timers = this.timers.filter((t) => t !== timer);
          reject(signal.reason);
        },
        { once: true },
      );
      this.schedule();
    });
  }

  /** Holds time still until `work` settles. */
  track<T>(work: Promise<T>): Promise<T> {
    this.busy++;
    return work.finally(() => {
      this.busy--;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    void this.advanceWhenIdle();
  }

  private async advanceWhenIdle(): Promise<void> {
    // Let promise chains and I/O callbacks that are already queued run first: only then is it idle.
    for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    this.scheduled = false;
    if (this.busy > 0 || this.timers.length === 0) return;
    const next = this.timers.reduce((a, b) => (b.due < a.due || (b.due === a.due && b.seq < a.seq) ? b : a));
    this.timers = this.timers.filter((t) => t !== next);
    this.current = Math.max(this.current, next.due);
    next.resolve();
    this.schedule();
  }
}
