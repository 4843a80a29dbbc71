import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli';
import { localCommand, parseLocalArgs } from '../../cli/local-command';

const ROOT = join(__dirname, '..', '..');
const CONFIG = join(ROOT, 'pipeline.config.yml');

const run = runCli;

describe('pipeline local', () => {
  it.each([
    [['--port', 'abc'], '--port must be a port number from 0 to 65535, got "abc"'],
    [['--port', '70000'], '--port must be a port number'],
    [['--port', '-1'], '--port must be a port number from 0 to 65535, got "-1"'],
    [['--port=-1'], '--port must be a port number'],
    [['--time-scale', '0'], '--time-scale: "0": a scale must be a positive number or real'],
    [['--time-scale', 'fast'], '--time-scale: "fast": a scale must be a positive number'],
    [['--approvals', 'reject'], '--approvals must be email or approve, got "reject"'],
    [['--seed-history', '30x'], '--seed-history must be a number of days from 1d to 90d, got "30x"'],
    [['--seed-history', '0d'], '--seed-history must be a number of days from 1d to 90d, got "0d"'],
    [['--seed-history', '365d'], '--seed-history must be a number of days from 1d to 90d, got "365d"'],
    [
      ['--seed-history', '30d', '--data-dir', ROOT],
      `--seed-history plays a history into a new data directory, and ${ROOT} is not empty`,
    ],
    [['--colour'], "Unknown option '--colour'"],
    [['extra'], 'extra'],
    [['--config', join(ROOT, 'does-not-exist.yml')], 'does-not-exist.yml'],
  ])('when given %j, it exits 2 with one line and starts nothing', async (args, message) => {
    // Act
    const { code, out, err } = await run('local', '--port', '0', ...args);

    // Assess
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err.split('\n')).toHaveLength(1);
    expect(err).toMatch(/^pipeline local: /);
    expect(err).toContain(message);
  });

  it('when asked for help, it prints the usage with the options', async () => {
    // Act
    const { code, out } = await run('help', 'local');

    // Assess
    expect(code).toBe(0);
    expect(out).toContain('--approvals   email (default)');
  });

  it('when started on port 0, it prints the URLs, serves the API and stops cleanly when told to', async () => {
    // Prepare
    const lines: string[] = [];
    const stop = new AbortController();

    // Act
    const running = localCommand(
      ['--port', '0', '--config', CONFIG, '--approvals', 'approve'],
      (t) => lines.push(t),
      stop.signal,
    );
    for (let i = 0; i < 200 && lines.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    const url = /http:\/\/127\.0\.0\.1:\d+/.exec(lines.join('\n'))?.[0];
    const state = await fetch(`${url}/api/state`);
    stop.abort();
    const code = await running;

    // Assess
    expect(url).toBeDefined();
    expect(lines[0]).toContain(`dashboard  ${url}/`);
    expect(lines[0]).toContain(`mailbox    ${url}/mail`);
    expect(lines[0]).toContain(`curl -X POST --data @events/ecr-push-orders-api.json ${url}/events`);
    // Another port: the operator commands need its address, and the banner says how to give it
    expect(lines[0]).toContain(`pipeline status --local --url ${url}   (or export PIPELINE_LOCAL_URL=${url}`);
    // At 600x, what an approval's 168 hours mean for whoever waits for one
    expect(lines[0]).toContain(
      'note       time runs 600x faster: an approval of 168 hours expires in 17 real minutes; ' +
        'decide in time, or start pipeline local with --time-scale bake=600,approval=real to wait for people in real time',
    );
    expect(((await state.json()) as { timeScaleNote: string }).timeScaleNote).toContain(
      'an approval of 168 hours expires in 17 real minutes',
    );
    expect(state.status).toBe(200);
    expect(code).toBe(0);
    expect(lines.at(-1)).toBe('Local pipeline stopped.');
    await expect(fetch(`${url}/api/state`)).rejects.toThrow();
    expect(process.listenerCount('SIGINT')).toBe(0);
  });

  it('when --break is given, it passes the failing commits to the local stack, and refuses a bad one', async () => {
    // Act
    const parsed = parseLocalArgs(['--break', 'badc0ffee=smoke', '--break', 'badc0ffee=alarm']);
    const bad = await run('local', '--break', 'nothex=smoke');

    // Assess
    expect(parsed.behaviours).toEqual({ badc0ffee: { failsHealthCheck: true, breachesAlarms: true } });
    expect(bad.code).toBe(2);
    expect(bad.err).toBe(
      'pipeline local: --break nothex=smoke: expected <commit-prefix>=deploy|smoke|alarm|migration, <commit-prefix>=alarm@<minutes>, ' +
        '<commit-prefix>=errors:<percent>%, <commit-prefix>=latency:<factor>x or <commit-prefix>=kpi:<percent>%',
    );
  });

  it('when --break gives alarm@<minutes>, the alarm fires that far into the bake; a bad number is refused', async () => {
    // Act
    const parsed = parseLocalArgs(['--break', 'badc0ffee=alarm@2.5', '--break', 'c0ffee=alarm']);
    const negative = await run('local', '--break', 'badc0ffee=alarm@-1');
    const words = await run('local', '--break', 'badc0ffee=alarm@soon');
    const smokeLater = await run('local', '--break', 'badc0ffee=smoke@3');

    // Assess
    expect(parsed.behaviours).toEqual({
      badc0ffee: { breachesAlarms: true, alarmAfterMinutes: 2.5 },
      c0ffee: { breachesAlarms: true },
    });
    expect([negative.code, words.code, smokeLater.code]).toEqual([2, 2, 2]);
    expect(negative.err).toBe(
      'pipeline local: --break badc0ffee=alarm@-1: "-1" is not a number of minutes into the bake; ' +
        'write alarm@<minutes> with 0 to 1440, e.g. alarm@1 or alarm@2.5',
    );
    expect(words.err).toContain('"soon" is not a number of minutes into the bake');
    expect(smokeLater.err).toBe(
      'pipeline local: --break badc0ffee=smoke@3: only alarm takes @<minutes> (smoke happens at the deploy)',
    );
  });

  describe('--data-dir', () => {
    let scratch: string;
    beforeEach(() => {
      scratch = mkdtempSync(join(tmpdir(), 'pipeline-local-cli-'));
    });
    afterEach(() => {
      rmSync(scratch, { recursive: true, force: true });
    });

    it.each([
      [
        'a file',
        (dir: string) => writeFile(join(dir, 'notes.txt')),
        'is a file, not a directory: pick a directory with --data-dir',
      ],
      [
        'a path through a file',
        (dir: string) => join(writeFile(join(dir, 'notes.txt')), 'state'),
        'cannot be created (ENOTDIR',
      ],
      [
        'a directory of something else',
        (dir: string) => {
          writeFile(join(dir, 'package.json'));
          return dir;
        },
        'holds other files (package.json), so it is not one pipeline local made: pick an empty or new directory',
      ],
      ['empty', () => '', '--data-dir must name a directory, got ""'],
    ])('when it is %s, it exits 2 with one line and writes nothing', async (_what, make, message) => {
      // Prepare
      const dataDir = make(scratch);
      const before = readdirSync(scratch);

      // Act
      const { code, out, err } = await run('local', '--port', '0', '--config', CONFIG, '--data-dir', dataDir);

      // Assess
      expect(code).toBe(2);
      expect(out).toBe('');
      expect(err.split('\n')).toHaveLength(1);
      expect(err).toMatch(/^pipeline local: /);
      expect(err).toContain(message);
      expect(readdirSync(scratch)).toEqual(before);
    });

    it('when its state file is damaged, it exits 2 naming the file and the fix', async () => {
      // Prepare
      const dataDir = join(scratch, 'state');
      mkdirSync(dataDir);
      writeFileSync(join(dataDir, 'state.json'), '{"format":"pipeline-local-state","version":');

      // Act
      const { code, err } = await run('local', '--port', '0', '--config', CONFIG, '--data-dir', dataDir);

      // Assess
      expect(code).toBe(2);
      expect(err).toMatch(
        new RegExp(
          `^pipeline local: ${join(dataDir, 'state.json')} is damaged \\(not JSON: .+\\): delete the directory or pick another --data-dir$`,
        ),
      );
    });

    it('when started twice on one directory, the second run shows what the first did', async () => {
      // Prepare
      const dataDir = join(scratch, 'state');
      const first = await startAndStop(dataDir, async (url) => {
        const pushed = await fetch(`${url}/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(PUSH),
        });
        expect(pushed.status).toBe(200);
        for (let i = 0; i < 400; i++) {
          const { executions } = (await (await fetch(`${url}/api/executions`)).json()) as {
            executions: { status: string }[];
          };
          if (executions[0]?.status === 'SUCCEEDED') return executions;
          await new Promise((r) => setTimeout(r, 25));
        }
        throw new Error('the promotion did not finish');
      });

      // Act
      const second = await startAndStop(dataDir, async (url) =>
        (await fetch(`${url}/api/executions`)).json(),
      );

      // Assess
      expect(second.result).toEqual({ executions: first.result });
      expect(first.lines.at(-2)).toContain(
        `running executions are saved in ${dataDir} and resume on the next start`,
      );
      expect(second.lines[0]).toContain(`state      ${dataDir} (kept across restarts)`);
      expect(second.lines[0]).not.toContain('resumed');
    }, 60_000);

    it('when restarted while an execution runs, the banner says which executions it resumed', async () => {
      // Prepare: in real time the promotion is still deploying when the first run stops
      const dataDir = join(scratch, 'resumed');
      await startAndStop(
        dataDir,
        async (url) => {
          const pushed = await fetch(`${url}/events`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(PUSH),
          });
          expect(pushed.status).toBe(200);
        },
        '1',
      );

      // Act
      const second = await startAndStop(dataDir, async () => undefined, '1');

      // Assess
      expect(second.lines[0]).toContain(
        '  resumed    1 running execution where it stopped: push-orders-api-4b825dc642cb-3f7a9c3f7a9c',
      );
      expect(second.lines[0]).not.toContain('note       time runs');
    }, 60_000);
  });
});

const PUSH = JSON.parse(readFileSync(join(ROOT, 'events', 'ecr-push-orders-api.json'), 'utf8')) as unknown;

function writeFile(path: string): string {
  writeFileSync(path, 'not a directory\n');
  return path;
}

/** Runs `pipeline local --data-dir` until `use` is done with its URL, then stops it as Ctrl-C would. */
async function startAndStop<T>(
  dataDir: string,
  use: (url: string) => Promise<T>,
  timeScale = '1200',
): Promise<{ result: T; lines: string[]; code: number }> {
  const lines: string[] = [];
  const stop = new AbortController();
  const running = localCommand(
    [
      '--port',
      '0',
      '--config',
      CONFIG,
      '--time-scale',
      timeScale,
      '--approvals',
      'approve',
      '--data-dir',
      dataDir,
    ],
    (t) => lines.push(t),
    stop.signal,
  );
  for (let i = 0; i < 200 && lines.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
  const url = /http:\/\/127\.0\.0\.1:\d+/.exec(lines.join('\n'))?.[0] ?? '';
  try {
    return { result: await use(url), lines, code: 0 };
  } finally {
    stop.abort();
    expect(await running).toBe(0);
  }
}
