/**
 * The engine's state as plain JSON: what `LocalStepFunctions.snapshot()` returns and `restore()` takes, so
 * that a local stack can stop and pick up again where it was (`pipeline local --data-dir`).
 */
import type { ScopeProgress } from './interpreter';
import type { TokenSnapshot } from './task-tokens';
import type { ExecutionStatus, HistoryEvent } from './types';

/** Bumped whenever the shape below changes in a way an older snapshot cannot be read as. */
export const ENGINE_SNAPSHOT_VERSION = 1;

export interface EngineSnapshot {
  version: typeof ENGINE_SNAPSHOT_VERSION;
  /** The engine's clock when the snapshot was taken (epoch ms). */
  takenAt: number;
  /** State machine definitions, each once: machines and executions point into this list. */
  definitions: unknown[];
  machines: { arn: string; name: string; definition: number; creationDate: string }[];
  /** Oldest first. */
  executions: ExecutionSnapshot[];
  tokens: TokenSnapshot[];
}

export interface ExecutionSnapshot {
  arn: string;
  name: string;
  machineArn: string;
  machineName: string;
  /** Index into `definitions`: the definition the execution started with. */
  definition: number;
  inputJson: string;
  status: ExecutionStatus;
  output?: unknown;
  error?: string;
  cause?: string;
  startDate: string;
  stopDate?: string;
  redriveCount: number;
  redriveDate?: string;
  history: (Omit<HistoryEvent, 'timestamp'> & { timestamp: string })[];
  transitions: number;
  /** Where a RUNNING execution is: the restored engine resumes it from here. */
  root: ScopeProgress;
}
