import { awsClients, type AwsClientClass } from './aws-clients';

/**
 * One SDK client per region, created on first use and reused for the life of the Lambda container: clients
 * hold connection pools and resolved credentials, so making one per call would cost a TLS handshake and a
 * credential lookup on every invocation. Adapters take the returned function as an option, which lets tests
 * hand in a factory that returns clients mocked with `aws-sdk-client-mock`.
 */
export function regionalClients<Client>(factory: (region: string) => Client): (region: string) => Client {
  const clients = new Map<string, Client>();
  return (region) => {
    let client = clients.get(region);
    if (client === undefined) {
      client = factory(region);
      clients.set(region, client);
    }
    return client;
  };
}

/** Accepts either a ready client (same client for every region, as tests usually want) or a per-region factory. */
export type ClientSource<Client> = Client | ((region: string) => Client);

/**
 * Normalises a {@link ClientSource} into a cached per-region lookup; without one, the container's shared
 * clients of `service` ({@link awsClients}), so that every adapter of a function uses the same client.
 */
export function clientsFrom<Client extends object>(
  source: ClientSource<Client> | undefined,
  service: AwsClientClass<Client>,
): (region: string) => Client {
  if (source === undefined) return awsClients(service);
  if (typeof source === 'function') return regionalClients(source as (region: string) => Client);
  return () => source;
}
