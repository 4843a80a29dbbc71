import {
  DecryptionFailure,
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { rejectionOf } from '../../support/fakes';
import { SecretsManagerSecretSource, SECRET_TTL_MS } from '../../../shared/aws/secrets.adapter';
import { AwsTransientError, PipelineMisconfiguredError } from '../../../shared/domain/errors';
import { sdkError, unmodelledSdkError } from '../../helpers/sdk-errors';

const NAME = 'ecs-promotion-pipeline/prod/github-webhook-secret';
const VALUE = 'wh-secret-value-0123456789';

describe('SecretsManagerSecretSource', () => {
  const secretsManager = mockClient(SecretsManagerClient);
  let now: number;
  let source: SecretsManagerSecretSource;

  beforeEach(() => {
    secretsManager.reset();
    now = Date.UTC(2026, 10, 20, 10, 0, 0);
    source = new SecretsManagerSecretSource({
      client: new SecretsManagerClient({ region: 'eu-west-1' }),
      clock: { now: () => now },
    });
  });

  it('when the secret exists, it reads the current version by name and returns its string', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves({ Name: NAME, SecretString: VALUE });

    // Act
    const value = await source.get(NAME);

    // Assess
    expect(value).toBe(VALUE);
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 1);
    expect(secretsManager.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({ SecretId: NAME });
  });

  it('when read again within 5 minutes, it answers from memory', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: VALUE });
    await source.get(NAME);
    now += SECRET_TTL_MS - 1;

    // Act
    const value = await source.get(NAME);

    // Assess
    expect(value).toBe(VALUE);
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 1);
  });

  it('when 5 minutes have passed, it reads again and picks up a rotated value', async () => {
    // Prepare
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: VALUE })
      .resolvesOnce({ SecretString: 'rotated-value' });
    await source.get(NAME);
    now += SECRET_TTL_MS;

    // Act
    const value = await source.get(NAME);

    // Assess
    expect(value).toBe('rotated-value');
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 2);
  });

  it('when several requests read a cold secret at once, they share one call', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: VALUE });

    // Act
    const values = await Promise.all([source.get(NAME), source.get(NAME), source.get(NAME)]);

    // Assess
    expect(values).toEqual([VALUE, VALUE, VALUE]);
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 1);
  });

  it('when Secrets Manager throttles, it throws AwsTransientError and caches nothing', async () => {
    // Prepare
    secretsManager
      .on(GetSecretValueCommand)
      .rejectsOnce(
        unmodelledSdkError(SecretsManagerServiceException, 'ThrottlingException', {
          requestId: 'req-1',
          message: 'Rate exceeded',
        }),
      )
      .resolves({ SecretString: VALUE });

    // Act
    const error = await rejectionOf(source.get(NAME));
    const retried = await source.get(NAME);

    // Assess
    expect(error).toBeInstanceOf(AwsTransientError);
    expect(error.message).toContain(NAME);
    expect(error.message).toContain('request id req-1');
    expect(retried).toBe(VALUE);
  });

  it('when the secret does not exist, it throws PipelineMisconfigured naming the secret', async () => {
    // Prepare
    secretsManager
      .on(GetSecretValueCommand)
      .rejects(
        sdkError(ResourceNotFoundException, { message: "Secrets Manager can't find the specified secret." }),
      );

    // Act
    const error = await rejectionOf(source.get(NAME));

    // Assess
    expect(error).toBeInstanceOf(PipelineMisconfiguredError);
    expect(error.message).toBe(
      `Secrets Manager GetSecretValue of ${NAME} failed (ResourceNotFoundException): check that the secret exists and that the function may read it`,
    );
  });

  it('when the secret is encrypted with a KMS key the function may not use, it throws PipelineMisconfigured', async () => {
    // Prepare
    secretsManager
      .on(GetSecretValueCommand)
      .rejects(
        sdkError(DecryptionFailure, { message: "Secrets Manager can't decrypt the protected secret text" }),
      );

    // Act
    const error = await rejectionOf(source.get(NAME));

    // Assess
    expect(error).toBeInstanceOf(PipelineMisconfiguredError);
    expect(error.message).toContain(`GetSecretValue of ${NAME} failed (DecryptionFailure)`);
  });

  it('when the function may not read the secret, it throws PipelineMisconfigured', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).rejects(
      unmodelledSdkError(SecretsManagerServiceException, 'AccessDeniedException', {
        message: 'not authorized',
      }),
    );

    // Act
    const error = await rejectionOf(source.get(NAME));

    // Assess
    expect(error).toBeInstanceOf(PipelineMisconfiguredError);
  });

  it.each([
    ['binary', { SecretBinary: new Uint8Array([1, 2, 3]) }],
    ['empty', { SecretString: '' }],
  ])('when the secret is %s, it throws PipelineMisconfigured without the value', async (_what, response) => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves(response);

    // Act
    const error = await rejectionOf(source.get(NAME));

    // Assess
    expect(error).toBeInstanceOf(PipelineMisconfiguredError);
    expect(error.message).toBe(`secret ${NAME} has no string value: store the secret as plain text`);
  });

  it('when two secrets are read, each is cached under its own name', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand, { SecretId: 'a' }).resolves({ SecretString: 'value-a' });
    secretsManager.on(GetSecretValueCommand, { SecretId: 'b' }).resolves({ SecretString: 'value-b' });

    // Act
    const values = [await source.get('a'), await source.get('b'), await source.get('a')];

    // Assess
    expect(values).toEqual(['value-a', 'value-b', 'value-a']);
    expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 2);
  });
});
