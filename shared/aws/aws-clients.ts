/** An AWS SDK v3 client class: each takes its configuration, region included, as its one argument. */
export type AwsClientClass<Client> = new (config: { region?: string }) => Client;

/** Builds the client of one service for one region; `''` stands for the SDK's default region. */
export type AwsClientFactory = <Client>(service: AwsClientClass<Client>, region: string) => Client;

const sdkClient: AwsClientFactory = (Service, region) => new Service(region === '' ? {} : { region });

let factory: AwsClientFactory = sdkClient;
/** Per service class, its clients by region. */
const services = new Map<AwsClientClass<unknown>, Map<string, unknown>>();

/**
 * The container's clients of one AWS service, one per region, created on first use and kept for the life of
 * the Lambda container: a client holds a connection pool and resolved credentials, so every adapter of a
 * function shares it instead of building its own. The region `''` is the SDK's default (AWS_REGION in
 * Lambda). Adapters fall back to these when they are not handed a client; tests either hand clients in or
 * replace the factory with {@link useAwsClientFactory}.
 */
export function awsClients<Client>(service: AwsClientClass<Client>): (region: string) => Client {
  return (region) => {
    let clients = services.get(service);
    if (clients === undefined) {
      clients = new Map();
      services.set(service, clients);
    }
    let client = clients.get(region) as Client | undefined;
    if (client === undefined) {
      client = factory(service, region);
      clients.set(region, client);
    }
    return client;
  };
}

/** The container's client of `service` in `region` (the SDK's default region when absent). */
export function awsClient<Client>(service: AwsClientClass<Client>, region = ''): Client {
  return awsClients(service)(region);
}

/**
 * Replaces how clients are built (tests: count them, point them at a local endpoint) and forgets the
 * clients built so far, destroying their connection pools; without an argument, restores the SDK default.
 */
export function useAwsClientFactory(next?: AwsClientFactory): void {
  for (const clients of services.values())
    for (const client of clients.values()) (client as { destroy?: () => void }).destroy?.();
  services.clear();
  factory = next ?? sdkClient;
}
