import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SECRET_TTL_MS, SecretsManagerSecretSource } from '../../shared/aws/secrets.adapter';
import { ManualClock } from '../../shared/clock';
import { PipelineMisconfiguredError } from '../../shared/domain/errors';
import { rejectionOf } from '../support/fakes';
import { startMotoServer, type MotoServer } from '../support/moto-server';

/** The secret source (shared/aws/secrets.adapter.ts) against moto's Secrets Manager. */
const REGION = 'eu-west-1';
const NOW = Date.UTC(2026, 10, 20, 10, 0, 0);

let moto: MotoServer;
let setup: SecretsManagerClient;
let secrets = 0;
beforeAll(async () => {
  moto = await startMotoServer();
  setup = new SecretsManagerClient(moto.clientConfig(REGION));
}, 90_000);
afterAll(async () => {
  setup?.destroy();
  await moto?.stop();
});

function source(clock = new ManualClock(NOW)) {
  return new SecretsManagerSecretSource({
    client: moto.adapterClient('secrets.adapter', SecretsManagerClient, REGION),
    clock,
  });
}

/** A new secret, named as the stack names its secrets; without a value when `value` is undefined. */
async function secret(value?: {
  SecretString?: string;
  SecretBinary?: Uint8Array;
}): Promise<{ name: string; arn: string }> {
  const name = `ecs-promotion-pipeline/prod/secret-${++secrets}`;
  const created = await setup.send(new CreateSecretCommand({ Name: name, ...value }));
  return { name, arn: created.ARN ?? '' };
}

describe('secrets against moto (Secrets Manager GetSecretValue)', () => {
  it('when the secret has a string value, it reads the current version by name or by ARN', async () => {
    // Prepare
    const { name, arn } = await secret({ SecretString: 'https://chat.example.com/hooks/T0/B0/xyz' });
    const secrets = source();

    // Act
    const byName = await secrets.get(name);
    const byArn = await secrets.get(arn);

    // Assess
    expect([byName, byArn]).toEqual([
      'https://chat.example.com/hooks/T0/B0/xyz',
      'https://chat.example.com/hooks/T0/B0/xyz',
    ]);
  });

  it('when the secret is rotated, the new current version is read once the cached value has expired', async () => {
    // Prepare
    const { name } = await secret({ SecretString: 'before-rotation' });
    const clock = new ManualClock(NOW);
    const secrets = source(clock);
    await secrets.get(name);

    // Act
    await setup.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'after-rotation' }));
    const cached = await secrets.get(name);
    await clock.advance(SECRET_TTL_MS);
    const rotated = await secrets.get(name);

    // Assess
    expect([cached, rotated]).toEqual(['before-rotation', 'after-rotation']);
  });

  it.each([
    [
      'does not exist',
      'ResourceNotFoundException',
      async () => ({ name: 'ecs-promotion-pipeline/prod/never-created', arn: '' }),
    ],
    ['was created but its value never set', 'ResourceNotFoundException', () => secret()],
    [
      'is scheduled for deletion',
      'InvalidRequestException',
      async () => {
        const created = await secret({ SecretString: 'soon gone' });
        await setup.send(new DeleteSecretCommand({ SecretId: created.name, RecoveryWindowInDays: 7 }));
        return created;
      },
    ],
  ])(
    'when the secret %s, the error names the secret and what to check, not as transient',
    async (_, errorName, make) => {
      // Prepare
      const { name } = await make();

      // Act
      const error = await rejectionOf(source().get(name));

      // Assess
      expect(error).toBeInstanceOf(PipelineMisconfiguredError);
      expect(error.message).toBe(
        `Secrets Manager GetSecretValue of ${name} failed (${errorName}): ` +
          'check that the secret exists and that the function may read it',
      );
    },
  );

  it('when the secret holds binary data, it asks for the secret to be stored as plain text', async () => {
    // Prepare
    const { name } = await secret({ SecretBinary: new TextEncoder().encode('binary webhook') });

    // Act
    const error = await rejectionOf(source().get(name));

    // Assess
    expect(error).toBeInstanceOf(PipelineMisconfiguredError);
    expect(error.message).toBe(`secret ${name} has no string value: store the secret as plain text`);
  });
});
