import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalDatabases } from '../../../local-runtime/adapters/local-databases';

/** The local PostgreSQL databases (PGlite in a worker thread, a wire-protocol server each). */
const STAGING = { service: 'orders-api', environment: 'staging', region: 'eu-west-1' };
const PROD = { service: 'orders-api', environment: 'prod', region: 'eu-west-1' };

const opened: LocalDatabases[] = [];
const databases = (directory?: string, hostScript?: string) => {
  const made = new LocalDatabases({
    ...(directory !== undefined && { directory }),
    ...(hostScript !== undefined && { hostScript }),
  });
  opened.push(made);
  return made;
};

afterEach(async () => {
  for (const d of opened.splice(0)) await d.close();
});

jest.setTimeout(180_000);

describe('LocalDatabases', () => {
  it('when given a data directory, each environment/region has its own database there, kept across restarts', async () => {
    // Prepare
    const directory = mkdtempSync(join(tmpdir(), 'local-databases-test-'));
    try {
      const first = databases(directory);
      const staging = await first.database(STAGING);
      await staging.query('CREATE TABLE orders (id int)');
      await staging.query('INSERT INTO orders VALUES (1), (2)');
      const prod = await first.database(PROD);
      await first.close();

      // Act
      const again = databases(directory);
      const reopened = await again.database(STAGING);

      // Assess
      expect(staging.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
      expect(prod.url).not.toBe(staging.url);
      expect(staging.directory).toBe(join(directory, 'orders-api', 'staging', 'eu-west-1'));
      expect(await reopened.query('SELECT count(*)::int AS n FROM orders')).toEqual([{ n: 2 }]);
      expect(await (await again.database(PROD)).query("SELECT to_regclass('orders') AS t")).toEqual([
        { t: null },
      ]);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('when given none, the databases live in a temporary directory removed when they close', async () => {
    // Prepare
    const temporary = databases();
    await temporary.database(STAGING);

    // Act
    await temporary.close();

    // Assess
    expect(existsSync(temporary.directory)).toBe(false);
    await expect(temporary.database(STAGING)).rejects.toThrow('the local databases are closed');
  });

  it("when a statement is wrong, the query fails with PostgreSQL's message", async () => {
    // Act
    const staging = await databases().database(STAGING);

    // Assess
    await expect(staging.query('SELECT * FROM nowhere')).rejects.toThrow(
      'local database: relation "nowhere" does not exist',
    );
  });

  it('when the database host cannot start, every request fails with its error, none waits forever', async () => {
    // Prepare: a host that dies on start, as one whose PGlite is not installed
    const failing = databases(
      undefined,
      join(__dirname, '..', '..', 'fixtures', 'failing-database-host.mjs'),
    );

    // Act
    const first = failing.database(STAGING);
    const firstError = await first.then(
      () => 'opened',
      (error: Error) => error.message,
    );
    const second = await failing.database(PROD).then(
      () => 'opened',
      (error: Error) => error.message,
    );

    // Assess
    expect(firstError).toBe("the local database host failed: Cannot find package '@electric-sql/pglite'");
    expect(second).toBe(firstError);
  });
});
