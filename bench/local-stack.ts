/**
 * End-to-end numbers of the local stack (issue #6): wall time of the non-interactive demo, and 100 pushes
 * sent through `POST /events` (10 PutEvents-style batches): executions per second and the event-to-end
 * latency of each promotion (p50/p99, wall clock), with how many deployed and how many were superseded
 * by a newer push of the same service. The same 100 pushes with `--data-dir` (state saved to disk as it
 * changes): the cost of persistence, the size of `state.json`, and how long a restart on it takes.
 *
 * `npx tsx bench/local-stack.ts` times the demo 3 times (the median). `--quick` (npm test) does not play it
 * again: test/cli/demo-command.test.ts plays it in full and checks what it prints, and writes how long it
 * took (test-output/demo-wall-time.json), which `--quick` prints; it plays the demo once only when that
 * file is missing (jest did not run before it).
 */
import '../local-runtime/local-environment';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_WALL_TIME_FILE } from '../test/support/demo-wall-time';
import { loadConfigFile } from '../shared/config/config.loader';
import { serveLocalPipeline } from '../local-runtime/local-http-server';
import { LocalPipeline } from '../local-runtime/local-pipeline';
import { endQuietlyOnClosedPipe } from '../cli/process-lifecycle';

// `npx tsx bench/… | head`: a closed pipe ends the benchmark quietly, as it does the CLI.
endQuietlyOnClosedPipe(process.stdout, (code) => process.exit(code));

const ROOT = join(__dirname, '..');
const QUICK = process.argv.includes('--quick');
const DEMO_RUNS = QUICK ? 1 : 3;

function demoWallTime(): number {
  const started = performance.now();
  execFileSync(process.execPath, [join(ROOT, 'bin', 'pipeline.js'), 'demo'], { cwd: ROOT, stdio: 'ignore' });
  return performance.now() - started;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function hundredPushes(dataDir?: string) {
  const pipeline = await LocalPipeline.start({
    config: loadConfigFile(join(ROOT, 'pipeline.config.yml')),
    ...(dataDir !== undefined ? { dataDir } : {}),
  });
  const http = await serveLocalPipeline(pipeline);
  const { url } = http;
  const template = JSON.parse(readFileSync(join(ROOT, 'events', 'ecr-push-orders-api.json'), 'utf8')) as {
    detail: Record<string, string>;
  };
  const sentAt = new Map<string, number>();
  const endedAt = new Map<string, number>();
  const stop = pipeline.engine.onEvent((e) => {
    if (e.type === 'ExecutionSucceeded' || e.type === 'ExecutionFailed')
      endedAt.set(e.executionArn, performance.now());
  });
  const started = performance.now();
  for (let batch = 0; batch < 10; batch++) {
    const entries = Array.from({ length: 10 }, (_, i) => {
      const n = batch * 10 + i;
      const hex = n.toString(16).padStart(2, '0');
      const service = n % 2 === 0 ? 'orders-api' : 'payments-api';
      return {
        ...template,
        id: `bench-${n}`,
        time: new Date(Date.UTC(2026, 10, 20, 9, 0, n)).toISOString(),
        detail: {
          ...template.detail,
          'repository-name': service,
          'image-tag': `sha-${hex.repeat(20)}`,
          'image-digest': `sha256:${hex.repeat(32)}`,
        },
      };
    });
    const response = await fetch(`${url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ Entries: entries }),
    });
    const body = (await response.json()) as { results: { started: string[] }[] };
    const now = performance.now();
    for (const result of body.results) for (const arn of result.started) sentAt.set(arn, now);
  }
  await pipeline.settled();
  const elapsed = performance.now() - started;
  stop();
  const latencies = [...sentAt].map(([arn, at]) => (endedAt.get(arn) ?? NaN) - at);
  const outputs = await Promise.all(
    [...sentAt.keys()].map(async (arn) =>
      JSON.parse((await pipeline.engine.describeExecution({ executionArn: arn })).output ?? '{}'),
    ),
  );
  const outcomes = await Promise.all(
    [...sentAt.keys()].map(async (arn, i) => {
      const described = await pipeline.engine.describeExecution({ executionArn: arn });
      return (
        (outputs[i].deployments?.[0]?.outcome as string) ?? `${described.status} ${described.error ?? ''}`
      );
    }),
  );
  await pipeline.close();
  await http.close();
  return { count: sentAt.size, elapsed, latencies, outcomes };
}

interface DemoTimedByTest {
  seconds: number;
  code: number;
  at: string;
}

/** The demo's wall time as demo-command.test.ts measured it in this `npm test`, if it did. */
function demoTimedByTest(): DemoTimedByTest | undefined {
  if (!existsSync(DEMO_WALL_TIME_FILE)) return undefined;
  return JSON.parse(readFileSync(DEMO_WALL_TIME_FILE, 'utf8')) as DemoTimedByTest;
}

function printDemoTime(): void {
  const timed = QUICK ? demoTimedByTest() : undefined;
  if (timed) {
    console.log(
      `demo (non-interactive): wall time ${timed.seconds.toFixed(2)} s (exit ${timed.code}), as ` +
        `test/cli/demo-command.test.ts played it in jest at ${timed.at}, in-process beside the other worker ` +
        `(target ≤ 60 s; \`npx tsx bench/local-stack.ts\` times it alone)`,
    );
    return;
  }
  const runs = Array.from({ length: DEMO_RUNS }, demoWallTime).sort((a, b) => a - b);
  const demo = runs[Math.floor(runs.length / 2)]!;
  console.log(
    `demo (non-interactive): ${DEMO_RUNS > 1 ? 'median ' : ''}wall time ${(demo / 1000).toFixed(2)} s ` +
      `of ${DEMO_RUNS} run${DEMO_RUNS > 1 ? 's' : ''} (target ≤ 60 s)`,
  );
}

async function main(): Promise<void> {
  printDemoTime();
  const r = await hundredPushes();
  const count = (o: string) => r.outcomes.filter((x) => x === o).length;
  console.log(
    `${r.count} pushes through POST /events: ${(r.count / (r.elapsed / 1000)).toFixed(1)} executions/s, ` +
      `event-to-end p50 ${percentile(r.latencies, 50).toFixed(0)} ms, p99 ${percentile(r.latencies, 99).toFixed(0)} ms ` +
      `(wall clock); ${count('deployed')} deployed, ${count('superseded')} superseded by a newer push`,
  );
  const other = r.outcomes.filter((o) => o !== 'deployed' && o !== 'superseded');
  if (other.length > 0) console.log(`other outcomes: ${JSON.stringify(other)}`);

  const dataDir = mkdtempSync(join(tmpdir(), 'bench-data-dir-'));
  try {
    const d = await hundredPushes(dataDir);
    const stateBytes = statSync(join(dataDir, 'state.json')).size;
    const restartStarted = performance.now();
    const restarted = await LocalPipeline.start({
      config: loadConfigFile(join(ROOT, 'pipeline.config.yml')),
      dataDir,
    });
    const restartMs = performance.now() - restartStarted;
    const restored = (await restarted.engine.listExecutions({})).executions.length;
    await restarted.close();
    console.log(
      `the same with --data-dir: ${(d.count / (d.elapsed / 1000)).toFixed(1)} executions/s, ` +
        `p50 ${percentile(d.latencies, 50).toFixed(0)} ms; state.json ${(stateBytes / 1024).toFixed(0)} KiB; ` +
        `a restart on it restores ${restored} executions in ${restartMs.toFixed(0)} ms`,
    );
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

void main();
