import { clientsFrom, regionalClients } from '../../../shared/aws/regional-clients';

class FakeClient {
  constructor(readonly region: string) {}
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
    const create = jest.fn((region: string) => new FakeClient(region));

    // Act
    const clients = clientsFrom(client, create);

    // Assess
    expect(clients('eu-west-1')).toBe(client);
    expect(clients('us-east-1')).toBe(client);
    expect(create).not.toHaveBeenCalled();
  });

  it('when given nothing, it creates default clients per region, once each', () => {
    // Prepare
    const create = jest.fn((region: string) => new FakeClient(region));

    // Act
    const clients = clientsFrom<FakeClient>(undefined, create);
    clients('eu-west-1');
    clients('eu-west-1');

    // Assess
    expect(create).toHaveBeenCalledTimes(1);
  });
});
