import { useAwsClientFactory } from '../../../shared/aws/aws-clients';
import { clientsFrom, regionalClients } from '../../../shared/aws/regional-clients';

class FakeClient {
  readonly region: string;
  constructor(config: { region?: string } | string) {
    this.region = typeof config === 'string' ? config : (config.region ?? '');
  }
}

describe('regionalClients', () => {
  it('when asked for the same region twice, it creates the client once and reuses it', () => {
    // Prepare
    const factory = jest.fn((region: string) => new FakeClient(region));
    const clients = regionalClients(factory);

    // Act
    const first = clients('eu-west-1');
    const again = clients('eu-west-1');
    const other = clients('us-east-1');

    // Assess
    expect(again).toBe(first);
    expect(other.region).toBe('us-east-1');
    expect(factory).toHaveBeenCalledTimes(2);
  });
});

describe('clientsFrom', () => {
  it('when given a ready client, it returns that client for every region', () => {
    // Prepare
    const client = new FakeClient('test');

    // Act
    const clients = clientsFrom(client, FakeClient);

    // Assess
    expect(clients('eu-west-1')).toBe(client);
    expect(clients('us-east-1')).toBe(client);
  });

  afterEach(() => useAwsClientFactory());

  it("when given nothing, it uses the container's shared clients, one per region", () => {
    // Prepare
    const built: string[] = [];
    useAwsClientFactory((Service, region) => {
      built.push(region);
      return new Service({ region });
    });

    // Act
    const clients = clientsFrom<FakeClient>(undefined, FakeClient);
    const first = clients('eu-west-1');
    const again = clientsFrom<FakeClient>(undefined, FakeClient)('eu-west-1');

    // Assess
    expect(again).toBe(first);
    expect(first.region).toBe('eu-west-1');
    expect(built).toEqual(['eu-west-1']);
  });
});
