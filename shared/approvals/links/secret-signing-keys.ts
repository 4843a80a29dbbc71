import { PipelineMisconfiguredError } from '../../domain/errors';
import type { SecretSource } from '../../ports/secrets';
import { MIN_KEY_BYTES, type SigningKeySource } from './signing';

/**
 * Link-signing keys kept in one secret (in AWS, Secrets Manager through `SecretsManagerSecretSource`, which
 * caches the value for 5 minutes). The secret's string is JSON:
 *
 *     {"current": "<base64 of ≥ 32 random bytes>", "previous": "<base64, optional>"}
 *
 * Rotation writes a new value whose `previous` is the old `current`: links mailed before still verify, new
 * links are signed with the new key; removing `previous` later retires the old key. Key material never
 * appears in errors.
 */
export class SecretSigningKeySource implements SigningKeySource {
  constructor(
    private readonly secrets: SecretSource,
    private readonly secretName: string,
  ) {}

  async get(): Promise<Buffer> {
    return (await this.read()).current;
  }

  async previous(): Promise<Buffer | undefined> {
    return (await this.read()).previous;
  }

  private async read(): Promise<{ current: Buffer; previous?: Buffer }> {
    const value = await this.secrets.get(this.secretName);
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw this.misconfigured('is not JSON');
    }
    if (typeof parsed !== 'object' || parsed === null) throw this.misconfigured('is not a JSON object');
    const { current, previous } = parsed as Record<string, unknown>;
    const currentKey = this.key(current, 'current');
    if (currentKey === undefined) throw this.misconfigured('has no "current" key');
    const previousKey = this.key(previous, 'previous');
    return { current: currentKey, ...(previousKey && { previous: previousKey }) };
  }

  private key(value: unknown, name: string): Buffer | undefined {
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(value))
      throw this.misconfigured(`has a "${name}" key that is not base64`);
    const key = Buffer.from(value, 'base64');
    if (key.length < MIN_KEY_BYTES)
      throw this.misconfigured(`has a "${name}" key shorter than ${MIN_KEY_BYTES} bytes`);
    return key;
  }

  private misconfigured(problem: string): PipelineMisconfiguredError {
    return new PipelineMisconfiguredError(
      `the approval link-signing secret ${this.secretName} ${problem}: store {"current": "<base64 of 32 random bytes>", "previous": "<optional>"}`,
    );
  }
}
