import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * `cli/main.ts` loads a command's module only when that command runs: `pipeline help` and the operator
 * commands must not pay for the local runtime (dynalite, the engine, every handler). Each case runs the CLI
 * in a fresh Node process, as bin/pipeline.js does, and lists the modules it loaded.
 */
const ROOT = join(__dirname, '..', '..');

async function modulesLoadedBy(...argv: string[]): Promise<string[]> {
  const script = `
    require('tsx/cjs');
    require('./cli/main.ts')
      .main(${JSON.stringify(argv)}, { out: () => undefined, err: () => undefined })
      .then(() => process.stdout.write(JSON.stringify(Object.keys(require.cache))));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { cwd: ROOT });
  return JSON.parse(stdout) as string[];
}

const localRuntime = (files: string[]) =>
  files.filter((f) => /\/dynalite\/|\/local-runtime\/local-pipeline\.ts$|\/functions\//.test(f));

describe('pipeline commands load lazily', () => {
  it('when asked for help, it loads no command module', async () => {
    // Act
    const loaded = await modulesLoadedBy('help');

    // Assess
    expect(localRuntime(loaded)).toEqual([]);
    expect(loaded.filter((f) => f.includes('/cli/operator/read-commands'))).toEqual([]);
  }, 60_000);

  it('when an operator command runs against a local stack that is not there, it loads neither dynalite nor the handlers', async () => {
    // Act
    const loaded = await modulesLoadedBy('status', '--local', '--url', 'http://127.0.0.1:9');

    // Assess
    expect(loaded.some((f) => f.endsWith('/cli/operator/read-commands.ts'))).toBe(true);
    expect(localRuntime(loaded)).toEqual([]);
  }, 60_000);

  it('when the demo is asked for its usage, it loads the demo module and with it the local runtime', async () => {
    // Act
    const loaded = await modulesLoadedBy('demo', '--help');

    // Assess
    expect(loaded.some((f) => f.endsWith('/local-runtime/local-pipeline.ts'))).toBe(true);
  }, 60_000);
});
