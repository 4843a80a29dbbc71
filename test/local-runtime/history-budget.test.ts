import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HistoryEvent } from '../../local-runtime/engine/types';
import { LocalPipeline } from '../../local-runtime/local-pipeline';
import { loadConfigFile } from '../../shared/config/config.loader';
import type { PipelineConfig } from '../../shared/config/config.schema';
import {
  EVENTS_PER_GATE_CHECK,
  EVENTS_PER_IMAGE_CHECK,
  EVENTS_PER_STAGE,
  HISTORY_EVENT_LIMIT,
  MAX_IMAGE_CHECKS,
} from '../../shared/domain/history-budget';

/**
 * The history budget of shared/domain/history-budget.ts, measured: the real release definition runs in the
 * local runtime, whose engine records the history as Step Functions does, and the waiting loops are
 * counted event by event.
 */
const ROOT = join(__dirname, '..', '..');
const event = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(ROOT, 'events', name), 'utf8')) as Record<string, unknown>;

let pipeline: LocalPipeline;

function config(change: (config: PipelineConfig) => void): PipelineConfig {
  const loaded = loadConfigFile(join(ROOT, 'pipeline.config.yml'));
  change(loaded);
  return loaded;
}

async function onlyRelease() {
  const { executions } = await pipeline.engine.listExecutions({
    stateMachineArn: pipeline.stateMachineArns.release,
  });
  expect(executions).toHaveLength(1);
  const execution = await pipeline.engine.describeExecution({ executionArn: executions[0]!.executionArn });
  const { events } = await pipeline.engine.getExecutionHistory({ executionArn: execution.executionArn });
  return { execution, events };
}

/**
 * Events between consecutive entries of the task `name` with only a Choice and a Wait between them: what
 * one pass of its waiting loop adds to the history.
 */
function eventsPerPass(events: HistoryEvent[], name: string): number[] {
  const entered = events.flatMap((e, i) =>
    e.type === 'TaskStateEntered' && e.details.name === name ? [i] : [],
  );
  const passes = entered.slice(1).map((at, i) => events.slice(entered[i]!, at));
  return passes
    .filter((pass) => {
      const states = pass.filter((e) => e.type.endsWith('StateEntered')).map((e) => e.type);
      return states.join() === 'TaskStateEntered,ChoiceStateEntered,WaitStateEntered';
    })
    .map((pass) => pass.length);
}

afterEach(async () => {
  await pipeline?.close();
});

describe('history budget, executed locally', () => {
  it('when prod stays frozen for the longest wait the validator allows, the history stays under the limit', async () => {
    // Prepare: 6528 h is the most freezeWaitHours allows with the sample's four release stages
    pipeline = await LocalPipeline.start({
      config: config((c) => {
        c.environments.find((e) => e.name === 'prod')!.freezeWaitHours = 6528;
      }),
    });
    await pipeline.putEvent(event('ecr-push-orders-api.json'));
    await pipeline.settled();
    await pipeline.freeze('prod', 'year-end freeze', 'alice@example.com');

    // Act
    await pipeline.putEvent(event('git-tag-orders-api-v1.4.0.json'));
    await pipeline.settled();

    // Assess
    const { execution, events } = await onlyRelease();
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('DeploymentFrozen');
    expect(execution.cause).toContain('waited 6528h');
    const passes = eventsPerPass(events, 'Check the deployment gate');
    expect(new Set(passes)).toEqual(new Set([EVENTS_PER_GATE_CHECK]));
    expect(passes.length).toBeGreaterThan(100);
    expect(events.length).toBeLessThan(HISTORY_EVENT_LIMIT);
    // Everything but the gate loop fits the per-stage allowance (two stages ran: staging and prod/eu-west-1).
    expect(events.length - passes.length * EVENTS_PER_GATE_CHECK).toBeLessThan(2 * EVENTS_PER_STAGE);
  });

  it('when the build never pushes the tagged commit, the image loop checks at most its bound', async () => {
    // Prepare: the longest image wait the config allows
    pipeline = await LocalPipeline.start({
      config: config((c) => {
        c.releases.imageWaitMinutes = 24 * 60;
      }),
    });

    // Act
    await pipeline.putEvent(event('git-tag-orders-api-v1.4.1-unbuilt.json'));
    await pipeline.settled();

    // Assess
    const { execution, events } = await onlyRelease();
    expect(execution.error).toBe('ImageNotFound');
    const passes = eventsPerPass(events, 'Resolve the release image');
    expect(new Set(passes)).toEqual(new Set([EVENTS_PER_IMAGE_CHECK]));
    expect(passes.length + 1).toBeLessThanOrEqual(MAX_IMAGE_CHECKS + 1);
  });
});
