/**
 * The JSON shapes of the local API (`local-api.ts`) that its readers, such as the dashboard, depend on:
 * kept apart so that a reader of the API's answers does not depend on the code that builds them.
 */
import type { Activity, StageOutcome } from '../shared/operations/execution-view';

export interface ApiTarget {
  service: string;
  environment: string;
  region: string;
  cluster: string;
  /** What the service runs now (null: the bootstrap image, nothing the pipeline deployed). */
  serving: { version: string | null; commit: string | null; digest: string | null; execution: string | null };
  /** What an execution is doing here now. */
  inProgress: { execution: string; version: string | null; state: string; activity: Activity } | null;
  /** How the latest execution that reached this target ended here. */
  last: { execution: string; version: string | null; outcome: StageOutcome } | null;
}
