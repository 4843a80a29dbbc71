import { execFile, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { joinNegativeNumbers } from '../../cli/main';
import { connect, connectionFlags } from '../../cli/operator/operator-context';
import { runCli } from '../support/cli';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'pipeline.js');
// Nothing listens there: a command that got as far as calling the pipeline would exit 3, not 2.
const NOWHERE = ['--local', '--url', 'http://127.0.0.1:9'];

describe('one exit-code rule across the commands', () => {
  it.each([
    [['status', 'orders-apx'], 'no service "orders-apx" in the config (did you mean "orders-api"?)'],
    [['executions', '--service', 'orders-apx'], 'no service "orders-apx" in the config (did you mean'],
    [['history', 'orders-apx'], 'no service "orders-apx" in the config (did you mean'],
    [
      ['history', 'orders-api', '--environment', 'prd'],
      'no environment "prd" in the config (did you mean "prod"?)',
    ],
    [['rollback', 'orders-apx', 'prod', '--yes'], 'no service "orders-apx" in the config'],
    [['rollback', 'orders-api', 'prd', '--yes'], 'no environment "prd" in the config'],
    [
      ['rollback', 'orders-api', 'prod', '--region', 'us-east-2', '--yes'],
      'prod has no region "us-east-2" (did you mean "us-east-1"?)',
    ],
    [['freeze', 'prd', '--reason', 'incident'], 'no environment "prd" in the config (did you mean "prod"?)'],
    [['unfreeze', 'prd'], 'no environment "prd" in the config'],
  ])(
    'when %j names what the config does not have, it exits 2 before calling the pipeline',
    async (argv, message) => {
      // Act
      const { code, err } = await runCli(...argv, ...NOWHERE);

      // Assess
      expect(err).toContain(message);
      expect(code).toBe(2);
    },
  );

  it('when help is asked for a command that does not exist, it exits 2 and suggests the closest', async () => {
    // Act
    const unknown = await runCli('help', 'statsu');
    const known = await runCli('help', 'status');

    // Assess
    expect(unknown.code).toBe(2);
    expect(unknown.err).toBe(
      'pipeline help: unknown command "statsu" (did you mean "status"?) (try: pipeline help)',
    );
    expect(known.code).toBe(0);
    expect(known.out).toContain('usage: pipeline status');
  });

  it('when help is asked for without a command, it says what the demo really runs', async () => {
    // Act
    const { code, out } = await runCli('help');

    // Assess
    expect(code).toBe(0);
    expect(out).not.toContain('pre-production flow');
    expect(out).toContain('demo       run a day of the pipeline end to end on this machine');
  });

  it.each([
    [
      ['freeze', 'prod', '--reason', 'incident', '--for', '-1'],
      '--for must be a number of hours above 0, at most 720 (30 days), got "-1"',
    ],
    [['executions', '--limit', '-5'], '--limit must be a positive whole number, got "-5"'],
    [['local', '--port', '-1'], '--port must be a port number from 0 to 65535, got "-1"'],
  ])(
    'when %j gives a negative number, the command judges the number itself (exit 2)',
    async (argv, message) => {
      // Act
      const { code, err } = await runCli(...argv, ...(argv[0] === 'local' ? [] : NOWHERE));

      // Assess
      expect(err).toContain(message);
      expect(code).toBe(2);
    },
  );

  it('when a negative number follows an option, it is joined to it; anything else is left alone', () => {
    // Assess
    expect(joinNegativeNumbers(['--for', '-1.5', 'x', '--as', '-abc', '-5'])).toEqual([
      '--for=-1.5',
      'x',
      '--as',
      '-abc',
      '-5',
    ]);
  });
});

describe('the bin', () => {
  it('when its reader closes the pipe (| head -1), it ends quietly with status 0', async () => {
    // Act: `true` exits at once, so every write of the command meets a closed pipe
    const { stdout, stderr } = await promisify(execFile)(
      'bash',
      ['-c', `set -o pipefail; "${process.execPath}" "${BIN}" help | true; echo "status=$?"`],
      { cwd: ROOT },
    );

    // Assess
    expect(stderr).toBe('');
    expect(stdout.trim()).toBe('status=0');
  });

  it('when started through npm and the process above it is killed, `pipeline local` stops too', async () => {
    // Prepare: a shell stands in for npm's; the bin sees npm's environment
    const shell = spawn(
      'sh',
      ['-c', `"${process.execPath}" "${BIN}" local --port 0 --approvals approve & echo $!; wait`],
      { cwd: ROOT, env: { ...process.env, npm_command: 'run-script' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    shell.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    for (let i = 0; i < 600 && !output.includes('Ctrl-C stops it.'); i++)
      await new Promise((r) => setTimeout(r, 50));
    const child = Number(output.split('\n')[0]);

    // Act
    shell.kill('SIGKILL');
    let alive = true;
    for (let i = 0; i < 100 && alive; i++) {
      await new Promise((r) => setTimeout(r, 100));
      try {
        process.kill(child, 0);
      } catch {
        alive = false;
      }
    }

    // Assess
    expect(output).toContain('Ctrl-C stops it.');
    expect(child).toBeGreaterThan(1);
    expect(alive).toBe(false);
  }, 60_000);
});

describe('which pipeline an operator command talks to', () => {
  it('when PIPELINE_LOCAL_URL is set, --local uses it unless --url says otherwise', async () => {
    // Prepare: a stand-in for the stack that answers the clock request connect() makes first
    const stack = createServer((_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ now: Date.parse('2030-01-01T00:00:00Z'), timeScale: 0 }));
    });
    await new Promise<void>((resolve) => stack.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(stack.address() as AddressInfo).port}`;

    try {
      // Act
      const fromEnv = connect({ local: true }, { PIPELINE_LOCAL_URL: 'http://example.com:8787' }).catch(
        (error: Error) => error,
      );
      const fromFlag = await connect({ local: true, url }, { PIPELINE_LOCAL_URL: 'nonsense' });
      const fromVariable = await connect({ local: true }, { PIPELINE_LOCAL_URL: url });

      // Assess
      expect(((await fromEnv) as Error).message).toBe(
        '--url (or PIPELINE_LOCAL_URL) must be an http://127.0.0.1:<port> address (the local stack), got "http://example.com:8787"',
      );
      expect(fromFlag.mode).toBe('local');
      expect(new Date(fromVariable.clock.now()).toISOString()).toBe('2030-01-01T00:00:00.000Z');
    } finally {
      stack.close();
    }
  });

  it('when a command suggests the next one, it repeats the connection flags that were given', () => {
    // Assess
    expect(connectionFlags({ local: true, url: 'http://127.0.0.1:9000', as: 'me' })).toBe(
      ' --local --url http://127.0.0.1:9000',
    );
    expect(connectionFlags({ stage: 'prod', region: 'eu-west-1', profile: "ops team's" })).toBe(
      " --stage prod --region eu-west-1 --profile 'ops team'\\''s'",
    );
    expect(connectionFlags({})).toBe('');
  });

  it.each([
    'status',
    'executions',
    'show',
    'history',
    'redrive',
    'rollback',
    'approve',
    'reject',
    'freeze',
    'unfreeze',
  ])('when asked for help on %s, it documents --url and PIPELINE_LOCAL_URL', async (command) => {
    // Act
    const { code, out } = await runCli('help', command);

    // Assess
    expect(code).toBe(0);
    expect(out).toContain('--url         with --local, its address (default: $PIPELINE_LOCAL_URL');
  });
});
