/**
 * Waiting in real time in the tests of the local stack, whose processes and virtual-time runs go on
 * meanwhile: polling a condition up to half the hang limit, and whether a process is still running.
 */
import { HANG_LIMIT_MS } from '../helpers/hang-limit';

/**
 * Polls `check` every `everyMs` (real time) until it holds; throws "gave up waiting for `what`" after
 * half of HANG_LIMIT_MS, so that a test stuck waiting says on what before jest's own limit stops it.
 */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  everyMs = 10,
): Promise<void> {
  const deadline = Date.now() + HANG_LIMIT_MS / 2;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Whether process `pid` is still running (signal 0 checks without sending anything). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
