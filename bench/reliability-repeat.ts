/**
 * Runs the reliability suite (test/reliability/) RUNS times in a row and counts the runs that failed, with
 * the tests that failed in each: a flaky test or a race shows up as a failure count above 0.
 *
 *   npx tsx bench/reliability-repeat.ts [RUNS] [--out FILE]      (RUNS defaults to 50)
 *
 * Each run is a fresh `jest --ci test/reliability` process, as CI runs it, with one difference: the tests'
 * default wall-clock timeout is raised to 10 minutes (`--testTimeout`). The suite runs on virtual time, so a
 * run on a loaded machine takes longer but must end the same way; what is counted is behaviour, not the
 * machine's load (a run that hangs for good still fails, at that timeout). CPU-bound: about a minute per
 * run on a quiet 2-core machine. `--out` appends one line per run to FILE as it goes, for long runs.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { endQuietlyOnClosedPipe } from '../cli/process-lifecycle';

// `npx tsx bench/… | head`: a closed pipe ends the benchmark quietly, as it does the CLI.
endQuietlyOnClosedPipe(process.stdout, (code) => process.exit(code));

const ROOT = join(__dirname, '..');
const JEST = join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');

interface JestReport {
  numFailedTests: number;
  numTotalTests: number;
  testResults: {
    name: string;
    message: string;
    assertionResults: { fullName: string; status: string; failureMessages?: string[] }[];
  }[];
}

function usage(problem: string): never {
  process.stderr.write(
    `reliability-repeat: ${problem}\nusage: npx tsx bench/reliability-repeat.ts [RUNS] [--out FILE]\n`,
  );
  process.exit(2);
}

function parseArgs(argv: string[]): { runs: number; out?: string } {
  let runs = 50;
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--out') {
      out = argv[++i];
      if (!out) usage('--out needs a file name');
    } else if (/^[1-9]\d*$/.test(arg)) runs = Number(arg);
    else usage(`RUNS must be a positive whole number, got "${arg}"`);
  }
  return { runs, ...(out && { out }) };
}

/** One run of the suite: which tests failed (a suite that failed to run counts as its file). */
function runOnce(dir: string, run: number): { failed: string[]; tests: number; seconds: number } {
  const report = join(dir, `run-${run}.json`);
  const started = performance.now();
  const args = [
    '--ci',
    '--silent',
    '--forceExit',
    '--testTimeout=600000',
    '--json',
    `--outputFile=${report}`,
  ];
  const log = join(dir, `run-${run}.log`);
  const logFd = openSync(log, 'w');
  const exit = spawnSync(process.execPath, [JEST, ...args, 'test/reliability'], {
    cwd: ROOT,
    stdio: ['ignore', logFd, logFd],
    timeout: 60 * 60_000,
  });
  closeSync(logFd);
  const seconds = (performance.now() - started) / 1000;
  let parsed: JestReport;
  try {
    parsed = JSON.parse(readFileSync(report, 'utf8')) as JestReport;
  } catch {
    const tail = readFileSync(log, 'utf8').trim().split('\n').slice(-5).join(' | ');
    const how = exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.status}`;
    return { failed: [`jest wrote no report (${how}): ${tail}`], tests: 0, seconds };
  }
  const failed = parsed.testResults.flatMap((file) => {
    // The first line of the failure says whether behaviour broke or a wall-clock timeout ran out.
    const why = (t: { failureMessages?: string[] }) =>
      (t.failureMessages?.[0] ?? '')
        .split('\n')
        .find((line) => line.trim() !== '')
        ?.trim()
        .slice(0, 160) ?? '';
    const tests = file.assertionResults
      .filter((t) => t.status === 'failed')
      .map((t) => `${t.fullName}: ${why(t)}`);
    return tests.length > 0 || !file.message ? tests : [`${file.name.replace(`${ROOT}/`, '')}: did not run`];
  });
  return { failed, tests: parsed.numTotalTests, seconds };
}

function main(): void {
  const { runs, out } = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'reliability-repeat-'));
  const failures: { run: number; failed: string[] }[] = [];
  const say = (line: string) => {
    process.stdout.write(`${line}\n`);
    if (out) appendFileSync(out, `${line}\n`);
  };
  say(`reliability suite (test/reliability), ${runs} runs in a row`);
  try {
    for (let run = 1; run <= runs; run++) {
      const result = runOnce(dir, run);
      if (result.failed.length > 0) failures.push({ run, failed: result.failed });
      say(
        `run ${run}/${runs}: ${result.failed.length === 0 ? 'passed' : 'FAILED'} ` +
          `(${result.tests} tests, ${result.seconds.toFixed(0)} s)` +
          result.failed.map((name) => `\n  failed: ${name}`).join(''),
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  say(`failures: ${failures.length} of ${runs} runs`);
  process.exitCode = failures.length === 0 ? 0 : 1;
}

main();
