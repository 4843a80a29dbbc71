import { parseConfig } from '../../../shared/config/config.loader';
import { planStages } from '../../../shared/domain/stage';
import { positionOf, sampleConfigText } from '../../support/fixtures';
import { configProblemsOf } from '../../support/config-errors';

const FILE = 'pipeline.config.yml';

/** The sample with prod given these extra lines (indented as prod's fields). */
function withProdSettings(lines: string): string {
  const anchor = '    regions: [eu-west-1, us-east-1, ap-southeast-2]\n';
  const text = sampleConfigText();
  if (text.split(anchor).length !== 2) throw new Error('the sample must list the prod regions once');
  return text.replace(anchor, `${anchor}${lines}`);
}

function problemsOf(text: string): string[] {
  return configProblemsOf(text, FILE);
}

const WINDOW = `    deploymentWindows:
      - days: [mon, tue, wed, thu]
        start: '09:00'
        end: '16:00'
        timezone: Europe/Berlin
`;

describe('deployment windows and freezeWaitHours in the config', () => {
  it('when prod has windows and a wait, the prod stages carry them and the others deploy any time after 24 h', () => {
    // Prepare
    const config = parseConfig(withProdSettings(`${WINDOW}    freezeWaitHours: 72\n`), FILE);

    // Act
    const stages = planStages(config, 'orders-api', 'tag');

    // Assess
    const gates = stages.map((s) => [s.environment, s.gate.windows.length, s.gate.maxWaitSeconds]);
    expect(gates).toEqual([
      ['staging', 0, 24 * 3600],
      ['prod', 1, 72 * 3600],
      ['prod', 1, 72 * 3600],
      ['prod', 1, 72 * 3600],
    ]);
    expect(stages[1]?.gate.windows[0]).toEqual({
      days: ['mon', 'tue', 'wed', 'thu'],
      start: '09:00',
      end: '16:00',
      timezone: 'Europe/Berlin',
    });
  });

  it('when a time is not HH:MM, it names the path, the line and the expected format', () => {
    // Prepare
    const text = withProdSettings(WINDOW.replace("start: '09:00'", "start: '9am'"));

    // Act
    const problems = problemsOf(text);

    // Assess
    expect(problems).toEqual([
      `${positionOf(FILE, text, "start: '9am'", 'start')}: environments[2].deploymentWindows[0].start: start must be a 24-hour time "HH:MM" such as "09:00"`,
    ]);
  });

  it('when the time zone is not an IANA name, it says so with the path and line', () => {
    // Prepare
    const text = withProdSettings(WINDOW.replace('Europe/Berlin', 'CEST+1'));

    // Act
    const problems = problemsOf(text);

    // Assess
    expect(problems).toEqual([
      `${positionOf(FILE, text, 'CEST+1', 'timezone')}: environments[2].deploymentWindows[0].timezone: timezone must be an IANA time zone such as "Europe/Berlin" or "UTC"`,
    ]);
  });

  it('when the end is not after the start, it names the end and says how to span midnight', () => {
    // Prepare
    const text = withProdSettings(WINDOW.replace("end: '16:00'", "end: '08:00'"));

    // Act
    const problems = problemsOf(text);

    // Assess
    expect(problems).toEqual([
      `${positionOf(FILE, text, "end: '08:00'", 'end')}: environments[2].deploymentWindows[0].end: end must be after start on the same day (split a window across midnight into two)`,
    ]);
  });

  it('when a day is misspelt, it names the day entry and lists the days', () => {
    // Prepare
    const text = withProdSettings(WINDOW.replace('[mon, tue', '[monday, tue'));

    // Act
    const problems = problemsOf(text);

    // Assess
    expect(problems).toEqual([
      `${positionOf(FILE, text, '[monday, tue', 'monday')}: environments[2].deploymentWindows[0].days[0]: days are sun, mon, tue, wed, thu, fri, sat (lowercase, three letters)`,
    ]);
  });
});
