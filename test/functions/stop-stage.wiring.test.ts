import { handler } from '../../functions/stop-stage/handler';
import { useAwsClientFactory, type AwsClientFactory } from '../../shared/wiring/aws-clients';
import { fakeLambdaContext, rejectionOf } from '../support/fakes';

/** The SDK clients a handler's wiring builds, as `<client class> <region>` ('' is the SDK's default region). */
function countingFactory(built: string[]): AwsClientFactory {
  return (Service, region) => {
    built.push(`${Service.name} ${region}`);
    return new Service({ region: region || 'eu-west-1' });
  };
}

describe('stop-stage wiring', () => {
  const env = process.env.PIPELINE_TABLE;

  beforeAll(() => {
    process.env.PIPELINE_TABLE = 'pipeline';
  });

  afterAll(() => {
    useAwsClientFactory();
    if (env === undefined) delete process.env.PIPELINE_TABLE;
    else process.env.PIPELINE_TABLE = env;
  });

  it('when the handler wires its three DynamoDB stores and the input is invalid, it builds no client before the table is read', async () => {
    // Prepare
    const built: string[] = [];
    useAwsClientFactory(countingFactory(built));

    // Act: invalid input fails after the wiring, before any AWS call; the second invocation reuses it.
    const first = await rejectionOf(handler({}, fakeLambdaContext('stop-stage')));
    const second = await rejectionOf(handler({}, fakeLambdaContext('stop-stage')));

    // Assess
    expect(first.name).toBe('InvalidStepInput');
    expect(second.name).toBe('InvalidStepInput');
    expect(built).toEqual([]);
  });
});
