#!/usr/bin/env node
// The sample service's database migrations, with node-pg-migrate (its programmatic runner) against the
// PostgreSQL database at DATABASE_URL: the command the pipeline's "Run migrations" task runs in the
// service's container, and with --plan the one whose output production approvers see.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node examples/sample-service/migrate.mjs
//   DATABASE_URL=… node examples/sample-service/migrate.mjs --plan     lists what would run, applies nothing
//
// Plain JavaScript, no build step: a task starts it as a container would, in a fraction of a second.
// Exit codes: 0 the schema is up to date (or, with --plan, the plan was printed); 1 a migration failed
// (everything this run did is rolled back: node-pg-migrate runs them in one transaction); 2 bad usage.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const plan = args.includes('--plan');
const unknown = args.filter((a) => a !== '--plan');
if (unknown.length > 0) usage(`unknown argument ${unknown[0]}`);
const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl)
  usage('DATABASE_URL is not set: give the database to migrate, e.g. postgres://user@host:5432/db');

// A build may ship more migrations than the repository's: the local runtime's `--break <commit>=migration`
// builds the commit with the ones in broken-migrations/ too (SAMPLE_SERVICE_EXTRA_MIGRATIONS names it).
const extra = process.env.SAMPLE_SERVICE_EXTRA_MIGRATIONS;
const dirs = ['migrations', ...(extra ? [extra] : [])].map((dir) => join(here, dir, '*.sql'));

/** `### MIGRATION <name> (UP) ###`, then (verbose) the SQL it runs: the plan pairs them. */
const pending = [];
const logger = {
  info: (message) => {
    const name = /^### MIGRATION (.+) \(UP\) ###$/.exec(message)?.[1];
    if (name) pending.push({ name, sql: '' });
    if (!plan) console.log(message);
  },
  warn: (message) => console.log(message),
  error: (message) => console.error(message),
  debug: (message) => {
    const last = pending.at(-1);
    if (last && !last.sql) last.sql = statements(message);
  },
};

const started = Date.now();
try {
  const ran = await runner({
    databaseUrl,
    dir: dirs,
    useGlob: true,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    // One transaction for the run: a failing migration leaves the schema as it was.
    singleTransaction: true,
    dryRun: plan,
    verbose: plan,
    logger,
  });
  if (plan) {
    console.log(
      pending.length === 0
        ? 'no migrations to apply: the schema is up to date'
        : `${pending.length} migration${pending.length === 1 ? '' : 's'} to apply:`,
    );
    for (const m of pending) console.log(`  ${m.name}: ${m.sql}`);
  } else
    console.log(
      ran.length === 0
        ? 'migrated: nothing to apply, the schema is up to date'
        : `migrated: ${ran.length} applied (${ran.map((m) => m.name).join(', ')}) in ${Date.now() - started} ms`,
    );
} catch (error) {
  const detail = error && typeof error === 'object' && 'detail' in error && error.detail;
  console.error(`migrate: ${plan ? 'cannot plan' : 'failed, nothing applied'}: ${error?.message ?? error}`);
  if (detail) console.error(`  detail: ${detail}`);
  process.exit(1);
}

/** The statements of a migration's SQL on one line: comments and node-pg-migrate's bookkeeping left out. */
function statements(sql) {
  return sql
    .split('\n')
    .filter((line) => !/^\s*--/.test(line) && !/pgmigrations/.test(line))
    .join(' ')
    .replace(/\s+/g, ' ')
    .replace(/(\s*;)+\s*$/, ';')
    .trim();
}

function usage(problem) {
  console.error(`migrate: ${problem}\nusage: DATABASE_URL=postgres://… node migrate.mjs [--plan]`);
  process.exit(2);
}
