import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * `npm run lint:cycles` (part of `npm run lint` and scripts/test.sh) fails on any import cycle among the
 * sources, type-only imports included. These tests run the very command: on the tree as it is, and with a
 * deliberately cyclic fixture added to what it checks.
 */
const ROOT = join(__dirname, '..', '..');
const CYCLIC_FIXTURE = 'test/fixtures/import-cycle/*.ts';

async function lintCycles(...extraFiles: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await promisify(execFile)(
      'npm',
      ['run', '--silent', 'lint:cycles', '--', ...extraFiles],
      { cwd: ROOT },
    );
    return { code: 0, out: stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string };
    return { code: failed.code ?? -1, out: failed.stdout ?? '' };
  }
}

describe('the import cycle check', () => {
  it('when the sources have no import cycle, it passes', async () => {
    // Act
    const { code, out } = await lintCycles();

    // Assess
    expect(out).toContain('no circular dependency was found');
    expect(code).toBe(0);
  }, 120_000);

  it('when a cycle closed by a type-only import is in scope, it fails and names the files', async () => {
    // Act
    const { code, out } = await lintCycles(CYCLIC_FIXTURE);

    // Assess
    expect(code).toBe(1);
    expect(out).toMatch(
      /test\/fixtures\/import-cycle\/order\.ts -> test\/fixtures\/import-cycle\/order-lines\.ts -> test\/fixtures\/import-cycle\/order-total\.ts/,
    );
  }, 120_000);
});
