/**
 * moto in server mode on loopback: an independent emulator of AWS's APIs, so the AWS adapters' requests and
 * the shapes they read back are checked against something we did not write. `scripts/python-tools.sh` (run
 * by `npm test`) installs it into `.venv-tools/`; a test file starts one server in `beforeAll` and stops it
 * in `afterAll`. Each server has its own state: nothing leaks between test files.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';

/** moto's `moto_server`, installed by scripts/python-tools.sh. */
export const MOTO_SERVER_BIN = join(__dirname, '..', '..', '.venv-tools', 'bin', 'moto_server');

/** The account moto answers as (its default), and the fake credentials every client signs with. */
export const MOTO_ACCOUNT = '123456789012';
export const MOTO_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' } as const;

export interface MotoServer {
  /** `http://127.0.0.1:<port>`: pass as `endpoint` to any SDK v3 client. */
  readonly endpoint: string;
  /** Client settings for a region: endpoint, fake credentials, no retries (a wrong request fails at once). */
  clientConfig(region?: string): {
    endpoint: string;
    region: string;
    credentials: typeof MOTO_CREDENTIALS;
    maxAttempts: number;
  };
  /** Sets moto's own configuration (for example `{ stepfunctions: { execute_state_machine: true } }`). */
  configure(config: Record<string, unknown>): Promise<void>;
  /** Forgets every resource of every service (moto's reset API). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export async function startMotoServer(): Promise<MotoServer> {
  if (!existsSync(MOTO_SERVER_BIN)) {
    throw new Error(
      `${MOTO_SERVER_BIN} is missing: run 'bash scripts/python-tools.sh' (npm test runs it for you)`,
    );
  }
  const port = await freeLoopbackPort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(MOTO_SERVER_BIN, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MOTO_ALLOW_NONEXISTENT_REGION: 'false' },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  await waitUntilAnswering(endpoint, child, () => stderr);

  const post = async (path: string, body?: unknown): Promise<void> => {
    const response = await fetch(`${endpoint}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`moto ${path} answered ${response.status}: ${await response.text()}`);
  };

  return {
    endpoint,
    clientConfig: (region = 'eu-west-1') => ({
      endpoint,
      region,
      credentials: MOTO_CREDENTIALS,
      maxAttempts: 1,
    }),
    configure: (config) => post('/moto-api/config', config),
    reset: () => post('/moto-api/reset'),
    stop: () => stopChild(child),
  };
}

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilAnswering(
  endpoint: string,
  child: ChildProcess,
  stderr: () => string,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}: ${stderr()}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/data.json`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`moto_server did not answer on ${endpoint} within 60 s: ${stderr()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 3000).unref();
  });
}
