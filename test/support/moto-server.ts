/**
 * moto in server mode on loopback: an independent emulator of AWS's APIs, so the AWS adapters' requests and
 * the shapes they read back are checked against something we did not write. `scripts/python-tools.sh` (run
 * by `npm test`) installs it into `.venv-tools/`; a test file starts one server in `beforeAll` and stops it
 * in `afterAll`. Each server has its own state: nothing leaks between test files.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { MiddlewareStack } from '@smithy/types';

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
  /**
   * Counts, for the summary `npm test` prints, every SDK operation `client` sends to moto on behalf of
   * `adapter` (a name from shared/aws/, e.g. 'ecs.adapter'). Returns the client, so it wraps a construction.
   */
  recordContract<Client extends ContractClient>(adapter: string, client: Client): Client;
  /** An SDK client of `Client`'s kind for `region`, talking to moto, its operations counted for `adapter`. */
  adapterClient<Client extends ContractClient>(
    adapter: string,
    Client: new (config: ReturnType<MotoServer['clientConfig']>) => Client,
    region?: string,
  ): Client;
  /** Stops the server and writes the operations recorded in this file to test-output/aws-contracts/. */
  stop(): Promise<void>;
}

/** The part of an SDK v3 client `recordContract` needs: its middleware stack. */
export interface ContractClient {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- every client's own input and output types
  middlewareStack: MiddlewareStack<any, any>;
}

/** Where each moto test file writes the operations it checked; scripts/print-aws-contract-summary.ts reads it. */
export const AWS_CONTRACT_SUMMARY_DIR = join(__dirname, '..', '..', 'test-output', 'aws-contracts');

/** adapter → "Client.Command" operations that reached moto and answered. */
type ContractOperations = Map<string, Set<string>>;

function recordContractOperations(operations: ContractOperations) {
  return <Client extends ContractClient>(adapter: string, client: Client): Client => {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const operation = `${(context.clientName ?? 'Client').replace(/Client$/, '')}.${(context.commandName ?? '?').replace(/Command$/, '')}`;
        const seen = operations.get(adapter) ?? new Set<string>();
        seen.add(operation);
        operations.set(adapter, seen);
        return result;
      },
      { step: 'initialize', name: 'recordMotoContract' },
    );
    return client;
  };
}

function writeContractOperations(operations: ContractOperations): void {
  if (operations.size === 0) return;
  mkdirSync(AWS_CONTRACT_SUMMARY_DIR, { recursive: true });
  const file = join(AWS_CONTRACT_SUMMARY_DIR, `${process.pid}-${Date.now()}.json`);
  const body = Object.fromEntries([...operations].map(([adapter, ops]) => [adapter, [...ops].sort()]));
  writeFileSync(file, JSON.stringify(body, null, 2));
}

export async function startMotoServer(): Promise<MotoServer> {
  if (!existsSync(MOTO_SERVER_BIN)) {
    throw new Error(
      `${MOTO_SERVER_BIN} is missing: run 'bash scripts/python-tools.sh' (npm test runs it for you)`,
    );
  }
  const { endpoint, child } = await spawnOnFreePort();
  const operations: ContractOperations = new Map();

  const post = async (path: string, body?: unknown): Promise<void> => {
    const response = await fetch(`${endpoint}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`moto ${path} answered ${response.status}: ${await response.text()}`);
  };

  const clientConfig = (region = 'eu-west-1') => ({
    endpoint,
    region,
    credentials: MOTO_CREDENTIALS,
    maxAttempts: 1,
  });
  const recordContract = recordContractOperations(operations);
  return {
    endpoint,
    clientConfig,
    configure: (config) => post('/moto-api/config', config),
    reset: () => post('/moto-api/reset'),
    recordContract,
    adapterClient: (adapter, Client, region) => recordContract(adapter, new Client(clientConfig(region))),
    stop: async () => {
      writeContractOperations(operations);
      await stopChild(child);
    },
  };
}

/**
 * Starts moto on a free loopback port. The port is free when chosen but another test worker can take it
 * before moto binds it: moto then exits with "Address already in use", and a server answering on that port
 * is the other worker's. So the server counts as ours only once its own log says it runs on the port, and
 * a lost race is retried on another port.
 */
async function spawnOnFreePort(): Promise<{ endpoint: string; child: ChildProcess }> {
  for (let attempt = 1; ; attempt++) {
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
    try {
      await waitUntilAnswering(endpoint, child, () => stderr);
      return { endpoint, child };
    } catch (error) {
      if (attempt >= 5 || !/in use/i.test(stderr)) throw error;
    }
  }
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
      // Our server logs the address it bound; without that line, whatever answers is not ours.
      const bound = stderr().includes(`Running on ${endpoint}`);
      const response = await fetch(`${endpoint}/moto-api/data.json`);
      if (response.ok && bound) return;
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
