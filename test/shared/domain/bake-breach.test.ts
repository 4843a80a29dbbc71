import {
  bakeBreachCause,
  bakeBreachOf,
  bakeElapsedMs,
  describeBakeBreach,
  formatSpan,
  type BakeBreach,
} from '../../../shared/domain/bake-breach';

/** How a bake breach is told and carried, one case a row (mutation-tested, docs/mutation-testing.md). */
const START = Date.UTC(2026, 10, 20, 9, 0);
const BREACH: BakeBreach = {
  alarmName: 'orders-api-ppe-5xx',
  alarmAt: START + 65_000,
  reason: '5xx above 5%',
  bakeStartedAt: START,
  bakeSeconds: 600,
  detectedAt: START + 70_000,
  detectedBy: 'sweep',
};

describe('bake breaches', () => {
  it.each<[number, string]>([
    [-5_000, '0 s'],
    [0, '0 s'],
    [499, '0 s'],
    [500, '1 s'],
    [59_000, '59 s'],
    [59_499, '59 s'],
    [59_500, '1 min'],
    [60_000, '1 min'],
    [65_000, '1 min 5 s'],
    [3_599_000, '59 min 59 s'],
    [3_600_000, '1 h'],
    [3_660_000, '1 h 1 min'],
    [7_380_000, '2 h 3 min'],
    [7_385_000, '2 h 3 min'],
  ])('when a span of %i ms is shown, it reads %j', (ms, text) => {
    // Act
    const result = formatSpan(ms);

    // Assess
    expect(result).toBe(text);
  });

  it.each<[number, number]>([
    [START + 65_000, 65_000],
    [START, 0],
    [START - 1_000, -1_000],
  ])('when the alarm fired at %i, the elapsed bake is %i ms', (alarmAt, elapsed) => {
    // Act
    const result = bakeElapsedMs({ alarmAt, bakeStartedAt: START });

    // Assess
    expect(result).toBe(elapsed);
  });

  it.each<[string, Partial<BakeBreach>, string]>([
    [
      'during the bake',
      {},
      'orders-api-ppe-5xx went to ALARM at 2026-11-20T09:01:05.000Z, 1 min 5 s into the 10 min bake of ' +
        'ppe/eu-west-1 (acted on 5 s later, by the sweep): 5xx above 5%',
    ],
    [
      'as the bake began',
      { alarmAt: START, detectedAt: START, detectedBy: 'alarm event' },
      'orders-api-ppe-5xx went to ALARM at 2026-11-20T09:00:00.000Z, 0 s into the 10 min bake of ' +
        'ppe/eu-west-1 (acted on 0 s later, by the alarm event): 5xx above 5%',
    ],
    [
      'after the deploy, before the bake',
      { alarmAt: START - 1_000, detectedAt: START, detectedBy: 'bake start', bakeSeconds: 90 },
      'orders-api-ppe-5xx went to ALARM at 2026-11-20T08:59:59.000Z, after the deploy, before the ' +
        '1 min 30 s bake of ppe/eu-west-1 began (acted on 1 s later, by the bake start): 5xx above 5%',
    ],
  ])('when an alarm fired %s, the line says so', (_name, over, line) => {
    // Act
    const text = describeBakeBreach({ ...BREACH, ...over }, 'ppe/eu-west-1');

    // Assess
    expect(text).toBe(line);
  });

  it('when a breach becomes a task failure cause, it reads back as the same breach with Lambda error fields', () => {
    // Act
    const cause = bakeBreachCause(BREACH, 'ppe/eu-west-1');

    // Assess
    expect(JSON.parse(cause)).toEqual({
      errorType: 'AlarmBreached',
      errorMessage: describeBakeBreach(BREACH, 'ppe/eu-west-1'),
      bakeBreach: BREACH,
    });
    expect(bakeBreachOf(cause)).toEqual(BREACH);
  });

  it.each<[string, string | undefined]>([
    ['no cause', undefined],
    ['an empty cause', ''],
    ['not JSON', 'Task timed out'],
    ['JSON null', 'null'],
    ['another error', JSON.stringify({ errorType: 'States.Timeout', errorMessage: 'x' })],
    ['a breach without its detector', JSON.stringify({ bakeBreach: { ...BREACH, detectedBy: undefined } })],
    ['a breach with an unknown detector', JSON.stringify({ bakeBreach: { ...BREACH, detectedBy: 'pager' } })],
    ['a breach with a time as text', JSON.stringify({ bakeBreach: { ...BREACH, alarmAt: '09:01' } })],
  ])('when a failure cause is %s, it carries no breach', (_name, cause) => {
    // Act
    const breach = bakeBreachOf(cause);

    // Assess
    expect(breach).toBeUndefined();
  });

  it.each<[BakeBreach['detectedBy']]>([['alarm event'], ['sweep'], ['bake start']])(
    'when the breach was detected by the %s, it reads back',
    (detectedBy) => {
      // Act
      const breach = bakeBreachOf(bakeBreachCause({ ...BREACH, detectedBy }, 'ppe/eu-west-1'));

      // Assess
      expect(breach?.detectedBy).toBe(detectedBy);
    },
  );
});
