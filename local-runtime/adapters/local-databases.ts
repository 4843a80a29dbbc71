import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

/** Which database: one per service, environment and region, as each would have its own RDS instance. */
export interface DatabaseAddress {
  service: string;
  environment: string;
  region: string;
}

export interface LocalDatabase extends DatabaseAddress {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`: what a migration task gets as DATABASE_URL. */
  url: string;
  /** Where its files are. */
  directory: string;
  /** Runs one SQL statement in the database (tests, operators); the rows it returned. */
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
}

export interface LocalDatabasesOptions {
  /** The directory the databases live in (`<data-dir>/databases`); default: a new temporary directory. */
  directory?: string;
  /** The worker script that runs the databases (tests give one that fails). Default: local-database-host.mjs. */
  hostScript?: string;
}

/** An initialised data directory is reused only by the PGlite version that made it. */
const TEMPLATE_NAME = 'pipeline-pgdata-template-pglite-0.5.14';
const HOST = join(__dirname, 'local-database-host.mjs');

/**
 * Real PostgreSQL databases on this machine, one per service/environment/region: PGlite (PostgreSQL
 * compiled to WebAssembly) runs them in a worker thread of this process (local-database-host.mjs), each
 * behind a pglite-socket server on 127.0.0.1 that speaks PostgreSQL's wire protocol, so a migration task
 * (a child process) connects with a plain `DATABASE_URL` and the standard `pg` client, as it would to RDS.
 * A database starts on first use and keeps its files in `directory/<service>/<environment>/<region>`; a
 * new one starts as a copy of an initialised data directory made once per machine.
 */
export class LocalDatabases {
  readonly directory: string;
  private readonly temporary: boolean;
  private readonly hostScript: string;
  private readonly databases = new Map<string, Promise<LocalDatabase>>();
  private worker?: Worker;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private closed = false;

  constructor(options: LocalDatabasesOptions = {}) {
    this.temporary = options.directory === undefined;
    this.hostScript = options.hostScript ?? HOST;
    this.directory = options.directory ?? mkdtempSync(join(tmpdir(), 'pipeline-databases-'));
  }

  /** The database of a service in an environment/region, started (and created) when first asked for. */
  database(address: DatabaseAddress): Promise<LocalDatabase> {
    if (this.closed)
      return Promise.reject(new Error('the local databases are closed (the local stack is shutting down)'));
    const key = keyOf(address);
    let opening = this.databases.get(key);
    if (!opening) {
      opening = this.start(address, join(this.directory, ...key.split('/')));
      this.databases.set(key, opening);
      opening.catch(() => this.databases.delete(key));
    }
    return opening;
  }

  /** The databases started so far. */
  async started(): Promise<LocalDatabase[]> {
    const all = await Promise.allSettled([...this.databases.values()]);
    return all.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  }

  /** Stops every database and the worker; a temporary directory is removed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.databases.values()]);
    const worker = this.worker;
    if (worker) {
      await this.request({ op: 'close' }).catch(() => undefined);
      await worker.terminate();
    }
    this.databases.clear();
    if (this.temporary) rmSync(this.directory, { recursive: true, force: true });
  }

  private async start(address: DatabaseAddress, directory: string): Promise<LocalDatabase> {
    const hostPort = (await this.request({ op: 'open', directory, templateName: TEMPLATE_NAME })) as string;
    return {
      service: address.service,
      environment: address.environment,
      region: address.region,
      url: `postgres://postgres@${hostPort}/postgres`,
      directory,
      query: async <T>(sql: string, params?: unknown[]) =>
        (await this.request({ op: 'query', directory, sql, params })) as T[],
    };
  }

  private request(message: Record<string, unknown>): Promise<unknown> {
    const worker = this.host();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...message, id });
    });
  }

  private host(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.hostScript);
    worker.on('message', (reply: { id: number; result?: unknown; error?: string }) => {
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.error !== undefined) waiting?.reject(new Error(`local database: ${reply.error}`));
      else waiting?.resolve(reply.result);
    });
    // A host that failed (PGlite missing: run npm ci; out of memory) answers nothing more: every waiting
    // request fails with its error, and the next request starts a new host rather than waiting forever on
    // the dead one.
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    let failure: Error | undefined;
    worker.on('error', (error) => {
      failure = new Error(`the local database host failed: ${error.message}`);
      fail(failure);
    });
    worker.on('exit', (code) =>
      fail(failure ?? new Error(`the local database host stopped (exit code ${code})`)),
    );
    this.worker = worker;
    return worker;
  }
}

function keyOf(address: DatabaseAddress): string {
  const part = (text: string) => text.replace(/[^A-Za-z0-9_.-]/g, '_');
  return [address.service, address.environment, address.region].map(part).join('/');
}
