/** Powertools Logger and Metrics are loaded on first use, not when a function loads (docs/cold-start.md). */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

describe('Powertools on first use', () => {
  it('when the step stack is loaded, neither Logger nor Metrics is; a log line and a metric load each', () => {
    // Prepare
    const probe = `
      const loaded = (name) =>
        Object.keys(require.cache).some((file) => file.includes('@aws-lambda-powertools/' + name + '/'));
      const { logger, metrics } = require('./shared/middleware/lambda-step');
      const atLoad = { logger: loaded('logger'), metrics: loaded('metrics') };
      logger.info('probe');
      const afterLog = { logger: loaded('logger'), metrics: loaded('metrics') };
      metrics.addMetric('probe', 'Count', 1);
      const afterMetric = { logger: loaded('logger'), metrics: loaded('metrics') };
      process.stdout.write('\\n' + JSON.stringify({ atLoad, afterLog, afterMetric }));`;

    // Act
    const output = execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', probe], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, POWERTOOLS_DEV: '', POWERTOOLS_LOG_LEVEL: 'SILENT' },
    }).toString();

    // Assess
    expect(JSON.parse(output.trim().split('\n').pop()!)).toEqual({
      atLoad: { logger: false, metrics: false },
      afterLog: { logger: true, metrics: false },
      afterMetric: { logger: true, metrics: true },
    });
  }, 60_000);
});
