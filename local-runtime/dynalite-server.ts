/**
 * DynamoDB on one machine: dynalite on 127.0.0.1 with the pipeline table, so the real DynamoDB adapters run
 * against it. In memory, or in LevelDB files of a data directory.
 */
import { DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPipelineTable } from '../shared/aws/pipeline-table';
import { DataDirError } from './data-dir/data-dir-error';

/** The local pipeline table's name (the operator CLI's `--local` reads it through `/aws/dynamodb`). */
export const LOCAL_TABLE_NAME = 'pipeline-local';

export interface LocalDynamo {
  /** A client for the local server (the one the adapters use). */
  client: DynamoDBClient;
  /** `http://127.0.0.1:<port>`, where the local stack's `/aws/dynamodb` forwards requests. */
  endpoint: string;
  close(): Promise<void>;
}

/**
 * Starts dynalite on loopback with the pipeline table; one the data directory already has is used as it is.
 * @throws DataDirError when `dataDir`'s files cannot be opened as the tables (nothing is left running)
 */
export async function startLocalDynamo(dataDir?: { dynamoPath: string }): Promise<LocalDynamo> {
  const dynamo = await startDynalite(dataDir?.dynamoPath);
  try {
    await ensurePipelineTable(dynamo.client, LOCAL_TABLE_NAME);
    return dynamo;
  } catch (error) {
    await dynamo.close();
    if (!dataDir) throw error;
    throw new DataDirError(
      `${dataDir.dynamoPath} cannot be opened as the DynamoDB tables (${(error as Error).message}): ` +
        'delete the directory or pick another --data-dir',
    );
  }
}

/** The pipeline table; one a data directory already has is used as it is. */
async function ensurePipelineTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await createPipelineTable(client, tableName);
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
}

/**
 * dynalite on 127.0.0.1: in memory, or with `path` in LevelDB files there. Tests start it alone (no
 * table); the local stack through {@link startLocalDynamo}.
 */
export async function startDynalite(path?: string): Promise<LocalDynamo> {
  // Loaded here, not at the top: the operator CLI reads LOCAL_TABLE_NAME without starting a server.
  const { default: dynalite } = await import('dynalite');
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(path !== undefined ? { path } : {}),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    region: 'local',
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const inFlight = trackInFlight(client, server);
  return {
    client,
    endpoint,
    close: async () => {
      // Closing with a write in flight closes LevelDB under it: dynalite then fails the write half done (an
      // item stored, its index entries not: "Database is closed" in updateIndexes). So the calls already
      // made, by this client or any other, end first; only then does the client go and the server close.
      await inFlight.drained();
      client.destroy();
      // Other clients' idle keep-alive sockets would hold close() until they time out.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The requests under way: every call of `client` (retries included) from the moment it is made, and every
 * request the server received, until dynalite has answered it (then its writes, indexes included, are done).
 */
function trackInFlight(client: DynamoDBClient, server: Server): { drained(): Promise<void> } {
  const pending = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    pending.add(work);
    work.then(
      () => pending.delete(work),
      () => pending.delete(work),
    );
  };
  client.middlewareStack.add(
    (next) => (args) => {
      const call = next(args);
      track(call);
      return call;
    },
    { step: 'initialize', name: 'localDynamoInFlight' },
  );
  server.prependListener('request', (_request: IncomingMessage, response: ServerResponse) => {
    track(
      new Promise<void>((resolve) => {
        // dynalite calls end() once the request's writes are done, even when the client has gone meanwhile.
        const end = response.end.bind(response) as (...args: unknown[]) => ServerResponse;
        response.end = ((...args: unknown[]) => {
          resolve();
          return end(...args);
        }) as ServerResponse['end'];
      }),
    );
  });
  return {
    async drained() {
      // Calls made while others end (another client's) are waited for too, until none is left.
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}
