import { stageTimeline } from '../../../shared/use-cases/complete-stage';
import type { StageEvidence } from '../../../shared/ports/deployment';
import { ppeStageRun } from '../../support/fixtures';

const T = Date.parse('2026-11-02T10:00:00Z');
const MIN = 60_000;

function evidence(environment: string, region: string, at: number): StageEvidence {
  return {
    environment,
    region,
    version: 'v1.0.0',
    at,
    smoke: [],
    bake: { minutes: 0, alarmsWatched: [], breaches: 0 },
  };
}

describe('stageTimeline (the marks a deployed stage writes on its record)', () => {
  const base = ppeStageRun({ trigger: { kind: 'tag', at: new Date(T).toISOString() } });
  const run = {
    ...base,
    stage: { ...base.stage, bakeSeconds: 600 },
    bake: { watched: { names: [], prefixes: [] }, from: T + 20 * MIN, to: T + 40 * MIN, breaches: [] },
    lock: { at: T + 3 * MIN },
    gate: { openedAt: T + 15 * MIN, closedSince: T + 9 * MIN },
    ecs: { completedAt: T + 25 * MIN },
  };

  it.each([
    [
      'the first stage is ready at its trigger',
      [],
      {
        readyAt: T,
        lockedAt: T + 3 * MIN,
        gateClosedAt: T + 9 * MIN,
        gateOpenedAt: T + 15 * MIN,
        deployedAt: T + 25 * MIN,
        bakeStartedAt: T + 30 * MIN,
      },
    ],
    [
      "a later stage is ready when the execution's latest earlier stage finished (its own evidence, from a retry, does not count)",
      [
        evidence('staging', 'eu-west-1', T + MIN),
        evidence('staging', 'us-east-1', T + 2 * MIN),
        evidence(base.stage.environment, base.stage.region, T + 41 * MIN),
      ],
      { readyAt: T + 2 * MIN },
    ],
  ])('%s', (_what, earlier, expected) => {
    expect(stageTimeline(run, earlier, T + 41 * MIN)).toMatchObject(expected);
  });

  it('leaves out what an execution started before the marks existed did not pass on', () => {
    // Act
    const { lock: _lock, gate: _gate, ecs: _ecs, ...old } = run;

    // Assess
    expect(stageTimeline(old, [], T + 41 * MIN)).toEqual({ readyAt: T });
  });

  it('never starts the bake before ECS finished (a bake shorter than its configured length)', () => {
    expect(
      stageTimeline({ ...run, ecs: { completedAt: T + 35 * MIN } }, [], T + 41 * MIN).bakeStartedAt,
    ).toBe(T + 35 * MIN);
  });
});
