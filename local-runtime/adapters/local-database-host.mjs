// The local databases' host: a worker thread of the local stack's process that runs PGlite (PostgreSQL
// compiled to WebAssembly), one instance per database, each behind a pglite-socket server on 127.0.0.1
// that speaks PostgreSQL's wire protocol. Plain JavaScript loaded by Node itself: PGlite loads its
// WebAssembly with dynamic imports, which a TypeScript loader or a test runner's module sandbox may not
// allow. LocalDatabases (local-databases.ts) drives it with messages: open, query, close.
import { cpSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** directory → { database, server } */
const open = new Map();
let template;

parentPort.on('message', async (message) => {
  try {
    parentPort.postMessage({ id: message.id, result: await handle(message) });
  } catch (error) {
    parentPort.postMessage({ id: message.id, error: error instanceof Error ? error.message : String(error) });
  }
});

async function handle(message) {
  if (message.op === 'open') return start(message.directory, message.templateName);
  if (message.op === 'query') {
    const entry = open.get(message.directory);
    if (!entry) throw new Error(`no database open in ${message.directory}`);
    return (await entry.database.query(message.sql, message.params)).rows;
  }
  if (message.op === 'close') {
    for (const { database, server } of open.values()) {
      await server.stop();
      await database.close();
    }
    open.clear();
    return null;
  }
  throw new Error(`unknown operation ${message.op}`);
}

/** Starts the database in `directory` (a copy of the initialised template when new); returns host:port. */
async function start(directory, templateName) {
  const running = open.get(directory);
  if (running) return running.server.getServerConn();
  if (!existsSync(join(directory, 'PG_VERSION'))) {
    const from = await initialisedTemplate(templateName);
    mkdirSync(directory, { recursive: true });
    cpSync(from, directory, { recursive: true });
  }
  const database = await PGlite.create({ dataDir: directory });
  const server = new PGLiteSocketServer({ db: database, host: '127.0.0.1', port: 0, maxConnections: 8 });
  try {
    await server.start();
  } catch (error) {
    await database.close();
    throw error;
  }
  open.set(directory, { database, server });
  return server.getServerConn();
}

/**
 * An initialised data directory, made once per machine in the temporary directory (initdb costs seconds
 * of CPU; copying it, a fraction): made aside and renamed into place, so two processes making it at once
 * both end up with a complete one.
 */
function initialisedTemplate(name) {
  template ??= (async () => {
    const path = join(tmpdir(), name);
    if (existsSync(join(path, 'PG_VERSION'))) return path;
    const making = mkdtempSync(join(tmpdir(), `${name}-making-`));
    try {
      const database = await PGlite.create({ dataDir: making });
      await database.close();
    } catch (error) {
      rmSync(making, { recursive: true, force: true });
      throw error;
    }
    try {
      renameSync(making, path);
    } catch {
      rmSync(making, { recursive: true, force: true }); // another process made it first
    }
    return path;
  })();
  template.catch(() => (template = undefined));
  return template;
}
