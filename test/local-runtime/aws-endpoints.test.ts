import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDeploymentRecords } from '../../shared/aws/deployment-records.adapter';
import { StepFunctionsPipelineExecutions } from '../../shared/aws/pipeline-executions.adapter';
import { statesOf } from '../../shared/operations/execution-view';
import { serveLocalPipeline, type LocalHttpServer } from '../../local-runtime/local-http-server';
import { LocalPipeline } from '../../local-runtime/local-pipeline';
import { loadEvent, sampleConfig } from '../support/fixtures';

/**
 * The operator CLI's `--local` runs the AWS SDK clients and adapters it runs against AWS, pointed at the
 * local stack's AWS-compatible endpoints: these tests drive the real adapters through them.
 */
describe('local stack AWS-compatible endpoints', () => {
  let pipeline: LocalPipeline;
  let url: string;
  let http: LocalHttpServer;
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

  beforeAll(async () => {
    pipeline = await LocalPipeline.start({ config: sampleConfig() });
    http = await serveLocalPipeline(pipeline, 0);
    url = http.url;
    await pipeline.putEvent(loadEvent('ecr-push-orders-api.json'));
    await pipeline.settled();
  });

  afterAll(async () => {
    await pipeline.close();
    await http.close();
  });

  const executions = () =>
    new StepFunctionsPipelineExecutions({
      client: new SFNClient({ region: 'local', endpoint: `${url}/aws/states`, credentials }),
      machineNames: { promote: 'promote', release: 'release' },
    });

  it('when the Step Functions adapter lists, finds and reads an execution, it sees what the engine ran', async () => {
    // Act
    const listed = await executions().list();
    const found = await executions().find(listed[0]!.name);
    const history = await executions().history(found!.executionArn);

    // Assess
    expect(listed).toEqual([
      expect.objectContaining({ name: expect.stringMatching(/^push-orders-api-/), status: 'SUCCEEDED' }),
    ]);
    expect(found).toMatchObject({ status: 'SUCCEEDED', redriveCount: 0 });
    expect(JSON.parse(found!.input)).toMatchObject({ service: 'orders-api' });
    const states = statesOf(history);
    expect(states.filter((s) => s.stage === 0).map((s) => s.state)).toContain('Stage deployed');
    expect(states.every((s) => s.exitedAt !== undefined)).toBe(true);
  });

  it('when an execution does not exist, find answers undefined and redrive fails with the SFN error', async () => {
    // Act
    const missing = await executions().find('no-such-execution');
    const redrive = executions().redrive(
      'arn:aws:states:local:000000000000:execution:promote:no-such-execution',
    );

    // Assess
    expect(missing).toBeUndefined();
    await expect(redrive).rejects.toThrow(/ExecutionDoesNotExist|does not exist/);
  });

  it('when the DynamoDB adapter reads through /aws/dynamodb, it reads the local tables', async () => {
    // Prepare
    const records = new DynamoDeploymentRecords({
      tableName: 'pipeline-local',
      client: new DynamoDBClient({ region: 'local', endpoint: `${url}/aws/dynamodb`, credentials }),
    });

    // Act
    const running = await records.running('orders-api');

    // Assess
    expect(running).toEqual([
      expect.objectContaining({ environment: 'ppe', region: 'eu-west-1', outcome: 'deployed' }),
    ]);
  });

  it('when a browser page posts to the AWS endpoints, it is refused', async () => {
    // Act
    const response = await fetch(`${url}/aws/states`, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'x-amz-target': 'AWSStepFunctions.ListStateMachines' },
      body: '{}',
    });

    // Assess
    expect(response.status).toBe(403);
  });

  it('when the request is not a Step Functions call, it answers a 400 the SDK understands', async () => {
    // Act
    const response = await fetch(`${url}/aws/states`, {
      method: 'POST',
      headers: { 'x-amz-target': 'AWSStepFunctions.DeleteStateMachine' },
      body: 'not json',
    });

    // Assess
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      __type: 'SerializationException',
      message: 'the request body must be a JSON object',
    });
  });
});
