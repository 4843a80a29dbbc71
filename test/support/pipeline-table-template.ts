/**
 * The pipeline table as the stack defines it (`resources.Resources.PipelineTable` in serverless.yml): key
 * schema, indexes, billing and TTL. The moto tests create their tables from this definition rather than
 * from a copy, so a store that relies on a key, an index or a TTL attribute the stack does not have fails
 * there, not after a deploy.
 */
import {
  CreateTableCommand,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type BillingMode,
  type CreateTableCommandInput,
  DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  type LocalSecondaryIndex,
  type TimeToLiveSpecification,
} from '@aws-sdk/client-dynamodb';
import { loadServerlessYml } from './serverless-yml';
import { startMotoServer, type MotoServer } from './moto-server';

/** The table's properties that shape what the stores can read and write (CloudFormation spells them as the API). */
export interface PipelineTableDefinition {
  AttributeDefinitions: AttributeDefinition[];
  KeySchema: KeySchemaElement[];
  BillingMode?: BillingMode;
  GlobalSecondaryIndexes?: GlobalSecondaryIndex[];
  LocalSecondaryIndexes?: LocalSecondaryIndex[];
  TimeToLiveSpecification?: TimeToLiveSpecification;
}

const DATA_MODEL_PROPERTIES = [
  'AttributeDefinitions',
  'KeySchema',
  'BillingMode',
  'GlobalSecondaryIndexes',
  'LocalSecondaryIndexes',
  'TimeToLiveSpecification',
];
/** Properties that change how AWS runs the table, not what a store can do with it. */
const OPERATIONAL_PROPERTIES = [
  'TableName',
  'PointInTimeRecoverySpecification',
  'SSESpecification',
  'DeletionProtectionEnabled',
  'Tags',
  'TableClass',
  'ContributorInsightsSpecification',
];

/** The PipelineTable resource of serverless.yml; throws on a property this helper would silently drop. */
export function pipelineTableDefinition(): PipelineTableDefinition {
  const resource = loadServerlessYml().resources?.Resources?.PipelineTable;
  if (resource?.Type !== 'AWS::DynamoDB::Table' || resource.Properties === undefined)
    throw new Error('serverless.yml has no resources.Resources.PipelineTable of type AWS::DynamoDB::Table');
  const unknown = Object.keys(resource.Properties).filter(
    (name) => !DATA_MODEL_PROPERTIES.includes(name) && !OPERATIONAL_PROPERTIES.includes(name),
  );
  if (unknown.length > 0)
    throw new Error(
      `PipelineTable in serverless.yml has ${unknown.join(', ')}: teach test/support/pipeline-table-template.ts ` +
        'whether the property shapes the data model (pass it to CreateTable) or only how AWS runs the table',
    );
  return resource.Properties as unknown as PipelineTableDefinition;
}

/**
 * Creates `tableName` as the stack would (CreateTable, then UpdateTimeToLive when the template enables TTL).
 * For moto, which implements both; dynalite has no UpdateTimeToLive.
 */
export async function createTableFromTemplate(client: DynamoDBClient, tableName: string): Promise<void> {
  const definition = pipelineTableDefinition();
  const input: CreateTableCommandInput = {
    TableName: tableName,
    AttributeDefinitions: definition.AttributeDefinitions,
    KeySchema: definition.KeySchema,
    BillingMode: definition.BillingMode,
    ...(definition.GlobalSecondaryIndexes && { GlobalSecondaryIndexes: definition.GlobalSecondaryIndexes }),
    ...(definition.LocalSecondaryIndexes && { LocalSecondaryIndexes: definition.LocalSecondaryIndexes }),
  };
  await client.send(new CreateTableCommand(input));
  const ttl = definition.TimeToLiveSpecification;
  if (ttl?.Enabled)
    await client.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: ttl }));
}

/**
 * A moto server with the pipeline table `tableName` built from the template, and the client an adapter
 * under test uses, recorded for the contract summary as `adapter`. Stop it with `stop()` in afterAll.
 */
export async function motoPipelineTable(
  adapter: string,
  tableName: string,
): Promise<{ moto: MotoServer; client: DynamoDBClient; stop(): Promise<void> }> {
  const moto = await startMotoServer();
  const setup = new DynamoDBClient(moto.clientConfig());
  await createTableFromTemplate(setup, tableName);
  setup.destroy();
  const client = moto.adapterClient(adapter, DynamoDBClient);
  return {
    moto,
    client,
    stop: async () => {
      client.destroy();
      await moto.stop();
    },
  };
}
