/**
 * Task tokens for `.waitForTaskToken` resources. A token stays known after its task ends so that late
 * callbacks get the same answers as from Step Functions: `TaskTimedOut` if the task timed out,
 * `TaskDoesNotExist` otherwise.
 */
import { randomBytes } from 'node:crypto';
import { SfnApiError, StatesError } from './errors';

type TokenStatus = 'pending' | 'done' | 'timed-out';

interface TokenEntry {
  status: TokenStatus;
  executionArn: string;
  resolve: (output: unknown) => void;
  reject: (error: StatesError) => void;
  onHeartbeat?: () => void;
}

/** A token handed to a Task, and the promise its callback settles. */
export interface IssuedToken {
  token: string;
  /** Settles on sendTaskSuccess / sendTaskFailure. Never an unhandled rejection. */
  result: Promise<unknown>;
  /** Called on each sendTaskHeartbeat while the task is pending. */
  setHeartbeatListener(listener: () => void): void;
  /** Marks the task finished; `timedOut` makes later callbacks fail with TaskTimedOut. */
  close(timedOut: boolean): void;
}

export class TaskTokens {
  private readonly entries = new Map<string, TokenEntry>();

  issue(executionArn: string): IssuedToken {
    // Opaque like the real thing; long enough to be unguessable in a shared demo.
    const token = randomBytes(48).toString('base64url');
    let entry!: TokenEntry;
    const result = new Promise<unknown>((resolve, reject) => {
      entry = { status: 'pending', executionArn, resolve, reject };
    });
    result.catch(() => undefined);
    this.entries.set(token, entry);
    return {
      token,
      result,
      setHeartbeatListener: (listener) => {
        entry.onHeartbeat = listener;
      },
      close: (timedOut) => {
        if (entry.status === 'pending') entry.status = timedOut ? 'timed-out' : 'done';
      },
    };
  }

  succeed(token: string, output: unknown): void {
    const entry = this.pending(token);
    entry.status = 'done';
    entry.resolve(output);
  }

  fail(token: string, error: StatesError): void {
    const entry = this.pending(token);
    entry.status = 'done';
    entry.reject(error);
  }

  heartbeat(token: string): void {
    this.pending(token).onHeartbeat?.();
  }

  private pending(token: string): TokenEntry {
    const entry = this.entries.get(token);
    if (entry?.status === 'pending') return entry;
    if (entry?.status === 'timed-out')
      throw new SfnApiError('TaskTimedOut', 'The task for this token has timed out');
    throw new SfnApiError('TaskDoesNotExist', 'No pending task has this token');
  }
}
