import {
  DecryptionFailure,
  GetSecretValueCommand,
  InvalidRequestException,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { systemClock, type Clock } from '../clock';
import { PipelineMisconfiguredError } from '../domain/errors';
import type { SecretSource } from '../ports/secrets';
import { awsClient } from './aws-clients';
import {
  awsErrorName,
  isAwsError,
  isUnmodelledAwsError,
  mapAwsError,
  UNMODELLED_AWS_ERRORS,
} from './aws-errors';

export interface SecretsManagerSecretSourceOptions {
  /** A ready client (tests); by default the container's client in the SDK's region (AWS_REGION in Lambda). */
  client?: SecretsManagerClient;
  /** How long a value is reused; 5 minutes by default, so a rotated secret is picked up within that time. */
  ttlMs?: number;
  clock?: Pick<Clock, 'now'>;
}

export const SECRET_TTL_MS = 5 * 60 * 1000;

/** Errors that no retry fixes: the secret is missing, deleted, or this function may not read it. */
function isMisconfigured(error: unknown): boolean {
  return (
    isAwsError(error, ResourceNotFoundException, InvalidRequestException, DecryptionFailure) ||
    isUnmodelledAwsError(error, UNMODELLED_AWS_ERRORS.accessDenied)
  );
}

/**
 * Reads secrets from Secrets Manager (`GetSecretValue`, the current version) and keeps each value in memory
 * for `ttlMs`: a warm container does not call Secrets Manager on every request, and a rotation is picked up
 * within the TTL. Concurrent first reads share one call. Failures are not cached. Secret values never appear
 * in errors: messages carry the secret's name and the AWS error name only.
 */
export class SecretsManagerSecretSource implements SecretSource {
  private readonly client: () => SecretsManagerClient;
  private readonly ttlMs: number;
  private readonly clock: Pick<Clock, 'now'>;
  private readonly cache = new Map<string, { value: string; expiresAt: number }>();
  private readonly pending = new Map<string, Promise<string>>();

  constructor(options: SecretsManagerSecretSourceOptions = {}) {
    const client = options.client;
    this.client = () => client ?? awsClient(SecretsManagerClient);
    this.ttlMs = options.ttlMs ?? SECRET_TTL_MS;
    this.clock = options.clock ?? systemClock;
  }

  async get(name: string): Promise<string> {
    const cached = this.cache.get(name);
    if (cached !== undefined && this.clock.now() < cached.expiresAt) return cached.value;
    let read = this.pending.get(name);
    if (read === undefined) {
      read = this.fetch(name).finally(() => this.pending.delete(name));
      this.pending.set(name, read);
    }
    return read;
  }

  private async fetch(name: string): Promise<string> {
    let value: string | undefined;
    try {
      const response = await this.client().send(new GetSecretValueCommand({ SecretId: name }));
      value = response.SecretString;
    } catch (error) {
      if (isMisconfigured(error))
        throw new PipelineMisconfiguredError(
          `Secrets Manager GetSecretValue of ${name} failed (${awsErrorName(error)}): check that the secret exists and that the function may read it`,
        );
      throw mapAwsError(error, `Secrets Manager GetSecretValue of ${name}`);
    }
    if (value === undefined || value === '')
      throw new PipelineMisconfiguredError(
        `secret ${name} has no string value: store the secret as plain text`,
      );
    this.cache.set(name, { value, expiresAt: this.clock.now() + this.ttlMs });
    return value;
  }
}
