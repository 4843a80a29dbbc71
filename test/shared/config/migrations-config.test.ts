import { ConfigError } from '../../../shared/config/config-error';
import { parseConfig } from '../../../shared/config/config.loader';
import { resolveMigrations } from '../../../shared/config/migrations.schema';
import { positionOf, sampleConfigText } from '../../support/fixtures';

/**
 * `migrations` in pipeline.config.yml (shared/config/migrations.schema.ts): per service, overridden per
 * environment, with the approval defaulting to the environment having approvers.
 */
const FILE = 'pipeline.config.yml';
const SERVICE_ANCHOR = '    gitRepository: example-org/orders-api\n';
const STAGING_ANCHOR = '      staging:\n        bakeMinutes: 10\n';
const PPE_ANCHOR =
  '    environments:\n      ppe:\n        bakeMinutes: 5\n        alarms:\n          names: [orders-api-ppe-5xx]\n';

/** The sample with `service` lines after orders-api's gitRepository, `staging`/`ppe` lines in those entries. */
function withMigrations(parts: { service?: string; staging?: string; ppe?: string }): string {
  let text = sampleConfigText();
  const insert = (anchor: string, lines: string | undefined, indent: string) => {
    if (lines === undefined) return;
    // The first occurrence is orders-api's (the first service).
    if (!text.includes(anchor)) throw new Error(`anchor not in the sample: ${anchor}`);
    const block = lines
      .trim()
      .split('\n')
      .map((l) => indent + l)
      .join('\n');
    text = text.replace(anchor, anchor + block + '\n');
  };
  insert(SERVICE_ANCHOR, parts.service, '    ');
  insert(STAGING_ANCHOR, parts.staging, '        ');
  insert(PPE_ANCHOR.split('\n').slice(0, 3).join('\n') + '\n', parts.ppe, '        ');
  return text;
}

function problemsOf(text: string): string[] {
  try {
    parseConfig(text, FILE);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('migrations in the pipeline configuration', () => {
  it('when a service declares migrations, each environment resolves them with the approval default', () => {
    // Prepare
    const text = withMigrations({
      service: 'migrations:\n  command: [npm, run, migrate]\n  planCommand: [npm, run, migrate:plan]',
      staging: 'migrations:\n  timeoutMinutes: 5',
    });

    // Act
    const config = parseConfig(text, FILE);
    const service = config.services.find((s) => s.name === 'orders-api')!;
    const resolved = Object.fromEntries(
      config.environments.map((e) => [e.name, resolveMigrations(service, e)]),
    );

    // Assess
    expect(resolved).toEqual({
      ppe: {
        command: ['npm', 'run', 'migrate'],
        planCommand: ['npm', 'run', 'migrate:plan'],
        timeoutSeconds: 1800,
        approval: false,
      },
      staging: {
        command: ['npm', 'run', 'migrate'],
        planCommand: ['npm', 'run', 'migrate:plan'],
        timeoutSeconds: 300,
        approval: false,
      },
      prod: {
        command: ['npm', 'run', 'migrate'],
        planCommand: ['npm', 'run', 'migrate:plan'],
        timeoutSeconds: 1800,
        approval: true,
      },
    });
    const payments = config.services.find((s) => s.name === 'payments-api')!;
    expect(resolveMigrations(payments, config.environments[2]!)).toBeUndefined();
  });

  it('when one environment overrides a field, only that environment changes', () => {
    // Prepare
    const text = withMigrations({
      service: 'migrations:\n  command: [migrate]',
      ppe: 'migrations:\n  approval: false',
    });

    // Act
    const config = parseConfig(text, FILE);
    const service = config.services[0]!;

    // Assess
    expect(resolveMigrations(service, config.environments[0]!)?.approval).toBe(false);
    expect(resolveMigrations(service, config.environments[2]!)?.approval).toBe(true);
  });

  it.each<[string, { service?: string; staging?: string }, string, string, string]>([
    [
      'an environment override has no command and the service has none',
      { staging: 'migrations:\n  timeoutMinutes: 5' },
      '      staging:\n        bakeMinutes: 10\n        migrations:',
      'services[0].environments.staging.migrations: missing command',
      '        migrations:',
    ],
    [
      'the service migrations have no command',
      { service: 'migrations:\n  timeoutMinutes: 5' },
      '    migrations:',
      'services[0].migrations.command',
      '    migrations:',
    ],
    [
      'the command is an empty list',
      { service: 'migrations:\n  command: []' },
      '      command: []',
      'services[0].migrations.command: command needs at least the executable',
      '      command: []',
    ],
    [
      'an environment without approvers asks for a migration approval',
      { service: 'migrations:\n  command: [migrate]', staging: 'migrations:\n  approval: true' },
      '          approval: true',
      'services[0].environments.staging.migrations.approval: environment "staging" has no approvers',
      '          approval: true',
    ],
    [
      'the service asks for approval everywhere but ppe and staging have no approvers',
      { service: 'migrations:\n  command: [migrate]\n  approval: true' },
      '      approval: true',
      'services[0].migrations.approval: environment "ppe" has no approvers to approve migrations',
      '      approval: true',
    ],
    [
      'the timeout is longer than a day',
      { service: 'migrations:\n  command: [migrate]\n  timeoutMinutes: 2000' },
      '      timeoutMinutes: 2000',
      'services[0].migrations.timeoutMinutes: cannot exceed 24 hours',
      '      timeoutMinutes: 2000',
    ],
    [
      'a migrations field is misspelt',
      { service: 'migrations:\n  command: [migrate]\n  comand: [x]' },
      '      comand: [x]',
      'unknown field "comand"',
      '      comand: [x]',
    ],
  ])('when %s, it names the file, the path and the line', (_, parts, needle, message, lineNeedle) => {
    // Prepare
    const text = withMigrations(parts);
    const key = lineNeedle.trim().split(':')[0]!;

    // Act
    const problems = problemsOf(text);

    // Assess
    const where = positionOf(FILE, text, needle.split('\n').pop()!, key);
    const matching = problems.filter((p) => p.includes(message));
    expect(matching.length).toBeGreaterThan(0);
    expect(matching[0]).toMatch(new RegExp(`^${where.replace(/[.]/g, '\\.')}: `));
  });
});
