import { AutoAdvanceClock } from '../../local-runtime/auto-advance-clock';

/**
 * Virtual time that moves only when the test waits. Like AutoAdvanceClock it stands still while work is in
 * flight (a handler, an event, an HTTP request to the local stack), but once everything is idle it stays
 * put until the test calls `step()`: that jumps to the next timer and returns once everything is idle again.
 *
 * A test that looks at the local stack from outside (the operator CLI over HTTP, a browser) thus sees every
 * point where the pipeline waits (an approval, a bake) before time moves past it, however slow the machine
 * is: an approval cannot time out between the poll that saw it and the request that decides it, and a bake
 * cannot end between two polls of `--wait`. A wall clock sped up 2000 times could do both on a busy machine.
 */
export class SteppedClock extends AutoAdvanceClock {
  private idleWaiters: (() => void)[] = [];
  /** How many times time has moved (see `step`). */
  steps = 0;

  /** Resolves once nothing runs: tracked work settled and the event loop has had its turns. */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.schedule();
    });
  }

  /**
   * Once idle, jumps to the next timer (every sleeper due then wakes) and waits until everything is idle
   * again. False when there is no timer left: nothing can happen any more.
   */
  async step(): Promise<boolean> {
    await this.idle();
    const due = this.nextDue();
    if (due === undefined) return false;
    await this.advance(Math.max(0, due - this.now()));
    await this.idle();
    this.steps++;
    return true;
  }

  /** Holds time: it moves in `step()` only. */
  protected override onIdle(): Promise<void> {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
    return Promise.resolve();
  }
}
