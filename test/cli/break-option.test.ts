import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkMigrationBreaks, parseBreaks } from '../../cli/break-option';
import { UsageError } from '../../cli/usage-error';
import { parseConfig } from '../../shared/config/config.loader';
import { runCli } from '../support/cli';

describe('--break errors:<percent>% and latency:<factor>x', () => {
  it('when a build is to degrade, it gives its commit an error rate or a slowdown, beside the other breaks', () => {
    // Act
    const behaviours = parseBreaks([
      'badc0ffee=errors:8%',
      'badc0ffee=smoke',
      'c0ffee=latency:3x',
      'c0ffee=errors:0.5%',
      'deadbeef=latency:1.5x',
    ]);

    // Assess
    expect(behaviours).toEqual({
      badc0ffee: { errorRate: 0.08, failsHealthCheck: true },
      c0ffee: { latencyFactor: 3, errorRate: 0.005 },
      deadbeef: { latencyFactor: 1.5 },
    });
  });

  it.each([
    [
      'badc0ffee=errors:8',
      '"8" is not an error rate; write errors:<percent>% with more than 0 and at most 100, e.g. errors:8%',
    ],
    ['badc0ffee=errors:0%', '"0%" is not an error rate'],
    ['badc0ffee=errors:120%', '"120%" is not an error rate'],
    ['badc0ffee=errors:-5%', '"-5%" is not an error rate'],
    [
      'badc0ffee=latency:3',
      '"3" is not a slowdown; write latency:<factor>x with more than 1 and at most 100, e.g. latency:3x',
    ],
    ['badc0ffee=latency:1x', '"1x" is not a slowdown'],
    ['badc0ffee=latency:0.5x', '"0.5x" is not a slowdown'],
    ['badc0ffee=latency:1000x', '"1000x" is not a slowdown'],
    ['badc0ffee=latency:slow', '"slow" is not a slowdown'],
    ['nothex=errors:8%', 'expected <commit-prefix>=deploy|smoke|alarm'],
  ])('when given --break %s, pipeline local exits 2 with the rule and starts nothing', async (spec, rule) => {
    // Act
    const { code, out, err } = await runCli('local', '--port', '0', '--break', spec);

    // Assess
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toBe(
      `pipeline local: --break ${spec}: ${err.slice(`pipeline local: --break ${spec}: `.length)}`,
    );
    expect(err).toContain(rule);
    expect(err.split('\n')).toHaveLength(1);
  });
});

describe('--break <commit>=migration', () => {
  const sample = readFileSync(join(__dirname, '..', '..', 'pipeline.config.yml'), 'utf8');

  it('when a build is to ship a failing migration, it marks its commit, beside the other breaks', () => {
    // Act
    const behaviours = parseBreaks(['badc0ffee=migration', 'badc0ffee=smoke']);

    // Assess
    expect(behaviours).toEqual({ badc0ffee: { breaksMigration: true, failsHealthCheck: true } });
  });

  it('when no service of the configuration migrates, it is refused: it would change nothing', () => {
    // Prepare
    const withoutMigrations = parseConfig(sample, 'pipeline.config.yml');
    const withMigrations = parseConfig(
      sample.replace(
        '    gitRepository: example-org/orders-api\n',
        '    gitRepository: example-org/orders-api\n    migrations:\n      command: [node, migrate.mjs]\n',
      ),
      'pipeline.config.yml',
    );
    const behaviours = parseBreaks(['badc0ffee=migration']);

    // Act
    const refused = () => checkMigrationBreaks(behaviours, withoutMigrations, 'pipeline.config.yml');

    // Assess
    expect(refused).toThrow(UsageError);
    expect(refused).toThrow(
      '--break badc0ffee=migration: no service in pipeline.config.yml has migrations, so nothing would fail',
    );
    expect(() => checkMigrationBreaks(behaviours, withMigrations, 'pipeline.config.yml')).not.toThrow();
    expect(() =>
      checkMigrationBreaks(parseBreaks(['badc0ffee=smoke']), withoutMigrations, 'x'),
    ).not.toThrow();
  });
});
