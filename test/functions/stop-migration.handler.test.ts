import { createStopMigration } from '../../functions/stop-migration/handler';
import { LocalContainerPlatform } from '../../local-runtime/adapters/local-container-platform';
import { LocalMigrationTasks } from '../../local-runtime/adapters/local-migrations';
import { ManualClock } from '../../shared/clock';
import type { MigrationStore } from '../../shared/ports/migrations';
import { invokeThroughMiddleware, RecordingExecutionControl, rejectionOf } from '../support/fakes';
import { ppeStageRun } from '../support/fixtures';

describe('stop-migration handler', () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 30, 9, 0));
  const platform = new LocalContainerPlatform({ clock });
  const tasks = new LocalMigrationTasks({
    clock,
    platform,
    runner: async () => ({ exitCode: 0, output: [] }),
  });
  const touched: string[] = [];
  /** Any store call would be a bug here: bad input must stop at the schema. */
  const store = new Proxy({} as MigrationStore, {
    get: (_, method) => () => {
      touched.push(String(method));
      throw new Error(`the store was called (${String(method)})`);
    },
  });
  const step = createStopMigration({ tasks, store, executions: new RecordingExecutionControl(), clock });
  const input = JSON.parse(JSON.stringify({ ...ppeStageRun(), redriveCount: 0 })) as Record<string, unknown>;

  afterAll(() => {
    tasks.stop();
    platform.stop();
  });

  it('when the stage run has no execution name, the handler fails with InvalidStepInput naming the field', async () => {
    // Prepare
    const event = { ...input, executionName: undefined };

    // Act
    const error = await rejectionOf(invokeThroughMiddleware('stop-migration', step, event));

    // Assess
    expect(error.name).toBe('InvalidStepInput');
    expect(error.message).toContain('stop-migration received invalid input: executionName:');
    expect(touched).toEqual([]);
  });
});
