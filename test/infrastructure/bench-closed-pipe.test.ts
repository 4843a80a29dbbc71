/**
 * The benchmarks print tables people pipe into `head`: a closed pipe must end them quietly, as it ends the
 * CLI (cli/process-lifecycle.ts), not with an EPIPE stack trace and status 1.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = join(__dirname, '..', '..');
const BENCH_DIR = join(ROOT, 'bench');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

describe('benchmarks and a closed pipe', () => {
  it('when a benchmark writes to a pipe its reader closed (| head -1), it ends quietly with status 0', async () => {
    // Act: `true` exits at once, so the table meets a closed pipe
    const { stdout, stderr } = await promisify(execFile)(
      'bash',
      ['-c', `set -o pipefail; "${TSX}" bench/promotion-cost.ts | true; echo "status=$?"`],
      { cwd: ROOT },
    );

    // Assess
    expect(stderr).toBe('');
    expect(stdout.trim()).toBe('status=0');
  }, 60_000);

  it.each(readdirSync(BENCH_DIR).filter((file) => file.endsWith('.ts')))(
    'when %s starts, it ends quietly on a closed stdout',
    (file) => {
      // Act
      const source = readFileSync(join(BENCH_DIR, file), 'utf8');

      // Assess
      expect(source).toMatch(/^endQuietlyOnClosedPipe\(process\.stdout, /m);
    },
  );
});
