import type { ExecutionEvent } from './execution-view';

/** The stage state that runs the migration task (statemachines/stage.asl.yml). */
export const RUN_MIGRATIONS_STATE = 'Run migrations';

/** One "Run migrations" of an execution, as `pipeline show` lists it. */
export interface MigrationRun {
  /** The stage (Map iteration) it ran in. */
  stage: number;
  outcome: 'migrated' | 'already migrated' | 'failed' | 'running';
  /** When the task started and stopped (epoch ms), from its result; else when the state ran. */
  startedAt: number;
  endedAt?: number;
  /** What the task logged last: what it applied, or why it failed. */
  lastLine?: string;
  /** Failed: the error name (MigrationFailed, MigrationTimedOut, …). */
  error?: string;
  /** Already migrated: the execution that did. */
  migratedBy?: string;
}

interface MigrationResult {
  outcome?: string;
  startedAt?: number;
  endedAt?: number;
  output?: string[];
  migratedBy?: string;
}

/**
 * Which migrations an execution ran where, when and for how long, from its history alone (the same on AWS
 * and locally): each "Run migrations" state, its result (`$.migration` in the state's output) or its
 * failure. A redriven stage lists each attempt.
 */
export function migrationRuns(events: ExecutionEvent[]): MigrationRun[] {
  const runs: MigrationRun[] = [];
  let iteration: number | undefined;
  let open: MigrationRun | undefined;
  for (const event of events) {
    const { name } = event.details;
    if (event.type === 'MapIterationStarted') iteration = event.details.index;
    if (event.type === 'TaskStateEntered' && name === RUN_MIGRATIONS_STATE) {
      open = { stage: iteration ?? 0, outcome: 'running', startedAt: event.timestamp.getTime() };
      runs.push(open);
    } else if (open && (event.type === 'TaskFailed' || event.type === 'TaskTimedOut')) {
      open.outcome = 'failed';
      open.endedAt = event.timestamp.getTime();
      open.error = event.details.error ?? (event.type === 'TaskTimedOut' ? 'MigrationTimedOut' : 'failed');
      open.lastLine = lastLogLine(event.details.cause);
    } else if (open && event.type === 'TaskStateExited' && name === RUN_MIGRATIONS_STATE) {
      const result = (event.details.output as { migration?: MigrationResult } | undefined)?.migration;
      if (open.outcome !== 'failed') {
        open.outcome = result?.outcome === 'already-migrated' ? 'already migrated' : 'migrated';
        if (result?.startedAt !== undefined) open.startedAt = result.startedAt;
        open.endedAt = result?.endedAt ?? event.timestamp.getTime();
        const line = result?.output?.at(-1);
        if (line !== undefined) open.lastLine = line;
        if (result?.migratedBy !== undefined) open.migratedBy = result.migratedBy;
      }
      open = undefined;
    } else if (open && event.type.endsWith('StateEntered')) open = undefined;
  }
  return runs;
}

/** The last line of a failure's cause (the task's last log line), without Lambda's JSON wrapping. */
function lastLogLine(cause: string | undefined): string | undefined {
  if (!cause) return undefined;
  let text = cause;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') text = parsed.errorMessage;
  } catch {
    // a plain cause
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return lines.at(-1)?.replace(/ \(in [^)]*; nothing to roll back[^)]*\)$/, '');
}
