/**
 * Task tokens for `.waitForTaskToken` resources. A token stays known after its task ends so that late
 * callbacks get the same answers as from Step Functions: `TaskTimedOut` if the task timed out,
 * `TaskDoesNotExist` otherwise. Tokens survive a snapshot: a restored engine accepts the callbacks of tokens
 * issued before it (see {@link TaskTokens.snapshot}).
 */
import { randomId } from '../../shared/random-id';
import { SfnApiError, StatesError } from './errors';

/**
 * `answered`: the callback came and the task has not taken its result yet (it is suspended, say), so a
 * snapshot keeps the answer for the task that resumes.
 */
type TokenStatus = 'pending' | 'answered' | 'done' | 'timed-out';

/** A callback's answer. */
type TokenOutcome = { output: unknown } | { error: string; cause?: string };

interface TokenEntry {
  status: TokenStatus;
  outcome?: TokenOutcome;
  executionArn: string;
  result: Promise<unknown>;
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

/** A token as a snapshot keeps it. */
export interface TokenSnapshot {
  token: string;
  executionArn: string;
  status: TokenStatus;
  /** With `answered`. */
  outcome?: TokenOutcome;
}

export class TaskTokens {
  private readonly entries = new Map<string, TokenEntry>();

  issue(executionArn: string): IssuedToken {
    // Opaque like the real thing; long enough to be unguessable in a shared demo; letters and digits only,
    // so that `aws stepfunctions send-task-success --task-token <token>` never reads it as an option.
    return this.handle(randomId(64), this.register(executionArn, 'pending'));
  }

  /**
   * The pending task of a token issued before (by this engine or by the one a snapshot came from): a
   * resumed task keeps waiting on the token its callback was promised, and a callback that arrived in
   * between is not lost.
   */
  adopt(token: string, executionArn: string): IssuedToken {
    let entry = this.entries.get(token);
    if (entry?.status !== 'pending' && entry?.status !== 'answered')
      entry = this.register(executionArn, 'pending');
    this.entries.set(token, entry);
    return this.handle(token, entry);
  }

  succeed(token: string, output: unknown): void {
    const entry = this.pending(token);
    entry.status = 'answered';
    entry.outcome = { output };
    entry.resolve(output);
  }

  fail(token: string, error: StatesError): void {
    const entry = this.pending(token);
    entry.status = 'answered';
    entry.outcome = {
      error: error.error,
      ...(error.causeText !== undefined ? { cause: error.causeText } : {}),
    };
    entry.reject(error);
  }

  heartbeat(token: string): void {
    this.pending(token).onHeartbeat?.();
  }

  /** Every token and its status, for a snapshot. */
  snapshot(): TokenSnapshot[] {
    return [...this.entries].map(([token, e]) => ({
      token,
      executionArn: e.executionArn,
      status: e.status,
      ...(e.status === 'answered' && e.outcome ? { outcome: structuredClone(e.outcome) } : {}),
    }));
  }

  /** Takes the tokens of a snapshot; pending ones accept callbacks again at once. */
  restore(tokens: readonly TokenSnapshot[]): void {
    for (const { token, executionArn, status, outcome } of tokens) {
      const entry = this.register(executionArn, status);
      if (status === 'answered' && outcome && 'output' in outcome) entry.resolve(outcome.output);
      else if (status === 'answered' && outcome && 'error' in outcome)
        entry.reject(new StatesError(outcome.error, outcome.cause));
      entry.outcome = outcome;
      this.entries.set(token, entry);
    }
  }

  private register(executionArn: string, status: TokenStatus): TokenEntry {
    let resolve!: (output: unknown) => void;
    let reject!: (error: StatesError) => void;
    const result = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    result.catch(() => undefined);
    return { status, executionArn, result, resolve, reject };
  }

  private handle(token: string, entry: TokenEntry): IssuedToken {
    this.entries.set(token, entry);
    return {
      token,
      result: entry.result,
      setHeartbeatListener: (listener) => {
        entry.onHeartbeat = listener;
      },
      close: (timedOut) => {
        if (entry.status === 'pending') entry.status = timedOut ? 'timed-out' : 'done';
        if (entry.status === 'answered') entry.status = 'done';
        delete entry.outcome;
      },
    };
  }

  private pending(token: string): TokenEntry {
    const entry = this.entries.get(token);
    if (entry?.status === 'pending') return entry;
    if (entry?.status === 'timed-out')
      throw new SfnApiError('TaskTimedOut', 'The task for this token has timed out');
    throw new SfnApiError('TaskDoesNotExist', 'No pending task has this token');
  }
}
