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
    [['--port', '-1'], "Option '--port' argument is ambiguous"],
    [['--port=-1'], '--port must be a port number'],
    [['--time-scale', '0'], '--time-scale must be a positive number, got "0"'],
    [['--time-scale', 'fast'], '--time-scale must be a positive number'],
    [['--approvals', 'reject'], '--approvals must be email or approve, got "reject"'],
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
    expect(bad.err).toBe('pipeline local: --break nothex=smoke: expected <commit-prefix>=deploy|smoke|alarm');
  });
});
